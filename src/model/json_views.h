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
// [{name, type, outputShape: [null, ...] (or a list of them), params, attention}]
Json layersToJson(const Model& model);
// The model's inputs, in the order predict and fit take them: [{name, shape: [null, ...]}]
Json inputsToJson(const Model& model);
// Every output of the named layer (one for most layers; LSTM with returnState has three).
std::vector<Tensor> allActivations(Model& model, const std::vector<Tensor>& xs, const std::string& layerName,
                                   int batchSize = 32);
// Builds a layer created by createLayer (its options were checked there, where the mistake is
// made, as Keras' constructors do) on per-sample input shapes without allocating parameters, so
// a symbolic `layer.apply(x)` fails at once, as in Keras. Returns the per-sample output shapes.
std::vector<Shape> symbolicBuild(Layer& layer, const std::vector<std::vector<double>>& inputShapes);

}  // namespace attn
