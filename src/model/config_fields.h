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
// A per-sample input shape [d1, d2, ...] (dropBatch: a batchInputShape [null, d1, ...]).
std::vector<int> shapeList(const Json& shape, const std::string& owner, bool dropBatch);

}  // namespace attn::config_fields
