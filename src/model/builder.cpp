// The C++ functional builder: symbolic tensors record the graph, then functionalConfig() writes
// the same JSON config the JS API produces and Model builds from it.
#include <map>
#include <set>

#include "core/check.h"
#include "core/config.h"
#include "layers/registry.h"
#include "model/config_fields.h"
#include "model/model.h"

namespace attn {

struct SymbolicNode {
  std::string className;  // "InputLayer" for inputs
  Json options;           // without "name"
  std::string name;       // may be empty: named by the model
  Shape inputShape;       // inputs only
  std::vector<SymbolicTensor> inbound;
  std::vector<Shape> outputShapes;
};

Shape inputOptions(const Json& options) {
  ConfigReader reader(options, "input");
  const Shape shape(config_fields::shapeList(reader.raw("shape"), "input", "shape", false));
  reader.string("name", "");
  reader.oneOf("dtype", "float32", {"float32", "int32"});
  reader.finish();
  return shape;
}

SymbolicTensor input(const Shape& shape, const std::string& name) {
  config_fields::shapeList(Json(shape.toVector()), "input", "shape", false);
  auto node = std::make_shared<SymbolicNode>();
  node->className = "InputLayer";
  node->name = name;
  node->inputShape = shape;
  node->outputShapes = {shape};
  return {node, 0, shape};
}

namespace layers {

std::vector<SymbolicTensor> applyMulti(const std::string& type, const Json& options,
                                       const std::vector<SymbolicTensor>& inputs) {
  ATTN_CHECK(!inputs.empty(), type, ": apply needs at least one input");
  auto layer = createLayer(type, options);
  std::vector<Shape> shapes;
  for (const auto& x : inputs) {
    ATTN_CHECK(x.node, layer->name(), ": apply got an empty symbolic tensor");
    shapes.push_back(x.shape);
  }
  ParamStore scratch;  // shape inference only; the model declares the real parameters
  auto node = std::make_shared<SymbolicNode>();
  node->outputShapes = layer->build(shapes, scratch);
  node->className = layer->className();
  node->options = options.is_null() ? Json::object() : options;
  if (node->options.contains("name")) {
    node->name = layer->name();
    node->options.erase("name");
  }
  node->inbound = inputs;
  std::vector<SymbolicTensor> out;
  for (size_t i = 0; i < node->outputShapes.size(); ++i) out.push_back({node, static_cast<int>(i), node->outputShapes[i]});
  return out;
}

SymbolicTensor apply(const std::string& type, const Json& options, const std::vector<SymbolicTensor>& inputs) {
  auto out = applyMulti(type, options, inputs);
  ATTN_CHECK(out.size() == 1, type, ": the layer has ", out.size(), " outputs; use applyMulti");
  return out[0];
}

SymbolicTensor apply(const std::string& type, const Json& options, const SymbolicTensor& x) {
  return apply(type, options, std::vector<SymbolicTensor>{x});
}

}  // namespace layers

Json functionalConfig(const std::vector<SymbolicTensor>& inputs, const std::vector<SymbolicTensor>& outputs,
                      const std::string& name) {
  ATTN_CHECK(!inputs.empty() && !outputs.empty(), "model: needs at least one input and one output");
  // Post-order from the outputs: every layer after the layers it reads.
  std::vector<const SymbolicNode*> order;
  std::set<const SymbolicNode*> seen;
  auto visit = [&](auto& self, const SymbolicNode* node) -> void {
    if (!seen.insert(node).second) return;
    for (const auto& x : node->inbound) self(self, x.node.get());
    order.push_back(node);
  };
  for (const auto& y : outputs) {
    ATTN_CHECK(y.node, "model: an output is an empty symbolic tensor");
    visit(visit, y.node.get());
  }
  for (const auto& x : inputs) {
    ATTN_CHECK(x.node && x.node->className == "InputLayer" && seen.count(x.node.get()),
               "model: every input must be an input() that the outputs depend on");
  }
  for (const SymbolicNode* node : order)
    if (node->className == "InputLayer") {
      bool listed = false;
      for (const auto& x : inputs) listed = listed || x.node.get() == node;
      ATTN_CHECK(listed, "model: the outputs depend on an input that is not in 'inputs'");
    }
  std::vector<std::string> classNames, given;
  for (const SymbolicNode* node : order) {
    classNames.push_back(node->className);
    given.push_back(node->name);
  }
  const std::vector<std::string> names = defaultLayerNames(classNames, given);
  std::map<const SymbolicNode*, std::string> nameOf;
  for (size_t i = 0; i < order.size(); ++i) nameOf[order[i]] = names[i];

  Json layers = Json::array();
  for (size_t i = 0; i < order.size(); ++i) {
    const SymbolicNode* node = order[i];
    Json config = Json::object();
    config["name"] = names[i];
    if (node->className == "InputLayer") {
      config["shape"] = node->inputShape.toVector();
    } else {
      for (auto& [key, value] : node->options.items()) config[key] = value;
    }
    Json inbound = Json::array();
    for (const auto& x : node->inbound) inbound.push_back(Json::array({nameOf[x.node.get()], x.index}));
    layers.push_back(Json{{"className", node->className}, {"config", config}, {"inboundNodes", inbound}});
  }
  Json in = Json::array(), out = Json::array();
  for (const auto& x : inputs) in.push_back(Json::array({nameOf[x.node.get()], 0}));
  for (const auto& y : outputs) out.push_back(Json::array({nameOf[y.node.get()], y.index}));
  return Json{{"className", "Model"},
              {"config", {{"name", name}, {"layers", layers}, {"inputLayers", in}, {"outputLayers", out}}}};
}

Json functionalConfig(const Json& graph) {
  ATTN_CHECK(graph.is_object() && graph.contains("nodes") && graph["nodes"].is_array(),
             "model: a graph needs a list of nodes");
  const Json& list = graph["nodes"];
  std::vector<std::shared_ptr<SymbolicNode>> nodes;
  for (const Json& spec : list) {
    auto node = std::make_shared<SymbolicNode>();
    node->className = spec.at("className").get<std::string>();
    node->options = spec.value("config", Json::object());
    if (node->options.contains("name")) {
      node->name = node->options["name"].get<std::string>();
      node->options.erase("name");
    }
    if (node->className == "InputLayer") node->inputShape = Shape(spec.at("shape").get<std::vector<int>>());
    nodes.push_back(std::move(node));
  }
  // [node index, output index] -> the symbolic tensor
  auto tensorAt = [&](const Json& ref) {
    ATTN_CHECK(ref.is_array() && ref.size() == 2 && ref[0].is_number_integer() && ref[1].is_number_integer() &&
                   ref[0].get<int>() >= 0 && ref[0].get<size_t>() < nodes.size(),
               "model: a graph reference must be [node index, output index], got ", ref.dump());
    return SymbolicTensor{nodes[ref[0].get<size_t>()], ref[1].get<int>(), Shape()};
  };
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const Json& ref : list[i].value("inbound", Json::array())) nodes[i]->inbound.push_back(tensorAt(ref));
  std::vector<SymbolicTensor> inputs, outputs;
  for (const Json& ref : graph.value("inputs", Json::array())) inputs.push_back(tensorAt(ref));
  for (const Json& ref : graph.value("outputs", Json::array())) outputs.push_back(tensorAt(ref));
  return functionalConfig(inputs, outputs, graph.value("name", std::string("model")));
}

std::unique_ptr<Model> functionalModel(const std::vector<SymbolicTensor>& inputs,
                                       const std::vector<SymbolicTensor>& outputs, const std::string& name,
                                       uint64_t seed) {
  return std::make_unique<Model>(functionalConfig(inputs, outputs, name), seed);
}

uint64_t modelSeed(const Json& options) {
  ConfigReader reader(options, "model");
  const uint64_t seed = reader.seed("seed").value_or(kDefaultModelSeed);
  reader.finish();
  return seed;
}

std::unique_ptr<Model> sequentialModel(const std::vector<Json>& layers, const std::string& name, uint64_t seed) {
  Json list = Json::array();
  for (const Json& spec : layers) list.push_back(spec);
  return std::make_unique<Model>(Json{{"className", "Sequential"}, {"config", {{"name", name}, {"layers", list}}}},
                                 seed);
}

}  // namespace attn
