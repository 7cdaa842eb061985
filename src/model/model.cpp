// The model graph: construction from a config, wiring and building the nodes (shape inference,
// parameters), lookups and toConfig. The config parsers are in config_parsers.cpp, compile in
// compile.cpp, running it in run.cpp, the fit loop in fit.cpp, looking inside in inspect.cpp,
// default names in naming.cpp, Logs/History in history.cpp, the C++ builder in builder.cpp.
#include "model/model.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/check.h"
#include "core/config.h"
#include "layers/registry.h"
#include "model/config_fields.h"
#include "model/node.h"

namespace attn {

using config_fields::objectField;
using detail::plural;

// ---- construction ---------------------------------------------------------------------------------

Model::Model(const Json& config, uint64_t seed, int64_t parameterLimit, Model* valuesOf)
    : rng_(seed ^ 0x9e3779b97f4a7c15ull) {
  ATTN_CHECK(config.is_object() && config.contains("className") && config["className"].is_string(),
             "model: config must be {className: 'Sequential' | 'Model', config: {...}}, got ",
             config.is_object() ? "an object without className" : config.type_name());
  const std::string cls = config["className"].get<std::string>();
  const Json& body = objectField(config, "config", "model");
  if (cls == "Sequential") buildSequential(body);
  else if (cls == "Model" || cls == "Functional") buildFunctional(body);
  else fail("model: unknown model class '", cls, "' (expected Sequential or Model)");
  ATTN_CHECK(params_.totalSize() <= parameterLimit, name_, ": ", params_.totalSize(),
             " parameters exceed the limit of ", parameterLimit);
  Rng init(seed);
  params_.allocate(init, valuesOf ? &valuesOf->params_ : nullptr);
  replica_ = valuesOf != nullptr;
  int64_t state = 0;
  for (const Param& p : params_.params())
    if (!p.trainable) state += p.size();
  stateSnapshot_.resize(Shape{static_cast<int>(state)});
}

Model::~Model() = default;

void Model::buildNodes(std::vector<std::unique_ptr<Node>> nodes) {
  nodes_ = std::move(nodes);
  batchInputs_.resize(inputNodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    Node& node = *nodes_[i];
    if (!node.layer) {
      node.outputShapes = {node.inputShape};
      const int which = static_cast<int>(std::find(inputNodes_.begin(), inputNodes_.end(), static_cast<int>(i)) -
                                         inputNodes_.begin());
      node.outputs = {&batchInputs_[which]};
    } else {
      std::vector<Shape> shapes;
      for (auto [src, k] : node.inbound) {
        const Node& from = *nodes_[src];
        ATTN_CHECK(k < static_cast<int>(from.outputShapes.size()), node.name, ": input '", from.name, "' has ",
                   plural(static_cast<int64_t>(from.outputShapes.size()), "output"), ", not output ", k);
        shapes.push_back(from.outputShapes[k]);
      }
      node.outputShapes = node.layer->build(shapes, params_);
      for (const Shape& out : node.outputShapes)
        ATTN_CHECK(out.numel() <= kMaxSampleValues, node.name, ": output shape ", out.str(true), " holds ",
                   out.numel(), " values per sample, more than the limit of ", kMaxSampleValues);
      ATTN_CHECK(node.layer->outputs().size() == node.outputShapes.size(), node.name, ": the layer declared ",
                 node.layer->outputs().size(), " output tensors but returned ", node.outputShapes.size(), " shapes");
      for (auto& t : node.layer->outputs()) node.outputs.push_back(&t);
      for (auto [src, k] : node.inbound) {
        nodes_[src]->consumers++;
        node.in.push_back(nullptr);  // wired below, once every node has its outputs
        node.inMasks.push_back(nullptr);
        // Inputs (data, token ids) need no gradient.
        node.inGrads.push_back(nullptr);
      }
    }
    node.grads.resize(node.outputShapes.size());
    node.outMasks.assign(node.outputShapes.size(), nullptr);
  }
  for (auto& node : nodes_) {
    for (size_t j = 0; j < node->inbound.size(); ++j) {
      auto [src, k] = node->inbound[j];
      node->in[j] = nodes_[src]->outputs[k];
      node->inGrads[j] = nodes_[src]->layer ? &nodes_[src]->grads[k] : nullptr;
    }
    for (auto& g : node->grads) node->gradPtrs.push_back(&g);
  }
  for (auto [src, k] : outputRefs_) {
    ATTN_CHECK(k < static_cast<int>(nodes_[src]->outputShapes.size()), name_, ": output '", nodes_[src]->name,
               "' has no output ", k);
    ATTN_CHECK(nodes_[src]->layer, name_, ": output '", nodes_[src]->name,
               "' is an InputLayer; a model output must come from a layer");
    nodes_[src]->consumers++;
    OutputSlot slot;
    slot.node = src;
    slot.index = k;
    outputs_.push_back(slot);
  }
  batchTargets_.resize(outputs_.size());
}

int Model::nodeIndex(const std::string& name) const {
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i]->name == name) return static_cast<int>(i);
  return -1;
}

Layer* Model::layer(const std::string& name) {
  int i = nodeIndex(name);
  return i < 0 ? nullptr : nodes_[i]->layer.get();
}

int Model::outputCount() const { return static_cast<int>(outputs_.size()); }
Shape Model::inputShape(int i) const { return nodes_[inputNodes_.at(i)]->inputShape; }
const std::string& Model::inputName(int i) const { return nodes_[inputNodes_.at(i)]->name; }
Shape Model::outputShape(int i) const { return nodes_[outputs_.at(i).node]->outputShapes[outputs_.at(i).index]; }

Json Model::toConfig() const {
  Json layers = Json::array();
  for (const auto& node : nodes_) {
    Json spec;
    if (!node->layer) {
      if (node->hidden) continue;
      spec = Json{{"className", "InputLayer"}, {"config", {{"name", node->name}, {"shape", node->inputShape.toVector()}}}};
    } else {
      spec = layerSpec(*node->layer);
    }
    if (sequential_) {
      if (layers.empty() && node->layer && nodes_[0]->hidden) spec["config"]["inputShape"] = nodes_[0]->inputShape.toVector();
    } else {
      Json inbound = Json::array();
      for (auto [src, k] : node->inbound) inbound.push_back(Json::array({nodes_[src]->name, k}));
      spec["inboundNodes"] = inbound;
    }
    layers.push_back(spec);
  }
  if (sequential_) return Json{{"className", "Sequential"}, {"config", {{"name", name_}, {"layers", layers}}}};
  Json inputs = Json::array(), outputs = Json::array();
  for (int i : inputNodes_) inputs.push_back(Json::array({nodes_[i]->name, 0}));
  for (auto [src, k] : outputRefs_) outputs.push_back(Json::array({nodes_[src]->name, k}));
  return Json{{"className", "Model"},
              {"config", {{"name", name_}, {"layers", layers}, {"inputLayers", inputs}, {"outputLayers", outputs}}}};
}

}  // namespace attn
