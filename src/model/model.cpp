// The model graph: config parsing, default names, shape inference and wiring, toConfig and
// compile. Running it is in run.cpp, the fit loop in fit.cpp, looking inside in inspect.cpp,
// the C++ builder in builder.cpp.
#include "model/model.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/check.h"
#include "core/config.h"
#include "layers/registry.h"
#include "model/node.h"

namespace attn {

using detail::plural;

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
  ATTN_CHECK(!dims.empty(), owner, ": an input shape needs at least one dimension, got ", shape.dump());
  const Shape checked(dims);
  ATTN_CHECK(checked.numel() <= kMaxSampleValues, owner, ": input shape ", checked.str(true), " holds ",
             checked.numel(), " values per sample, more than the limit of ", kMaxSampleValues);
  return dims;
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
  int64_t state = 0;
  for (const Param& p : params_.params())
    if (!p.trainable) state += p.size();
  stateSnapshot_.resize(Shape{static_cast<int>(state)});
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

}  // namespace attn
