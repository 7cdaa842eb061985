// ConfigReader: reads a layer's options from its JSON config with clear errors, and rejects
// keys it did not read ("lstm_1: unknown option 'unit' (known: units, returnSequences, ...)").
//
//   ConfigReader options(config, name);
//   units_ = options.positiveInt("units");
//   useBias_ = options.boolean("useBias", true);
//   options.finish();
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace attn {

class ConfigReader {
 public:
  // `owner` names the layer (or entry point) in error messages.
  ConfigReader(const Json& config, std::string owner);

  bool has(const char* key) const;
  int integer(const char* key);                  // required
  int integer(const char* key, int fallback);
  int positiveInt(const char* key);              // required, >= 1
  int positiveInt(const char* key, int fallback);
  float number(const char* key, float fallback);
  float numberInRange(const char* key, float fallback, float low, float high);  // low <= x <= high
  bool boolean(const char* key, bool fallback);
  // A random seed: any non-negative integer a JS number holds exactly (below 2^53).
  std::optional<uint64_t> seed(const char* key);
  std::string string(const char* key, const std::string& fallback);
  std::string oneOf(const char* key, const std::string& fallback, const std::vector<const char*>& allowed);
  std::vector<int> intList(const char* key);     // required
  std::vector<int> intList(const char* key, const std::vector<int>& fallback);
  // Raw access to a nested value (a sub-layer config, a regularizer object); null when absent.
  const Json& raw(const char* key);

  // Throws for every key present in the config that no accessor asked for.
  void finish() const;
  const std::string& owner() const { return owner_; }

 private:
  const Json* lookup(const char* key);
  [[noreturn]] void wrongType(const char* key, const char* expected, const Json& got) const;

  const Json& config_;
  std::string owner_;
  std::vector<std::string> known_;
};

}  // namespace attn
