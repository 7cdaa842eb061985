// The model graph: config parsing, shape inference, forward/backward over the DAG, the loss and
// optimizer wiring, and the inference helpers. The fit loop is in fit.cpp, the builder in builder.cpp.
#include "model/model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include "core/check.h"
#include "core/config.h"
#include "layers/registry.h"

namespace attn {

struct Model::Node {
  std::string name;
  std::string className;         // "InputLayer" for inputs
  std::unique_ptr<Layer> layer;  // null for inputs
  Shape inputShape;              // inputs only: per sample
  bool hidden = false;           // a Sequential's implicit input: not listed in layers()/summary
  std::vector<std::pair<int, int>> inbound;  // (node, output index)
  std::vector<Shape> outputShapes;           // per sample
  int consumers = 0;                         // uses of this node's outputs by other nodes and model outputs

  // Wiring, fixed after build: tensors live in layers and in the model's batch tensors.
  std::vector<const Tensor*> outputs;  // per output
  std::vector<const Tensor*> in, inMasks;
  std::vector<Tensor*> inGrads;
  std::vector<Tensor> grads;  // dLoss/dOutput per output (unused for inputs)
  std::vector<const Tensor*> gradPtrs;
  std::vector<const Tensor*> outMasks;  // per output, refreshed by every forward
};

struct Model::OutputSlot {
  int node = 0, index = 0;
  std::string prefix;  // "" for a single output, else "<layer>_"
  LossKind loss = LossKind::MeanSquaredError;
  bool fused = false;  // the loss reads the layer's logits and hands back dLoss/dLogits
  std::vector<MetricKind> metrics;
  int lossSlot = 0;                 // index of "<out>_loss" in metricNames_ (0 = "loss" when single)
  std::vector<int> metricSlots;     // per metric
};

// ---- Logs / History ----------------------------------------------------------------------------

bool Logs::has(const std::string& name) const { return std::find(names.begin(), names.end(), name) != names.end(); }

double Logs::at(const std::string& name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return values[i];
  fail("logs: no entry '", name, "'");
}

void Logs::set(const std::string& name, double value) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) {
      values[i] = value;
      return;
    }
  names.push_back(name);
  values.push_back(value);
}

const std::vector<double>& History::at(const std::string& key) const {
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key) return values[i];
  fail("history: no entry '", key, "'");
}

bool History::has(const std::string& key) const { return std::find(keys.begin(), keys.end(), key) != keys.end(); }

// ---- naming ---------------------------------------------------------------------------------------

std::vector<std::string> defaultLayerNames(const std::vector<std::string>& classNames,
                                           const std::vector<std::string>& given) {
  std::set<std::string> taken;
  for (const auto& g : given)
    if (!g.empty()) {
      ATTN_CHECK(taken.insert(g).second, "model: the layer name '", g, "' is used twice (layer names must be unique)");
    }
  std::map<std::string, int> counters;
  std::vector<std::string> out(given.size());
  for (size_t i = 0; i < given.size(); ++i) {
    if (!given[i].empty()) {
      out[i] = given[i];
      continue;
    }
    const LayerType* type = findLayerType(classNames[i]);
    const std::string base =
        classNames[i] == "InputLayer" ? "input" : snakeCase(type ? type->className : classNames[i]);
    std::string name;
    do {
      name = base + "_" + std::to_string(++counters[base]);
    } while (taken.count(name));
    taken.insert(name);
    out[i] = name;
  }
  return out;
}

namespace {

std::string givenName(const Json& config) {
  if (!config.is_object() || !config.contains("name")) return "";
  ATTN_CHECK(config["name"].is_string() && !config["name"].get<std::string>().empty(),
             "model: a layer's 'name' must be a non-empty string, got ", config["name"].dump());
  return config["name"].get<std::string>();
}

const Json& objectField(const Json& j, const char* key, const std::string& owner) {
  ATTN_CHECK(j.is_object() && j.contains(key), owner, ": missing '", key, "'");
  return j[key];
}

std::vector<int> shapeList(const Json& shape, const std::string& owner, bool dropBatch) {
  ATTN_CHECK(shape.is_array(), owner, ": an input shape must be an array of positive integers, got ", shape.dump());
  std::vector<int> dims;
  size_t start = dropBatch ? 1 : 0;
  ATTN_CHECK(shape.size() >= start, owner, ": batchInputShape must start with the batch dimension (null)");
  for (size_t i = start; i < shape.size(); ++i) {
    ATTN_CHECK(shape[i].is_number_integer() && shape[i].get<int64_t>() >= 1 && shape[i].get<int64_t>() < (1 << 30),
               owner, ": an input shape must be an array of positive integers, got ", shape.dump());
    dims.push_back(shape[i].get<int>());
  }
  ATTN_CHECK(dims.size() + 1 <= static_cast<size_t>(kMaxRank), owner, ": input rank ", dims.size(),
             " exceeds the maximum of ", kMaxRank - 1);
  return dims;
}

std::string plural(int64_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

// "1,234"
std::string withCommas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

// ---- construction ---------------------------------------------------------------------------------

Model::Model(const Json& config, uint64_t seed, int64_t parameterLimit) : rng_(seed ^ 0x9e3779b97f4a7c15ull) {
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
  params_.allocate(init);
}

Model::~Model() = default;

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
      inputShape = Shape(shapeList(objectField(opts, "shape", name_ + ": InputLayer"), name_, false));
      inputName = givenName(opts);
      haveInput = true;
      continue;
    }
    if (!haveInput && classNames.empty()) {
      // Keras: the first layer carries the input shape.
      if (opts.contains("inputShape")) inputShape = Shape(shapeList(opts["inputShape"], name_, false));
      else if (opts.contains("batchInputShape")) inputShape = Shape(shapeList(opts["batchInputShape"], name_, true));
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
      node->inputShape = Shape(shapeList(*shape, names[i], !opts.contains("shape")));
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

// ---- compile --------------------------------------------------------------------------------------

void Model::compile(const Json& options) {
  ConfigReader reader(options, "compile");
  const Json& optimizerSpec = reader.raw("optimizer");
  const Json& lossSpec = reader.raw("loss");
  const Json& metricSpec = reader.raw("metrics");
  reader.finish();
  ATTN_CHECK(!lossSpec.is_null(), "compile: 'loss' is required");
  auto optimizer = createOptimizer(optimizerSpec.is_null() ? Json("rmsprop") : optimizerSpec);

  std::vector<LossKind> losses;
  Json lossConfig;
  if (lossSpec.is_string()) {
    losses.assign(outputs_.size(), parseLoss(lossSpec.get<std::string>(), "compile"));
    lossConfig = lossName(losses[0]);
  } else if (lossSpec.is_array()) {
    ATTN_CHECK(lossSpec.size() == outputs_.size(), "compile: 'loss' lists ", lossSpec.size(),
               " losses for a model with ", plural(outputCount(), "output"));
    lossConfig = Json::array();
    for (const Json& l : lossSpec) {
      ATTN_CHECK(l.is_string(), "compile: every loss must be a name, got ", l.dump());
      losses.push_back(parseLoss(l.get<std::string>(), "compile"));
      lossConfig.push_back(lossName(losses.back()));
    }
  } else if (lossSpec.is_object()) {
    // {outputLayerName: lossName}, as Keras accepts.
    lossConfig = Json::array();
    for (const auto& slot : outputs_) {
      const std::string& name = nodes_[slot.node]->name;
      ATTN_CHECK(lossSpec.contains(name) && lossSpec[name].is_string(), "compile: 'loss' has no loss name for output '",
                 name, "'");
      losses.push_back(parseLoss(lossSpec[name].get<std::string>(), "compile"));
      lossConfig.push_back(lossName(losses.back()));
    }
    ATTN_CHECK(lossSpec.size() == outputs_.size(), "compile: 'loss' names ", lossSpec.size(), " outputs, the model has ",
               outputs_.size());
  } else {
    fail("compile: 'loss' must be a loss name, one name per output, or {outputName: lossName}, got ", lossSpec.dump());
  }
  std::vector<std::pair<MetricKind, std::string>> metrics;
  Json metricConfig = Json::array();
  if (!metricSpec.is_null()) {
    ATTN_CHECK(metricSpec.is_array() || metricSpec.is_string(), "compile: 'metrics' must be an array of names, got ",
               metricSpec.dump());
    Json list = metricSpec.is_array() ? metricSpec : Json::array({metricSpec});
    for (const Json& m : list) {
      ATTN_CHECK(m.is_string(), "compile: every metric must be a name, got ", m.dump());
      const std::string name = m.get<std::string>();
      if (name == "accuracy" || name == "acc") metrics.push_back({MetricKind::Accuracy, name});
      else if (name == "mse" || name == "meanSquaredError") metrics.push_back({MetricKind::Mse, name});
      else if (name == "mae" || name == "meanAbsoluteError") metrics.push_back({MetricKind::Mae, name});
      else fail("compile: unknown metric '", name, "' (expected accuracy, mse or mae)");
      metricConfig.push_back(name);
    }
  }

  metricNames_ = {"loss"};
  const bool multi = outputs_.size() > 1;
  for (auto& node : nodes_)
    if (node->layer) node->layer->setLogitGradients(false);
  for (size_t o = 0; o < outputs_.size(); ++o) {
    OutputSlot& slot = outputs_[o];
    Node& node = *nodes_[slot.node];
    slot.prefix = multi ? node.name + "_" : "";
    slot.loss = losses[o];
    // Fuse the final sigmoid/softmax into the cross-entropy when nothing else reads that output.
    const Activation fusable = fusableActivation(slot.loss);
    slot.fused = node.layer && slot.index == 0 && fusable != Activation::Linear &&
                 node.layer->outputActivation() == fusable && node.layer->outputLogits() && node.consumers == 1;
    if (slot.fused) node.layer->setLogitGradients(true);
    if (multi) {
      slot.lossSlot = static_cast<int>(metricNames_.size());
      metricNames_.push_back(slot.prefix + "loss");
    } else {
      slot.lossSlot = -1;
    }
  }
  for (auto& slot : outputs_) {
    slot.metrics.clear();
    slot.metricSlots.clear();
    for (auto& [kind, key] : metrics) {
      slot.metrics.push_back(kind);
      slot.metricSlots.push_back(static_cast<int>(metricNames_.size()));
      metricNames_.push_back(slot.prefix + key);
    }
  }
  optimizer->reset(params_.trainableSize());
  optimizer_ = std::move(optimizer);
  ++compileGeneration_;
  compileConfig_ = Json{{"optimizer", optimizer_->config()}, {"loss", lossConfig}, {"metrics", metricConfig}};
}

Json Model::compileConfig() const { return compiled() ? compileConfig_ : Json(); }

void Model::checkCompiled(const char* entry) const {
  ATTN_CHECK(compiled(), entry, ": the model must be compiled first (call compile)");
}

// ---- data -----------------------------------------------------------------------------------------

int Model::checkData(const char* entry, const std::vector<Tensor>& xs, const std::vector<Tensor>* ys) const {
  ATTN_CHECK(xs.size() == inputNodes_.size(), entry, ": the model has ", plural(inputCount(), "input"), ", got ",
             plural(static_cast<int64_t>(xs.size()), "input tensor"));
  int samples = -1;
  auto checkFinite = [&](const Tensor& t, const char* what, size_t i) {
    const float* d = t.data();
    const int64_t rowSize = t.dim(0) ? t.size() / t.dim(0) : 1;
    for (int64_t j = 0; j < t.size(); ++j)
      if (!std::isfinite(d[j]))
        fail(entry, ": ", what, " ", i, " contains ", std::isnan(d[j]) ? "NaN" : "Infinity", " at sample ",
             j / rowSize);
  };
  for (size_t i = 0; i < xs.size(); ++i) {
    const Node& node = *nodes_[inputNodes_[i]];
    const Shape& s = xs[i].shape();
    ATTN_CHECK(s.rank == node.inputShape.rank + 1 && s.dropFirst() == node.inputShape, entry, ": input ", i, " (",
               node.name, ") expected shape ", node.inputShape.str(true), ", got ", s.str());
    if (samples < 0) samples = s[0];
    ATTN_CHECK(s[0] == samples, entry, ": all inputs and targets need the same number of samples: input 0 has ",
               samples, ", input ", i, " has ", s[0]);
  }
  ATTN_CHECK(samples > 0, entry, ": no samples (the inputs have 0 rows)");
  for (size_t i = 0; i < xs.size(); ++i) checkFinite(xs[i], "input", i);
  if (!ys) return samples;
  ATTN_CHECK(ys->size() == outputs_.size(), entry, ": the model has ", plural(outputCount(), "output"), ", got ",
             plural(static_cast<int64_t>(ys->size()), "target tensor"));
  for (size_t o = 0; o < ys->size(); ++o) {
    const Shape& s = (*ys)[o].shape();
    const Shape out = outputShape(static_cast<int>(o));
    const std::string& name = nodes_[outputs_[o].node]->name;
    bool ok;
    if (compiled() && outputs_[o].loss == LossKind::SparseCategoricalCrossentropy) {
      // Class ids: the output's shape without its class axis, or with a class axis of 1.
      Shape ids = out;
      ids[-1] = 1;
      Shape noLast = out;
      noLast.rank = out.rank - 1;
      ok = s.rank >= 1 && (s.dropFirst() == ids || s.dropFirst() == noLast);
      ATTN_CHECK(ok, entry, ": target ", o, " (", name, ") expected class ids of shape ",
                 noLast.str(true), " or ", ids.str(true), ", got ", s.str());
    } else {
      ok = s.rank == out.rank + 1 && s.dropFirst() == out;
      ATTN_CHECK(ok, entry, ": target ", o, " (", name, ") expected shape ", out.str(true), ", got ", s.str());
    }
    ATTN_CHECK(s[0] == samples, entry, ": all inputs and targets need the same number of samples: input 0 has ",
               samples, ", target ", o, " has ", s[0]);
    checkFinite((*ys)[o], "target", o);
    if (compiled() && outputs_[o].loss == LossKind::SparseCategoricalCrossentropy) {
      const int classes = out.back();
      const Tensor& t = (*ys)[o];
      for (int64_t j = 0; j < t.size(); ++j)
        ATTN_CHECK(t[j] >= 0.f && t[j] < classes && t[j] == std::floor(t[j]), entry, ": target ", o, " (", name,
                   ") holds ", t[j], ", not a class id in [0, ", classes, ")");
    }
  }
  return samples;
}

void Model::gatherBatch(const std::vector<Tensor>& xs, const std::vector<Tensor>* ys, const int* order, int start,
                        int count) {
  auto gather = [&](const Tensor& src, Tensor& dst) {
    const Shape& s = src.shape();
    Shape b = s;
    b[0] = count;
    dst.resize(b);
    const int64_t row = s[0] ? src.size() / s[0] : 0;
    for (int i = 0; i < count; ++i) {
      const int64_t r = order ? order[start + i] : start + i;
      std::memcpy(dst.data() + i * row, src.data() + r * row, row * sizeof(float));
    }
  };
  for (size_t i = 0; i < xs.size(); ++i) gather(xs[i], batchInputs_[i]);
  if (ys)
    for (size_t o = 0; o < ys->size(); ++o) gather((*ys)[o], batchTargets_[o]);
}

// ---- forward / backward ---------------------------------------------------------------------------

void Model::forward(bool training, Rng* rng) {
  for (auto& nodePtr : nodes_) {
    Node& node = *nodePtr;
    if (!node.layer) continue;
    for (size_t j = 0; j < node.inbound.size(); ++j)
      node.inMasks[j] = nodes_[node.inbound[j].first]->outMasks[node.inbound[j].second];
    ForwardPass pass{node.in, node.inMasks, training, rng};
    node.layer->forward(pass);
    for (size_t k = 0; k < node.outMasks.size(); ++k) node.outMasks[k] = node.layer->outputMask(pass, static_cast<int>(k));
  }
}

double Model::runBatch(bool training, Rng* rng, std::vector<double>& totals, std::vector<double>& weights) {
  forward(training, rng);
  const int batch = batchInputs_[0].dim(0);
  if (training) {
    params_.zeroGrads();
    for (auto& node : nodes_) {
      if (!node->layer) continue;
      for (size_t k = 0; k < node->grads.size(); ++k) {
        node->grads[k].resize(node->outputs[k]->shape());
        node->grads[k].zero();
      }
    }
  }
  double loss = 0;
  for (size_t o = 0; o < outputs_.size(); ++o) {
    OutputSlot& slot = outputs_[o];
    Node& node = *nodes_[slot.node];
    const Tensor* output = node.outputs[slot.index];
    const Tensor* mask = node.outMasks[slot.index];
    const int64_t rows = output->size() / std::max(1, output->shape().back());
    if (mask && mask->size() != rows) mask = nullptr;
    LossInput in{slot.fused ? node.layer->outputLogits() : output, slot.fused, &batchTargets_[o], mask};
    const double value = computeLoss(slot.loss, in, training ? &node.grads[slot.index] : nullptr, node.name);
    loss += value;
    if (slot.lossSlot >= 0) {
      totals[slot.lossSlot] += value * batch;
      weights[slot.lossSlot] += batch;
    }
    // Metrics read the layer's real output, not its logits.
    LossInput real{output, false, in.target, mask};
    for (size_t m = 0; m < slot.metrics.size(); ++m) {
      const int at = slot.metricSlots[m];
      if (slot.metrics[m] == MetricKind::Accuracy) {
        MetricSum sum;
        accumulateAccuracy(accuracyKindFor(slot.loss, output->shape(), in.target->shape()), real, sum);
        totals[at] += sum.total;
        weights[at] += sum.weight;
      } else {
        double w = 0;
        const double v = computeLoss(slot.metrics[m] == MetricKind::Mse ? LossKind::MeanSquaredError
                                                                        : LossKind::MeanAbsoluteError,
                                     real, nullptr, node.name, 1.f, &w);
        totals[at] += v * w;
        weights[at] += w;
      }
    }
  }
  if (training) {
    for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
      Node& node = **it;
      if (!node.layer) continue;
      node.layer->backward(BackwardPass{node.in, node.inMasks, node.gradPtrs, node.inGrads});
    }
    loss += params_.applyRegularization();
    optimizer_->step(params_.trainableValues(), params_.trainableGrads(), params_.trainableSize());
  } else {
    loss += params_.regularizationLoss();
  }
  totals[0] += loss * batch;
  weights[0] += batch;
  return loss;
}

Logs Model::logsFrom(const std::vector<double>& totals, const std::vector<double>& weights, const char* prefix) const {
  Logs logs;
  for (size_t i = 0; i < metricNames_.size(); ++i)
    logs.set(prefix + metricNames_[i], weights[i] > 0 ? totals[i] / weights[i] : 0.0);
  return logs;
}

// ---- inference ------------------------------------------------------------------------------------

std::vector<Tensor> Model::predict(const std::vector<Tensor>& xs, int batchSize) {
  ATTN_CHECK(batchSize >= 1, "predict: batchSize must be >= 1, got ", batchSize);
  const int samples = checkData("predict", xs, nullptr);
  std::vector<Tensor> out;
  for (int o = 0; o < outputCount(); ++o) out.emplace_back(outputShape(o).withBatch(samples));
  for (int start = 0; start < samples; start += batchSize) {
    const int count = std::min(batchSize, samples - start);
    gatherBatch(xs, nullptr, nullptr, start, count);
    forward(false, &rng_);
    for (int o = 0; o < outputCount(); ++o) {
      const Tensor& y = *nodes_[outputs_[o].node]->outputs[outputs_[o].index];
      std::memcpy(out[o].data() + static_cast<int64_t>(start) * (out[o].size() / samples), y.data(),
                  y.size() * sizeof(float));
    }
  }
  return out;
}

Logs Model::evaluate(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, int batchSize) {
  checkCompiled("evaluate");
  ATTN_CHECK(batchSize >= 1, "evaluate: batchSize must be >= 1, got ", batchSize);
  const int samples = checkData("evaluate", xs, &ys);
  std::vector<double> totals(metricNames_.size(), 0.0), weights(metricNames_.size(), 0.0);
  for (int start = 0; start < samples; start += batchSize) {
    const int count = std::min(batchSize, samples - start);
    gatherBatch(xs, &ys, nullptr, start, count);
    runBatch(false, &rng_, totals, weights);
  }
  return logsFrom(totals, weights, "");
}

Logs Model::trainOnBatch(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys) {
  checkCompiled("trainOnBatch");
  const int samples = checkData("trainOnBatch", xs, &ys);
  std::vector<double> totals(metricNames_.size(), 0.0), weights(metricNames_.size(), 0.0);
  gatherBatch(xs, &ys, nullptr, 0, samples);
  runBatch(true, &rng_, totals, weights);
  return logsFrom(totals, weights, "");
}

Tensor Model::getActivations(const std::vector<Tensor>& xs, const std::string& layerName, int outputIndex,
                             int batchSize) {
  const int at = nodeIndex(layerName);
  ATTN_CHECK(at >= 0, "getActivations: no layer named '", layerName, "'");
  const Node& node = *nodes_[at];
  ATTN_CHECK(outputIndex >= 0 && outputIndex < static_cast<int>(node.outputShapes.size()), "getActivations: ",
             layerName, " has ", plural(static_cast<int64_t>(node.outputShapes.size()), "output"), ", not output ",
             outputIndex);
  ATTN_CHECK(batchSize >= 1, "getActivations: batchSize must be >= 1, got ", batchSize);
  const int samples = checkData("getActivations", xs, nullptr);
  Tensor out(node.outputShapes[outputIndex].withBatch(samples));
  const int64_t row = out.size() / samples;
  for (int start = 0; start < samples; start += batchSize) {
    const int count = std::min(batchSize, samples - start);
    gatherBatch(xs, nullptr, nullptr, start, count);
    forward(false, &rng_);
    std::memcpy(out.data() + start * row, node.outputs[outputIndex]->data(), count * row * sizeof(float));
  }
  return out;
}

Tensor Model::getAttention(const std::vector<Tensor>& xs, const std::string& layerName, int batchSize) {
  ATTN_CHECK(batchSize >= 1, "getAttention: batchSize must be >= 1, got ", batchSize);
  const int samples = checkData("getAttention", xs, nullptr);
  Tensor out;
  const Layer* chosen = nullptr;
  for (int start = 0; start < samples; start += batchSize) {
    const int count = std::min(batchSize, samples - start);
    gatherBatch(xs, nullptr, nullptr, start, count);
    forward(false, &rng_);
    if (!chosen) {
      if (!layerName.empty()) {
        const int at = nodeIndex(layerName);
        ATTN_CHECK(at >= 0 && nodes_[at]->layer, "getAttention: no layer named '", layerName, "'");
        chosen = nodes_[at]->layer.get();
        ATTN_CHECK(chosen->attentionWeights(), "getAttention: ", layerName, " (", chosen->className(),
                   ") has no attention weights");
      } else {
        std::string found;
        for (auto& node : nodes_)
          if (node->layer && node->layer->attentionWeights()) {
            ATTN_CHECK(!chosen, "getAttention: the model has several attention layers (", chosen ? chosen->name() : "",
                       ", ", node->name, "): pass a layer name");
            chosen = node->layer.get();
          }
        ATTN_CHECK(chosen, "getAttention: the model has no attention layer");
      }
      Shape s = chosen->attentionWeights()->shape();
      s[0] = samples;
      out.resize(s);
    }
    const Tensor& w = *chosen->attentionWeights();
    const int64_t row = out.size() / samples;
    ATTN_CHECK(w.size() == count * row, "getAttention: ", chosen->name(), " returned attention weights of shape ",
               w.shape().str(), " for a batch of ", count);
    std::memcpy(out.data() + start * row, w.data(), w.size() * sizeof(float));
  }
  return out;
}

// ---- weights --------------------------------------------------------------------------------------

namespace {
template <class Fn>
void forEachInKerasOrder(const std::deque<Param>& params, Fn fn) {
  for (const Param& p : params)
    if (p.trainable) fn(p);
  for (const Param& p : params)
    if (!p.trainable) fn(p);
}
}  // namespace

std::vector<NamedTensor> Model::getWeights() const {
  std::vector<NamedTensor> out;
  forEachInKerasOrder(params_.params(), [&](const Param& p) {
    Tensor t(p.shape);
    std::memcpy(t.data(), p.value, p.size() * sizeof(float));
    out.push_back({p.name, std::move(t)});
  });
  return out;
}

void Model::setWeights(const std::vector<NamedTensor>& weights) {
  std::vector<const Param*> order;
  forEachInKerasOrder(params_.params(), [&](const Param& p) { order.push_back(&p); });
  ATTN_CHECK(weights.size() == order.size(), "setWeights: the model has ", plural(static_cast<int64_t>(order.size()), "weight"),
             ", got ", weights.size());
  for (size_t i = 0; i < order.size(); ++i)
    ATTN_CHECK(weights[i].value.shape() == order[i]->shape, "setWeights: weight ", i, " (", order[i]->name,
               ") expected shape ", order[i]->shape.str(), ", got ", weights[i].value.shape().str());
  for (size_t i = 0; i < order.size(); ++i)
    std::memcpy(order[i]->value, weights[i].value.data(), order[i]->size() * sizeof(float));
}

// ---- description ----------------------------------------------------------------------------------

std::vector<LayerInfo> Model::layers() const {
  std::vector<LayerInfo> out;
  for (const auto& node : nodes_) {
    if (node->hidden) continue;
    out.push_back({node->name, node->className, node->outputShapes, node->layer ? node->layer->countParams() : 0});
  }
  return out;
}

std::string Model::summary() const {
  // Keras' print_summary (TF 2.9+ layout): a chain of single-input layers prints three columns
  // over 65 characters; any other graph adds "Connected to" over 98 characters.
  bool chain = inputNodes_.size() == 1 && outputs_.size() == 1;
  for (const auto& node : nodes_)
    if (node->inbound.size() > 1 || node->consumers > 1) chain = false;
  const int width = chain ? 65 : 98;
  const std::vector<int> stops = chain ? std::vector<int>{29, 55, 65} : std::vector<int>{32, 53, 65, 98};
  std::ostringstream s;
  // Keras' print_row: each field is cut to its column (2 spaces between columns) and the rest
  // wraps onto further lines, breaking early after "),", "},", "]," or "',".
  auto row = [&](std::vector<std::string> fields) {
    auto pending = [&] {
      for (const auto& f : fields)
        if (!f.empty()) return true;
      return false;
    };
    while (pending()) {
      std::string line;
      for (size_t col = 0; col < fields.size(); ++col) {
        const int begin = col ? stops[col - 1] : 0, end = stops[col];
        const int space = col + 1 < fields.size() ? 2 : 0;
        size_t cutoff = static_cast<size_t>(std::max(0, end - begin - space));
        std::string fit = fields[col].substr(0, cutoff);
        size_t early = std::string::npos;
        for (const char* mark : {"),", "},", "],", "',"}) {
          const size_t at = fit.find(mark);
          if (at != std::string::npos) early = std::min(early, at + 2);
        }
        if (early != std::string::npos) {
          cutoff = early;
          fit = fit.substr(0, cutoff);
        }
        if (col == 0) line += ' ';
        line += fit + std::string(space, ' ');
        fields[col] = cutoff < fields[col].size() ? fields[col].substr(cutoff) : "";
        if (static_cast<int>(line.size()) < end) line.resize(end, ' ');
      }
      s << line << "\n";
    }
  };
  auto shapes = [](const Node& node) {
    // Keras prints an InputLayer's shape, and any multi-output layer's shapes, as a list.
    if (node.outputShapes.size() == 1 && node.layer) return node.outputShapes[0].str(true);
    std::string out = "[";
    for (size_t i = 0; i < node.outputShapes.size(); ++i) out += (i ? ", " : "") + node.outputShapes[i].str(true);
    return out + "]";
  };
  s << "Model: \"" << name_ << "\"\n" << std::string(width, '_') << "\n";
  if (chain) row({"Layer (type)", "Output Shape", "Param #"});
  else row({"Layer (type)", "Output Shape", "Param #", "Connected to"});
  s << std::string(width, '=') << "\n";
  for (const auto& node : nodes_) {
    if (node->hidden) continue;
    const std::string label = node->name + " (" + node->className + ")";
    const std::string params = std::to_string(node->layer ? node->layer->countParams() : 0);
    if (chain) {
      row({label, shapes(*node), params});
    } else {
      // Python's repr of the list of "name[node][tensor]" strings.
      std::string sources = "[";
      for (size_t i = 0; i < node->inbound.size(); ++i) {
        auto [src, k] = node->inbound[i];
        sources += (i ? ", '" : "'") + nodes_[src]->name + "[0][" + std::to_string(k) + "]'";
      }
      row({label, shapes(*node), params, sources + "]"});
    }
    s << std::string(width, ' ') << "\n";
  }
  int64_t trainable = 0;
  for (const Param& p : params_.params())
    if (p.trainable) trainable += p.size();
  s << std::string(width, '=') << "\n";
  s << "Total params: " << withCommas(countParams()) << "\n";
  s << "Trainable params: " << withCommas(trainable) << "\n";
  s << "Non-trainable params: " << withCommas(countParams() - trainable) << "\n";
  s << std::string(width, '_') << "\n";
  return s.str();
}

}  // namespace attn
