// JSON views of a model and of single layers (model/json_views.h), for the bindings and tools.
#include "model/json_views.h"

#include "core/check.h"
#include "layers/registry.h"
#include "model/node.h"

namespace attn {
namespace {
Json batchShape(const Shape& s) {
  Json out = Json::array({nullptr});
  for (int i = 0; i < s.rank; ++i) out.push_back(s[i]);
  return out;
}
}  // namespace

Json logsToJson(const Logs& logs) {
  Json out = Json::object();
  for (size_t i = 0; i < logs.names.size(); ++i) out[logs.names[i]] = logs.values[i];
  return out;
}

Json layersToJson(const Model& model) {
  Json out = Json::array();
  for (const LayerInfo& info : model.layers()) {
    Json shape;
    if (info.outputShapes.size() == 1) {
      shape = batchShape(info.outputShapes[0]);
    } else {
      shape = Json::array();
      for (const Shape& s : info.outputShapes) shape.push_back(batchShape(s));
    }
    out.push_back({{"name", info.name}, {"type", info.type}, {"outputShape", shape}, {"params", info.params},
                   {"attention", info.attention}});
  }
  return out;
}

Json inputsToJson(const Model& model) {
  Json out = Json::array();
  for (int i = 0; i < model.inputCount(); ++i)
    out.push_back({{"name", model.inputName(i)}, {"shape", batchShape(model.inputShape(i))}});
  return out;
}

std::vector<Tensor> allActivations(Model& model, const std::vector<Tensor>& xs, const std::string& layerName,
                                   int batchSize) {
  int outputs = 1;
  for (const LayerInfo& info : model.layers())
    if (info.name == layerName) outputs = static_cast<int>(info.outputShapes.size());
  std::vector<Tensor> out;
  for (int i = 0; i < outputs; ++i) out.push_back(model.getActivations(xs, layerName, i, batchSize));
  return out;
}

std::vector<Shape> symbolicBuild(Layer& layer, const std::vector<std::vector<double>>& inputShapes) {
  std::vector<Shape> shapes;
  for (const std::vector<double>& sizes : inputShapes) {
    ATTN_CHECK(sizes.size() <= static_cast<size_t>(kMaxRank), layer.name(),
               ": each input shape must be a list of at most ", kMaxRank, " sizes");
    std::vector<int> dims;
    for (double d : sizes) {
      ATTN_CHECK(d >= 1 && d < (1 << 30) && d == static_cast<double>(static_cast<int64_t>(d)), layer.name(),
                 ": input sizes must be positive integers, got ", d);
      dims.push_back(static_cast<int>(d));
    }
    shapes.emplace_back(dims);
    ATTN_CHECK(shapes.back().numel() <= kMaxSampleValues, layer.name(), ": input shape ", shapes.back().str(true),
               " holds more than the limit of ", kMaxSampleValues, " values per sample");
  }
  ParamStore scratch;  // declared, never allocated
  std::vector<Shape> out = layer.build(shapes, scratch);
  for (const Shape& s : out)
    ATTN_CHECK(s.numel() <= kMaxSampleValues, layer.name(), ": output shape ", s.str(true), " holds ", s.numel(),
               " values per sample, more than the limit of ", kMaxSampleValues);
  return out;
}

}  // namespace attn
