#include "core/config.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"

namespace attn {
namespace {
const Json kNull;
}

ConfigReader::ConfigReader(const Json& config, std::string owner) : config_(config), owner_(std::move(owner)) {
  ATTN_CHECK(config.is_object() || config.is_null(), owner_, ": options must be an object, got ", config.type_name());
}

const Json* ConfigReader::lookup(const char* key) {
  known_.emplace_back(key);
  if (!config_.is_object()) return nullptr;
  auto it = config_.find(key);
  if (it == config_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool ConfigReader::has(const char* key) const {
  return config_.is_object() && config_.contains(key) && !config_.at(key).is_null();
}

void ConfigReader::wrongType(const char* key, const char* expected, const Json& got) const {
  fail(owner_, ": option '", key, "' must be ", expected, ", got ", got.dump());
}

int ConfigReader::integer(const char* key) {
  const Json* v = lookup(key);
  ATTN_CHECK(v, owner_, ": option '", key, "' is required");
  known_.pop_back();
  return integer(key, 0);
}

int ConfigReader::integer(const char* key, int fallback) {
  const Json* v = lookup(key);
  if (!v) return fallback;
  if (v->is_number_integer()) {
    auto value = v->get<int64_t>();
    if (value < -2147483647 || value > 2147483647) wrongType(key, "a 32-bit integer", *v);
    return static_cast<int>(value);
  }
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 2147483647.0) return static_cast<int>(d);
  }
  wrongType(key, "an integer", *v);
}

int ConfigReader::positiveInt(const char* key) {
  int value = integer(key);
  ATTN_CHECK(value >= 1, owner_, ": option '", key, "' must be a positive integer, got ", value);
  return value;
}

int ConfigReader::positiveInt(const char* key, int fallback) {
  int value = integer(key, fallback);
  ATTN_CHECK(value >= 1, owner_, ": option '", key, "' must be a positive integer, got ", value);
  return value;
}

float ConfigReader::number(const char* key, float fallback) {
  const Json* v = lookup(key);
  if (!v) return fallback;
  if (!v->is_number()) wrongType(key, "a number", *v);
  double d = v->get<double>();
  if (!std::isfinite(d)) wrongType(key, "a finite number", *v);
  return static_cast<float>(d);
}

float ConfigReader::numberInRange(const char* key, float fallback, float low, float high) {
  float value = number(key, fallback);
  ATTN_CHECK(value >= low && value <= high, owner_, ": option '", key, "' must be between ", low, " and ", high,
             ", got ", value);
  return value;
}

std::optional<uint64_t> ConfigReader::seed(const char* key) {
  const Json* v = lookup(key);
  if (!v) return std::nullopt;
  const bool exact = v->is_number() && v->get<double>() >= 0 && v->get<double>() < 9007199254740992.0 &&
                     std::floor(v->get<double>()) == v->get<double>();
  if (!exact) fail(owner_, ": option '", key, "' must be a non-negative integer, got ", v->dump());
  return static_cast<uint64_t>(v->get<double>());
}

bool ConfigReader::boolean(const char* key, bool fallback) {
  const Json* v = lookup(key);
  if (!v) return fallback;
  if (!v->is_boolean()) wrongType(key, "true or false", *v);
  return v->get<bool>();
}

std::string ConfigReader::string(const char* key, const std::string& fallback) {
  const Json* v = lookup(key);
  if (!v) return fallback;
  if (!v->is_string()) wrongType(key, "a string", *v);
  return v->get<std::string>();
}

std::string ConfigReader::oneOf(const char* key, const std::string& fallback,
                                const std::vector<const char*>& allowed) {
  std::string value = string(key, fallback);
  for (const char* a : allowed)
    if (value == a) return value;
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "'" : ", '") + std::string(a) + "'";
  fail(owner_, ": option '", key, "' must be one of ", list, ", got '", value, "'");
}

std::vector<int> ConfigReader::intList(const char* key) {
  const Json* v = lookup(key);
  ATTN_CHECK(v, owner_, ": option '", key, "' is required");
  known_.pop_back();
  return intList(key, {});
}

std::vector<int> ConfigReader::intList(const char* key, const std::vector<int>& fallback) {
  const Json* v = lookup(key);
  if (!v) return fallback;
  if (v->is_number_integer()) return {v->get<int>()};
  if (!v->is_array()) wrongType(key, "an array of integers", *v);
  std::vector<int> out;
  for (const auto& item : *v) {
    if (!item.is_number_integer()) wrongType(key, "an array of integers", *v);
    out.push_back(item.get<int>());
  }
  return out;
}

const Json& ConfigReader::raw(const char* key) {
  const Json* v = lookup(key);
  return v ? *v : kNull;
}

void ConfigReader::finish() const {
  if (!config_.is_object()) return;
  for (auto it = config_.begin(); it != config_.end(); ++it) {
    if (std::find(known_.begin(), known_.end(), it.key()) != known_.end()) continue;
    std::string list;
    std::vector<std::string> sorted = known_;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    for (const auto& k : sorted) list += (list.empty() ? "" : ", ") + k;
    fail(owner_, ": unknown option '", it.key(), "' (known: ", list, ")");
  }
}

}  // namespace attn
