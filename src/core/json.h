// Layer and model configs are JSON values (nlohmann::json, ordered so that configs print in the
// order they were written). The same objects come from JS as JSON text, so the core validates
// every option in one place.
#pragma once
#include <nlohmann/json.hpp>

namespace attn {
using Json = nlohmann::ordered_json;
}
