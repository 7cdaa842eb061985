// JSON views of a model and of single layers, for callers that speak JSON (the JS bindings, the
// tools): logs, the layer list, every output of a layer, and shape inference for one layer.
#pragma once
#include <string>
#include <vector>

#include "core/json.h"
#include "core/tensor.h"
#include "model/model.h"

namespace attn {

// {"loss": 0.12, "accuracy": 0.9}
Json logsToJson(const Logs& logs);
// [{name, type, outputShape: [null, ...] (or a list of them), params}]
Json layersToJson(const Model& model);
// Every output of the named layer (one for most layers; LSTM with returnState has three).
std::vector<Tensor> allActivations(Model& model, const std::vector<Tensor>& xs, const std::string& layerName);
// Builds the layer on per-sample input shapes without allocating parameters, so a symbolic
// `layer.apply(x)` fails at once, as in Keras:
// {"className", "config" (full options and name), "outputShapes": [[...]], "params"}.
Json inferLayer(const std::string& type, const Json& options, const Json& inputShapes);
// Checks a layer's options as its constructor does (unknown keys, ranges, enum values, nested
// layers), so a factory call such as `layers.dense({units: 0})` fails where it is made, as in
// Keras and TF.js, instead of at apply(). Throws attn::Error naming the layer and the option.
void checkLayerOptions(const std::string& type, const Json& options);

}  // namespace attn
