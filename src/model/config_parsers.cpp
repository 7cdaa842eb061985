// The two config formats a model is built from: Keras' Sequential (a list of layers, the first
// carrying the input shape) and functional Model (named layers with inbound references). Both
// end in Model::buildNodes (model.cpp), which wires and builds the graph.
#include <algorithm>
#include <map>
#include <set>

#include "core/check.h"
#include "layers/registry.h"
#include "model/config_fields.h"
#include "model/model.h"
#include "model/node.h"

namespace attn {

using config_fields::givenName;
using config_fields::objectField;
using config_fields::shapeList;
using detail::plural;

void Model::buildSequential(const Json& config) {
  sequential_ = true;
  name_ = config.is_object() && config.contains("name") && config["name"].is_string()
              ? config["name"].get<std::string>() : "sequential";
  const Json& specs = objectField(config, "layers", "sequential");
  ATTN_CHECK(specs.is_array() && !specs.empty(), name_, ": 'layers' must be a non-empty array");
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<std::string> classNames, given;
  std::vector<Json> options;
  Shape inputShape;
  bool haveInput = false;
  std::string inputName;
  for (size_t i = 0; i < specs.size(); ++i) {
    const Json& spec = specs[i];
    ATTN_CHECK(spec.is_object() && spec.contains("className") && spec["className"].is_string(), name_,
               ": layer ", i, " must be {className, config}, got ", spec.dump());
    const std::string cls = spec["className"].get<std::string>();
    Json opts = spec.value("config", Json::object());
    ATTN_CHECK(opts.is_object(), name_, ": layer ", i, " config must be an object");
    if (cls == "InputLayer") {
      ATTN_CHECK(i == 0, name_, ": an InputLayer may only come first");
      inputShape = Shape(shapeList(objectField(opts, "shape", name_ + ": InputLayer"), name_, "shape", false));
      inputName = givenName(opts);
      haveInput = true;
      continue;
    }
    if (!haveInput && classNames.empty()) {
      // Keras: the first layer carries the input shape.
      if (opts.contains("inputShape")) inputShape = Shape(shapeList(opts["inputShape"], name_, "inputShape", false));
      else if (opts.contains("batchInputShape")) inputShape = Shape(shapeList(opts["batchInputShape"], name_, "batchInputShape", true));
      else fail(name_, ": the first layer needs an 'inputShape' option");
      haveInput = true;
    }
    opts.erase("inputShape");
    opts.erase("batchInputShape");
    classNames.push_back(cls);
    given.push_back(givenName(opts));
    opts.erase("name");
    options.push_back(std::move(opts));
  }
  ATTN_CHECK(!classNames.empty(), name_, ": a Sequential model needs at least one layer besides its input");
  std::vector<std::string> names = defaultLayerNames(classNames, given);
  ATTN_CHECK(std::find(names.begin(), names.end(), inputName) == names.end(), "model: the layer name '", inputName,
             "' is used twice (layer names must be unique)");
  auto input = std::make_unique<Node>();
  input->name = inputName.empty() ? names[0] + "_input" : inputName;
  input->className = "InputLayer";
  input->inputShape = inputShape;
  input->hidden = inputName.empty();
  nodes.push_back(std::move(input));
  for (size_t i = 0; i < classNames.size(); ++i) {
    auto node = std::make_unique<Node>();
    node->name = names[i];
    options[i]["name"] = names[i];  // so that option errors name the layer as the model does
    node->layer = createLayer(classNames[i], options[i]);
    node->className = node->layer->className();
    node->inbound = {{static_cast<int>(i), 0}};
    nodes.push_back(std::move(node));
  }
  inputNodes_ = {0};
  outputRefs_ = {{static_cast<int>(nodes.size()) - 1, 0}};
  buildNodes(std::move(nodes));
}

void Model::buildFunctional(const Json& config) {
  name_ = config.is_object() && config.contains("name") && config["name"].is_string()
              ? config["name"].get<std::string>() : "model";
  const Json& specs = objectField(config, "layers", name_);
  ATTN_CHECK(specs.is_array() && !specs.empty(), name_, ": 'layers' must be a non-empty array");
  std::vector<std::string> classNames, given;
  for (size_t i = 0; i < specs.size(); ++i) {
    const Json& spec = specs[i];
    ATTN_CHECK(spec.is_object() && spec.contains("className") && spec["className"].is_string(), name_,
               ": layer ", i, " must be {className, config, inboundNodes}, got ", spec.dump());
    classNames.push_back(spec["className"].get<std::string>());
    given.push_back(givenName(spec.value("config", Json::object())));
  }
  std::vector<std::string> names = defaultLayerNames(classNames, given);
  std::map<std::string, int> byName;
  for (size_t i = 0; i < names.size(); ++i) byName[names[i]] = static_cast<int>(i);

  // Parse every spec, then order them topologically (inputs may be listed in any order).
  struct Parsed {
    std::unique_ptr<Node> node;
    std::vector<std::pair<std::string, int>> inbound;
  };
  std::vector<Parsed> parsed(specs.size());
  // [layerName, outputIndex]; Keras' own [layerName, nodeIndex, tensorIndex(, kwargs)] reads its
  // tensorIndex (models here call each layer once, so nodeIndex is 0).
  auto parseRef = [&](const Json& ref, const std::string& owner) -> std::pair<std::string, int> {
    if (ref.is_string()) return {ref.get<std::string>(), 0};
    const size_t at = ref.is_array() && ref.size() >= 3 ? 2 : 1;
    ATTN_CHECK(ref.is_array() && !ref.empty() && ref[0].is_string() &&
                   (ref.size() <= at || (ref[at].is_number_integer() && ref[at].get<int64_t>() >= 0 &&
                                         ref[at].get<int64_t>() < 1024)),
               owner, ": a tensor reference must be [layerName, outputIndex], got ", ref.dump());
    return {ref[0].get<std::string>(), ref.size() > at ? ref[at].get<int>() : 0};
  };
  for (size_t i = 0; i < specs.size(); ++i) {
    Json opts = specs[i].value("config", Json::object());
    ATTN_CHECK(opts.is_object(), names[i], ": config must be an object");
    opts.erase("name");
    auto node = std::make_unique<Node>();
    node->name = names[i];
    if (classNames[i] == "InputLayer") {
      node->className = "InputLayer";
      const Json* shape = opts.contains("shape") ? &opts["shape"] : opts.contains("batchInputShape") ? &opts["batchInputShape"] : nullptr;
      ATTN_CHECK(shape, names[i], ": an InputLayer needs a 'shape'");
      node->inputShape = Shape(shapeList(*shape, names[i], opts.contains("shape") ? "shape" : "batchInputShape", !opts.contains("shape")));
    } else {
      opts["name"] = names[i];
      node->layer = createLayer(classNames[i], opts);
      node->className = node->layer->className();
      const Json* listed = specs[i].contains("inboundNodes") ? &specs[i]["inboundNodes"] : nullptr;
      // Keras nests the references one level deeper, per call node: [[[name, 0, 0, {}], ...]].
      if (listed && listed->is_array() && listed->size() == 1 && (*listed)[0].is_array() && !(*listed)[0].empty() &&
          (*listed)[0][0].is_array())
        listed = &(*listed)[0];
      const Json& inbound = listed ? *listed : Json();
      ATTN_CHECK(inbound.is_array() && !inbound.empty(), names[i],
                 ": 'inboundNodes' must list the layer's inputs as [[layerName, outputIndex], ...]");
      for (const Json& ref : inbound) {
        auto r = parseRef(ref, names[i]);
        ATTN_CHECK(byName.count(r.first), names[i], ": unknown inbound layer '", r.first, "'");
        parsed[i].inbound.push_back(r);
      }
    }
    parsed[i].node = std::move(node);
  }
  // Kahn's algorithm, keeping the listed order among ready layers.
  std::vector<int> order, position(specs.size(), -1);
  std::vector<bool> placed(specs.size(), false);
  while (order.size() < specs.size()) {
    bool progress = false;
    for (size_t i = 0; i < specs.size(); ++i) {
      if (placed[i]) continue;
      bool ready = true;
      for (auto& r : parsed[i].inbound) ready = ready && placed[byName[r.first]];
      if (!ready) continue;
      placed[i] = true;
      position[i] = static_cast<int>(order.size());
      order.push_back(static_cast<int>(i));
      progress = true;
    }
    if (!progress) {
      for (size_t i = 0; i < specs.size(); ++i)
        if (!placed[i]) fail(name_, ": the layers form a cycle (", names[i], " depends on itself)");
    }
  }
  std::vector<std::unique_ptr<Node>> nodes;
  for (int i : order) {
    for (auto& r : parsed[i].inbound) parsed[i].node->inbound.push_back({position[byName[r.first]], r.second});
    nodes.push_back(std::move(parsed[i].node));
  }
  auto refList = [&](const char* key) {
    const Json& list = objectField(config, key, name_);
    ATTN_CHECK(list.is_array() && !list.empty(), name_, ": '", key, "' must be a non-empty array of [layerName, index]");
    std::vector<std::pair<int, int>> out;
    for (const Json& ref : list) {
      auto r = parseRef(ref, name_);
      ATTN_CHECK(byName.count(r.first), name_, ": '", key, "' names an unknown layer '", r.first, "'");
      out.push_back({position[byName[r.first]], r.second});
    }
    return out;
  };
  for (auto& r : refList("inputLayers")) {
    ATTN_CHECK(nodes[r.first]->className == "InputLayer" && r.second == 0, name_, ": input '", nodes[r.first]->name,
               "' is not an InputLayer");
    inputNodes_.push_back(r.first);
  }
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i]->className == "InputLayer")
      ATTN_CHECK(std::count(inputNodes_.begin(), inputNodes_.end(), static_cast<int>(i)) == 1, name_,
                 ": InputLayer '", nodes[i]->name, "' must be listed exactly once in 'inputLayers'");
  outputRefs_ = refList("outputLayers");
  buildNodes(std::move(nodes));
}

}  // namespace attn
