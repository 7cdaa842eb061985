// Embind bindings: the C++ core as seen from JavaScript. Thin by rule: every function converts
// arguments, calls the core, converts the result; validation and logic live in src/. Every
// attn::Error (and std::exception) becomes a JS Error with the same message, thrown after the
// C++ exception is fully handled, so the module keeps working afterwards.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <string>

#include "core/check.h"
#include "core/json.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

using emscripten::val;

namespace {

[[noreturn]] void throwJsError(const std::string& message) {
  val error = val::global("Error").new_(message);
  error.throw_();
  __builtin_unreachable();
}

// Runs `body`; turns a C++ exception into a JS Error once the catch block has ended.
template <class Body>
auto guarded(Body&& body) -> decltype(body()) {
  std::string message;
  try {
    return body();
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
    message = "attention-wasm: unknown C++ exception";
  }
  throwJsError(message);
}

std::string version() { return ATTN_VERSION; }
std::string simdArchitecture() { return attn::kernels::simdArchitecture(); }

// Validates a layer's options against its per-sample input shapes and returns
// {"className", "name", "config", "outputShapes"} as JSON: lets `layer.apply(x)` fail at once,
// as in Keras, before any model exists.
std::string inferLayer(const std::string& type, const std::string& optionsJson, const std::string& inputShapesJson) {
  return guarded([&] {
    attn::Json options = attn::Json::parse(optionsJson);
    attn::Json shapes = attn::Json::parse(inputShapesJson);
    auto layer = attn::createLayer(type, options);
    std::vector<attn::Shape> in;
    for (const auto& s : shapes) in.emplace_back(s.get<std::vector<int>>());
    attn::ParamStore scratch;
    auto out = layer->build(in, scratch);
    attn::Json result = attn::layerSpec(*layer);
    attn::Json outShapes = attn::Json::array();
    for (const auto& s : out) outShapes.push_back(s.toVector());
    result["outputShapes"] = outShapes;
    result["params"] = layer->countParams();
    return result.dump();
  });
}

}  // namespace

EMSCRIPTEN_BINDINGS(attention_wasm) {
  emscripten::function("version", &version);
  emscripten::function("simdArchitecture", &simdArchitecture);
  emscripten::function("inferLayer", &inferLayer);
}
