#include "model/config_fields.h"

#include "core/check.h"
#include "core/shape.h"
#include "model/model.h"

namespace attn::config_fields {

std::string givenName(const Json& config) {
  if (!config.is_object() || !config.contains("name")) return "";
  ATTN_CHECK(config["name"].is_string() && !config["name"].get<std::string>().empty(),
             "model: a layer's 'name' must be a non-empty string, got ", config["name"].dump());
  return config["name"].get<std::string>();
}

const Json& objectField(const Json& j, const char* key, const std::string& owner) {
  ATTN_CHECK(j.is_object() && j.contains(key), owner, ": missing '", key, "'");
  return j[key];
}

std::vector<int> shapeList(const Json& shape, const std::string& owner, const char* key, bool dropBatch) {
  const size_t start = dropBatch ? 1 : 0;
  bool valid = shape.is_array() && shape.size() > start;
  for (size_t i = start; valid && i < shape.size(); ++i)
    valid = shape[i].is_number_integer() && shape[i].get<int64_t>() >= 1 && shape[i].get<int64_t>() < (1 << 30);
  ATTN_CHECK(valid, owner, ": option '", key, "' must be a non-empty array: an input shape must be an array of ",
             "positive integers (", dropBatch ? "after the batch dimension null" : "per sample, no batch", "), got ",
             shape.dump());
  std::vector<int> dims;
  for (size_t i = start; i < shape.size(); ++i) dims.push_back(shape[i].get<int>());
  ATTN_CHECK(dims.size() + 1 <= static_cast<size_t>(kMaxRank), owner, ": input rank ", dims.size(),
             " exceeds the maximum of ", kMaxRank - 1);
  const Shape checked(dims);
  ATTN_CHECK(checked.numel() <= kMaxSampleValues, owner, ": input shape ", checked.str(true), " holds ",
             checked.numel(), " values per sample, more than the limit of ", kMaxSampleValues);
  return dims;
}

}  // namespace attn::config_fields
