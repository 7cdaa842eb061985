// Reading the fields of model configs (Keras' Sequential and functional Model JSON), shared by
// the model constructor and the two config parsers; internal to src/model.
#pragma once
#include <string>
#include <vector>

#include "core/json.h"

namespace attn::config_fields {

// A layer config's "name", or "" when it has none.
std::string givenName(const Json& config);
// j[key], or an error "<owner>: missing '<key>'".
const Json& objectField(const Json& j, const char* key, const std::string& owner);
// The one rule for an input shape: option `key` of `owner` is a per-sample shape [d1, d2, ...]
// (dropBatch: a batchInputShape [null, d1, ...]) of positive dimensions, within the rank and
// size limits. Model configs, attn::input() and the JS aw.input() all check shapes here.
std::vector<int> shapeList(const Json& shape, const std::string& owner, const char* key, bool dropBatch);

}  // namespace attn::config_fields
