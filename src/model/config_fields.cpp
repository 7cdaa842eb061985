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

std::vector<int> shapeList(const Json& shape, const std::string& owner, bool dropBatch) {
  ATTN_CHECK(shape.is_array(), owner, ": an input shape must be an array of positive integers, got ", shape.dump());
  std::vector<int> dims;
  size_t start = dropBatch ? 1 : 0;
  ATTN_CHECK(shape.size() >= start, owner, ": batchInputShape must start with the batch dimension (null)");
  for (size_t i = start; i < shape.size(); ++i) {
    ATTN_CHECK(shape[i].is_number_integer() && shape[i].get<int64_t>() >= 1 && shape[i].get<int64_t>() < (1 << 30),
               owner, ": an input shape must be an array of positive integers, got ", shape.dump());
    dims.push_back(shape[i].get<int>());
  }
  ATTN_CHECK(dims.size() + 1 <= static_cast<size_t>(kMaxRank), owner, ": input rank ", dims.size(),
             " exceeds the maximum of ", kMaxRank - 1);
  ATTN_CHECK(!dims.empty(), owner, ": an input shape needs at least one dimension, got ", shape.dump());
  const Shape checked(dims);
  ATTN_CHECK(checked.numel() <= kMaxSampleValues, owner, ": input shape ", checked.str(true), " holds ",
             checked.numel(), " values per sample, more than the limit of ", kMaxSampleValues);
  return dims;
}

}  // namespace attn::config_fields
