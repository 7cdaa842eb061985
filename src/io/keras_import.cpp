// Keras' configs, read as Keras writes them (Keras 2.x, tf.keras 2.x and Keras 3; .h5 files,
// .keras files and TF.js model.json carry the same JSON):
//   {"class_name": "Sequential" | "Functional" | "Model", "config": {...}}
//   layer  {"class_name", "config": {"name", snake_case options...}, "module"?, "inbound_nodes"?}
//   Keras 2 inbound nodes [[["dense", 0, 0, {}], ...]]; Keras 3 [{"args": [keras tensors], "kwargs"}]
//   whose tensors carry "keras_history": ["dense", 0, 0].
// Options become the library's camelCase options; what only matters to Keras' own machinery
// (dtype, trainable, initializers of weights that the file supplies) is dropped; what the library
// does not have is refused, every culprit at once.
#include "io/keras_import.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include "core/check.h"
#include "layers/registry.h"
#include "layers/param.h"

namespace attn {
namespace {

std::string camelCase(const std::string& snake) {
  std::string out;
  bool upper = false;
  for (char c : snake) {
    if (c == '_') {
      upper = !out.empty();
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

// Keras keys with no bearing on what a layer computes from the weights it is given.
const std::set<std::string> kDroppedKeys = {
    "trainable", "dtype", "seed", "implementation", "unroll", "zero_output_for_mask", "build_config",
    "sparse", "ragged", "input_dtype", "synchronized", "autocast", "backward_layer", "compile_config",
    "input_length" /* Keras 2 Embedding: only a shape hint */};
// Keys that must hold their default value (anything else changes the computation), with every
// spelling of it Keras writes: a built MultiHeadAttention saves its default axes as [1].
const std::map<std::string, std::vector<Json>> kDefaultOnly = {
    {"stateful", {false}}, {"time_major", {false}}, {"renorm", {false}}, {"groups", {1}},
    {"activity_regularizer", {nullptr}}, {"attention_axes", {nullptr, Json::array({1})}},
    {"return_attention_scores", {false}}, {"use_causal_mask", {false}}, {"lora_rank", {nullptr}},
    {"noise_shape", {nullptr}}, {"quantization_config", {nullptr}}, {"keepdims", {false}}};
// Recurrent layers' dropouts act only in training: dropped with a warning.
const std::set<std::string> kTrainingOnlyKeys = {"dropout", "recurrent_dropout"};
const std::set<std::string> kRecurrentClasses = {"LSTM", "GRU", "SimpleRNN", "CuDNNLSTM", "CuDNNGRU"};

struct Culprits {
  std::vector<std::string> lines;
  void add(const std::string& layer, const std::string& cls, const std::string& why) {
    lines.push_back(layer + " (" + cls + "): " + why);
  }
};

// Safe reads of hostile JSON: a missing key or a value of another type reads as null / "".
const Json& at(const Json& j, const char* key) {
  static const Json null;
  if (!j.is_object()) return null;
  const auto it = j.find(key);
  return it == j.end() ? null : *it;
}
std::string text(const Json& j, const char* key) {
  const Json& v = at(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

Json regularizer(const Json& keras) {
  if (keras.is_null()) return nullptr;
  const Json& cfg = at(keras, "config").is_object() ? at(keras, "config") : keras;
  Json out = Json::object();
  for (const char* key : {"l1", "l2"})
    if (at(cfg, key).is_number() && at(cfg, key).get<double>() != 0) out[key] = at(cfg, key);
  return out.empty() ? Json(nullptr) : out;
}

std::string layerName(const Json& spec) {
  const std::string name = text(at(spec, "config"), "name");
  return name.empty() ? text(spec, "name") : name;
}

// The `attention` PyPI package's Attention(units, score) and Keras' Attention share a class name:
// Keras 3 says which by `module`; older files by the package's own config keys.
bool isAttentionPackage(const Json& spec) {
  const std::string module = text(spec, "module");
  if (!module.empty()) return module.rfind("keras", 0) != 0;
  const Json& cfg = at(spec, "config");
  return !at(cfg, "units").is_null() || !at(cfg, "score").is_null();
}

class Translator {
 public:
  Translator(const Json& custom, KerasImport& out) : custom_(custom), out_(out) {}

  // {"className", "config"} in the library's terms, or null (a culprit was recorded).
  Json layer(const Json& spec) {
    const std::string cls = text(spec, "class_name");
    const std::string name = layerName(spec);
    const Json& cfg = at(spec, "config").is_object() ? at(spec, "config") : Json::object();
    if (custom_.contains(cls)) {
      Json mapped = custom_[cls];
      if (!mapped.is_object() || !mapped.contains("className")) {
        culprits_.add(name, cls, "options.customLayers['" + cls + "'] must be {className, config}");
        return nullptr;
      }
      if (!mapped["config"].is_object()) mapped["config"] = Json::object();
      mapped["config"]["name"] = name;
      out_.mapped.push_back(name);
      return checked(name, cls, mapped);
    }
    if (cls == "Merge") {
      Json merge = mergeLayer(name, cfg);
      return merge.is_null() ? nullptr : layer(merge);
    }
    if (cls == "Lambda") {
      culprits_.add(name, cls,
                    "holds Python code, which cannot be imported; rebuild it from library layers (lambdaSum for "
                    "K.sum over an axis) or map it with options.customLayers");
      return nullptr;
    }
    // Keras loads CuDNN layers as the plain ones (tanh, sigmoid gates, GRU reset_after), with their
    // weights converted (convertCudnnWeights).
    const bool cudnn = cls == "CuDNNLSTM" || cls == "CuDNNGRU";
    std::string ours = cls;
    if (cls == "Attention") ours = isAttentionPackage(spec) ? "Attention" : "DotAttention";
    else if (cudnn) ours = cls.substr(5);
    if (cudnn) out_.cudnn.push_back(name);
    if (!findLayerType(ours)) {
      culprits_.add(name, cls, "no such layer in the library; map it onto one with options.customLayers");
      return nullptr;
    }
    Json config = Json::object();
    bool ok = true;
    for (auto it = cfg.begin(); it != cfg.end(); ++it) {
      const std::string& key = it.key();
      const Json& value = it.value();
      if (key == "name") {
        config["name"] = value;
      } else if (kDroppedKeys.count(key) || (key.size() > 12 && key.rfind("_initializer") == key.size() - 12)) {
        continue;
      } else if (key.size() > 11 && key.rfind("_constraint") == key.size() - 11) {
        if (!value.is_null()) ok = refuse(name, cls, "option '" + key + "' (weight constraints) is not supported");
      } else if (kDefaultOnly.count(key)) {
        const std::vector<Json>& defaults = kDefaultOnly.at(key);
        if (!value.is_null() && std::find(defaults.begin(), defaults.end(), value) == defaults.end())
          ok = refuse(name, cls, "option '" + key + "' = " + value.dump() + " is not supported");
      } else if (kTrainingOnlyKeys.count(key) && kRecurrentClasses.count(cls)) {
        if (value.is_number() && value.get<double>() != 0)
          out_.warnings.push_back(name + " (" + cls + "): " + key + " " + value.dump() +
                                  " acts only in training and is not applied");
      } else if (key == "batch_input_shape" || key == "batch_shape") {
        config["batchInputShape"] = value;
      } else if (key.size() > 12 && key.rfind("_regularizer") == key.size() - 12) {
        config[camelCase(key)] = regularizer(value);
      } else if (key == "layer" && value.is_object()) {
        Json inner = layer(value);
        if (inner.is_null()) return nullptr;
        config["layer"] = inner;
      } else if (value.is_string() && (key == "activation" || key == "recurrent_activation" || key == "data_format" ||
                                       key == "score_mode" || key == "merge_mode")) {
        config[camelCase(key)] = camelCase(value.get<std::string>());
      } else {
        config[camelCase(key)] = value;
      }
    }
    if (cudnn) {
      config["recurrentActivation"] = "sigmoid";
      if (ours == "GRU") config["resetAfter"] = true;
    }
    if (!ok) return nullptr;
    return checked(name, cls, Json{{"className", ours}, {"config", config}});
  }

  const Culprits& culprits() const { return culprits_; }

 private:
  // Keras 1 and 2.0's Merge(mode=...) as the merge layer it stands for, in Keras 2 spelling.
  Json mergeLayer(const std::string& name, const Json& cfg) {
    const Json& mode = at(cfg, "mode");
    const std::string kind = mode.is_string() ? mode.get<std::string>() : std::string();
    static const std::map<std::string, std::string> kClasses = {
        {"concat", "Concatenate"}, {"sum", "Add"}, {"mul", "Multiply"}, {"ave", "Average"},
        {"max", "Maximum"}, {"dot", "Dot"}, {"cos", "Dot"}};
    const auto found = kClasses.find(kind);
    if (found == kClasses.end()) {
      culprits_.add(name, "Merge",
                    kind.empty() ? "its mode is Python code (a function), which cannot be imported; map it with options.customLayers"
                                 : "mode '" + kind + "' is not one of concat, sum, mul, ave, max, dot, cos");
      return nullptr;
    }
    Json config = {{"name", name}};
    if (kind == "concat") config["axis"] = at(cfg, "concat_axis").is_null() ? Json(-1) : at(cfg, "concat_axis");
    if (kind == "dot" || kind == "cos") config["axes"] = at(cfg, "dot_axes").is_null() ? Json(-1) : at(cfg, "dot_axes");
    if (kind == "cos") config["normalize"] = true;
    return {{"class_name", found->second}, {"config", config}};
  }

  bool refuse(const std::string& name, const std::string& cls, const std::string& why) {
    culprits_.add(name, cls, why);
    return false;
  }
  // The library's own option checks, run now so that every culprit is listed at once.
  Json checked(const std::string& name, const std::string& cls, Json spec) {
    Json options = at(spec, "config");
    if (options.is_object()) options.erase("batchInputShape");
    try {
      createLayer(text(spec, "className"), options);
    } catch (const Error& e) {
      culprits_.add(name, cls, e.what());
      return nullptr;
    }
    return spec;
  }

  const Json custom_;
  KerasImport& out_;
  Culprits culprits_;
};

// Keras 2 [[["dense", 0, 0, {}], ...]] or Keras 3 [{"args": [...], "kwargs": {...}}] ->
// [["dense", 0], ...] (models here call each layer once).
Json inboundRefs(const Json& nodes, const std::string& owner) {
  Json refs = Json::array();
  if (!nodes.is_array() || nodes.empty()) return refs;
  ATTN_CHECK(nodes.size() == 1, owner, ": the layer is called ", nodes.size(),
             " times in the file; a layer used at several places is not supported");
  const Json& node = nodes[0];
  if (node.is_array()) {
    for (const Json& ref : node)
      if (ref.is_array() && ref.size() >= 3 && ref[0].is_string()) refs.push_back({ref[0], ref[2]});
    return refs;
  }
  // Keras 3: the tensors are anywhere in args (one tensor, or a list of them).
  auto collect = [&](auto&& self, const Json& value) -> void {
    if (text(value, "class_name") == "__keras_tensor__") {
      const Json& history = at(at(value, "config"), "keras_history");
      if (history.is_array() && history.size() >= 3 && history[0].is_string()) refs.push_back({history[0], history[2]});
    } else if (value.is_array()) {
      for (const Json& item : value) self(self, item);
    }
  };
  collect(collect, at(node, "args"));
  return refs;
}

// An InputLayer as the library writes it: its per-sample shape from Keras' batch shape.
Json inputLayer(const Json& spec) {
  const Json& cfg = at(spec, "config");
  Json shape = at(cfg, "batch_shape").is_null() ? at(cfg, "batch_input_shape") : at(cfg, "batch_shape");
  ATTN_CHECK(shape.is_array() && !shape.empty(), "loadKerasModel: InputLayer '", layerName(spec), "' has no batch shape");
  shape.erase(0);
  return {{"className", "InputLayer"}, {"config", {{"name", layerName(spec)}, {"shape", shape}}}};
}

Json refList(const Json& list) {
  if (list.is_array() && !list.empty() && list[0].is_string()) return Json::array({list});  // one [name, 0, 0]
  return list;
}

// The `attention` package before v5 (like the attention_3d_block it grew from) is a function that
// adds seven plain layers to the model, one of them a Lambda, under fixed names:
//   attention_score_vec = Dense(D, no bias)(H);  last_hidden_state = Lambda(x[:, -1, :])(H)
//   attention_score = Dot([last_hidden_state, attention_score_vec]);  attention_weight = softmax
//   context_vector = Dot([H, attention_weight]);  attention_output = Concatenate([context_vector, last_hidden_state])
//   attention_vector = Dense(units, tanh, no bias)(attention_output)
// That is v5's Attention(units, 'luong'). Found whole, with nothing outside it reading its inner
// layers, it becomes that one layer, named attention_vector so the layers after it keep their
// inputs; its weights are attention_score_vec's kernel (luong_w), then attention_vector's.
struct PackageSubgraph {
  std::set<std::string> inner;  // the six layers folded into attention_vector
  Json fused;                   // the Attention layer's Keras spec
};
constexpr const char* kPackageOutput = "attention_vector";
constexpr const char* kPackageScore = "attention_score_vec";

std::optional<PackageSubgraph> attentionPackageSubgraph(const Json& layers, const Json& outputLayers) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {kPackageScore, "Dense"},        {"last_hidden_state", "Lambda"}, {"attention_score", "Dot"},
      {"attention_weight", "Activation"}, {"context_vector", "Dot"},   {"attention_output", "Concatenate"},
      {kPackageOutput, "Dense"}};
  std::map<std::string, const Json*> byName;
  for (const Json& spec : layers) byName[layerName(spec)] = &spec;
  for (const auto& [name, cls] : expected)
    if (!byName.count(name) || text(*byName[name], "class_name") != cls) return std::nullopt;
  PackageSubgraph out;
  for (const auto& entry : expected)
    if (entry.first != kPackageOutput) out.inner.insert(entry.first);
  const auto inputsOf = [&](const char* name) { return inboundRefs(at(*byName[name], "inbound_nodes"), name); };
  const Json hidden = inputsOf(kPackageScore);
  if (hidden.size() != 1 || inputsOf("last_hidden_state") != hidden ||
      inputsOf(kPackageOutput) != Json::array({Json::array({"attention_output", 0})}))
    return std::nullopt;
  for (const Json& spec : layers) {
    const std::string name = layerName(spec);
    if (out.inner.count(name) || name == kPackageOutput) continue;
    for (const Json& ref : inboundRefs(at(spec, "inbound_nodes"), name))
      if (out.inner.count(ref[0].get<std::string>())) return std::nullopt;
  }
  for (const Json& ref : refList(outputLayers))
    if (ref.is_array() && !ref.empty() && ref[0].is_string() && out.inner.count(ref[0].get<std::string>()))
      return std::nullopt;
  out.fused = {{"class_name", "Attention"},
               {"config", {{"name", kPackageOutput}, {"units", at(at(*byName[kPackageOutput], "config"), "units")}, {"score", "luong"}}},
               {"inbound_nodes", at(*byName[kPackageScore], "inbound_nodes")}};
  return out;
}

Json compileOptions(const Json& training, std::vector<std::string>& warnings) {
  if (!training.is_object()) return nullptr;
  Json out = Json::object();
  const Json& loss = at(training, "loss");
  if (loss.is_string()) out["loss"] = loss;
  else if (at(loss, "class_name").is_string()) out["loss"] = at(loss, "class_name");
  else {
    warnings.push_back("the training config's loss " + loss.dump() + " is not read; compile the model yourself");
    return nullptr;
  }
  const Json& optimizer = at(training, "optimizer_config").is_null() ? at(training, "optimizer") : at(training, "optimizer_config");
  if (at(optimizer, "class_name").is_string()) {
    std::string type = text(optimizer, "class_name");
    for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    Json o = {{"type", type}};
    const Json& cfg = at(optimizer, "config").is_object() ? at(optimizer, "config") : Json::object();
    // Keras writes learning_rate / beta_1 (lr in Keras < 2.3), TF.js learningRate / beta1.
    const std::set<std::string> known = {"learningRate", "beta1", "beta2", "epsilon", "rho", "momentum", "nesterov"};
    for (auto it = cfg.begin(); it != cfg.end(); ++it) {
      const std::string key = it.key() == "lr" ? "learningRate" : camelCase(it.key());
      if (known.count(key) && (it.value().is_number() || it.value().is_boolean())) o[key] = it.value();
    }
    out["optimizer"] = o;
  } else if (optimizer.is_string()) {
    out["optimizer"] = optimizer;
  }
  Json metrics = Json::array();
  const Json& listed = at(training, "metrics");
  for (const Json& m : listed.is_array() ? listed : Json::array()) {
    const Json& one = m.is_array() && !m.empty() ? m[0] : m;  // Keras 2: one list per output
    if (one.is_string()) metrics.push_back(one == "acc" ? Json("accuracy") : one);
    else if (at(at(one, "config"), "name").is_string()) metrics.push_back(at(at(one, "config"), "name"));
  }
  if (!metrics.empty()) out["metrics"] = metrics;
  return out;
}

}  // namespace

KerasImport translateKerasModel(const Json& modelConfig, const Json& trainingConfig, const Json& customLayers) {
  ATTN_CHECK(at(modelConfig, "class_name").is_string(), "loadKerasModel: the model config must be {class_name, config}");
  const std::string kind = text(modelConfig, "class_name");
  const Json& config = at(modelConfig, "config");
  KerasImport out;
  Translator translate(customLayers.is_object() ? customLayers : Json::object(), out);
  const std::string modelName = text(config, "name").empty() ? "model" : text(config, "name");
  // Keras < 2.2.3 wrote a Sequential's config as the bare list of its layers.
  const Json& layers = config.is_array() ? config : at(config, "layers");
  ATTN_CHECK(layers.is_array() && !layers.empty(), "loadKerasModel: the model config lists no layers");
  Json ours = Json::array();
  std::map<std::string, int> perClass;  // Keras 3's group names: snake class, then _1, _2...
  auto group = [&](const Json& spec) {
    const std::string snake = snakeCase(text(spec, "class_name"));
    const int n = perClass[snake]++;
    out.keras3Groups.push_back({layerName(spec), "layers/" + (n == 0 ? snake : snake + "_" + std::to_string(n))});
  };
  if (kind == "Sequential") {
    for (const Json& spec : layers) {
      if (text(spec, "class_name") == "InputLayer") {
        ours.push_back(inputLayer(spec));
        continue;  // a Sequential's InputLayer is not among its saved layers
      }
      group(spec);
      Json layer = translate.layer(spec);
      if (!layer.is_null()) ours.push_back(layer);
    }
  } else if (kind == "Functional" || kind == "Model") {
    const std::optional<PackageSubgraph> package = attentionPackageSubgraph(layers, at(config, "output_layers"));
    if (package) {
      out.fusedInto[kPackageScore] = kPackageOutput;
      out.mapped.push_back(kPackageOutput);
      out.warnings.push_back(std::string(kPackageOutput) + ": the attention package's layers before v5 (" + kPackageScore +
                             " to " + kPackageOutput + ", with the Lambda last_hidden_state) are read as one " +
                             "Attention(units, score='luong') named " + kPackageOutput);
    }
    for (const Json& spec : layers) {
      const std::string name = layerName(spec);
      group(spec);
      if (text(spec, "class_name") == "InputLayer") {
        ours.push_back(inputLayer(spec));
        continue;
      }
      if (package && package->inner.count(name)) {
        if (name == kPackageScore) out.keras3Groups.back().first = kPackageOutput;
        continue;
      }
      const Json& kept = package && name == kPackageOutput ? package->fused : spec;
      Json layer = translate.layer(kept);
      if (layer.is_null()) continue;
      layer["config"].erase("batchInputShape");
      layer["inboundNodes"] = inboundRefs(at(kept, "inbound_nodes"), name);
      ours.push_back(layer);
    }
  } else {
    fail("loadKerasModel: a model of class '", kind, "' cannot be imported (expected Sequential or a functional Model)");
  }
  // Keras hands no mask to a layer that does not support masking, as the `attention` package's.
  const bool masks = std::any_of(ours.begin(), ours.end(), [](const Json& l) {
    return text(l, "className") == "Masking" || (text(l, "className") == "Embedding" && at(l["config"], "maskZero") == true);
  });
  for (const Json& l : ours)
    if (masks && text(l, "className") == "Attention")
      out.warnings.push_back(layerName({{"config", l["config"]}}) + " (the attention package's Attention): Keras passes it no " +
                             "mask, so padded steps take part in its attention there; here they get zero weight");
  if (!translate.culprits().lines.empty()) {
    std::string message = "loadKerasModel: " + std::to_string(translate.culprits().lines.size()) +
                          " layer(s) cannot be imported:";
    for (const std::string& line : translate.culprits().lines) message += "\n  " + line;
    fail(message);
  }
  if (kind == "Sequential") {
    out.config = {{"className", "Sequential"}, {"config", {{"name", modelName}, {"layers", ours}}}};
  } else {
    out.config = {{"className", "Model"},
                  {"config", {{"name", modelName}, {"layers", ours}, {"inputLayers", refList(at(config, "input_layers"))},
                              {"outputLayers", refList(at(config, "output_layers"))}}}};
  }
  // Keras 3 keeps the training config inside the model config (config.json's compile_config).
  out.compile = compileOptions(trainingConfig.is_null() ? at(modelConfig, "compile_config") : trainingConfig, out.warnings);
  return out;
}

namespace {

// Where a Keras 3 weight path inside a layer's group ("forward_layer/cell/vars/2") comes in the
// layer's own weight order: by sub-layer, in the order the layer declares its weights (Keras
// attribute names mapped to ours: forward_layer -> forward_*, query_dense -> query,
// output_dense -> attention_output; a name we lack, such as the `attention` package's w_c, which holds
// its last weight, attention_vector, comes last), then by variable number (vars/10 after vars/2).
class Keras3Order {
 public:
  explicit Keras3Order(const Layer& layer) {
    for (const Param* p : layer.params()) {
      const size_t first = p->name.find('/'), last = p->name.rfind('/');
      const std::string sub = first < last ? p->name.substr(first + 1, last - first - 1) : "";
      if (std::find(subs_.begin(), subs_.end(), sub) == subs_.end()) subs_.push_back(sub);
    }
  }

  bool operator()(const std::string& a, const std::string& b) const { return key(a) < key(b); }

 private:
  std::vector<std::pair<int, std::string>> key(const std::string& path) const {
    std::vector<std::pair<int, std::string>> out;
    size_t start = 0;
    while (start <= path.size()) {
      const size_t end = std::min(path.find('/', start), path.size());
      const std::string segment = path.substr(start, end - start);
      start = end + 1;
      if (segment == "cell" || segment == "vars" || segment.empty()) continue;
      const bool number =
          std::all_of(segment.begin(), segment.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
      if (number && segment.size() < 9) out.push_back({std::stoi(segment), ""});
      else out.push_back({rank(segment), segment});
    }
    return out;
  }

  int rank(std::string segment) const {
    // Keras 3 walks public attributes first, but older 3.x releases could reach a sub-layer by
    // its private twin (_query_dense).
    if (segment.size() > 1 && segment[0] == '_') segment.erase(0, 1);
    if (segment == "forward_layer" || segment == "backward_layer") {
      const std::string prefix = segment.substr(0, segment.find('_') + 1);
      for (size_t i = 0; i < subs_.size(); ++i)
        if (subs_[i].rfind(prefix, 0) == 0) return static_cast<int>(i);
    }
    if (segment.size() > 6 && segment.compare(segment.size() - 6, 6, "_dense") == 0) {
      segment.resize(segment.size() - 6);
      if (segment == "output") segment = "attention_output";
    }
    const auto found = std::find(subs_.begin(), subs_.end(), segment);
    return found == subs_.end() ? 1 << 20 : static_cast<int>(found - subs_.begin());
  }

  std::vector<std::string> subs_;  // ours, in declaration order: "forward_lstm", "luong_w", ...
};

}  // namespace

void convertCudnnWeights(int gates, std::vector<NamedTensor>& weights) {
  ATTN_CHECK(weights.size() == 3, "loadKerasModel: a CuDNN recurrent layer has 3 weights, got ", weights.size());
  Tensor& kernel = weights[0].value;
  Tensor& recurrent = weights[1].value;
  Tensor& bias = weights[2].value;
  ATTN_CHECK(kernel.rank() == 2 && recurrent.rank() == 2 && bias.rank() == 1, "loadKerasModel: CuDNN weight ranks ",
             kernel.rank(), ", ", recurrent.rank(), ", ", bias.rank(), " (expected 2, 2, 1)");
  const int D = kernel.dim(0), U = recurrent.dim(0), G = gates;
  ATTN_CHECK(kernel.dim(1) == G * U && recurrent.dim(1) == G * U && bias.dim(0) == 2 * G * U,
             "loadKerasModel: CuDNN weights of shapes ", kernel.shape().str(), ", ", recurrent.shape().str(), ", ",
             bias.shape().str(), " do not fit ", G, " gates of ", U, " units");
  Tensor k(kernel.shape()), r(recurrent.shape());
  for (int g = 0; g < G; ++g) {
    // block[i][j] = W[i][gU + j]; its row-major buffer read as (U, D), transposed.
    for (int i = 0; i < D; ++i)
      for (int j = 0; j < U; ++j) {
        const int64_t n = int64_t(j) * D + i;  // the element of the block's buffer
        k[int64_t(i) * G * U + g * U + j] = kernel[(n / U) * G * U + g * U + n % U];
      }
    for (int i = 0; i < U; ++i)
      for (int j = 0; j < U; ++j) r[int64_t(i) * G * U + g * U + j] = recurrent[int64_t(j) * G * U + g * U + i];
  }
  kernel = std::move(k);
  recurrent = std::move(r);
  if (G == 4) {
    Tensor b(Shape{G * U});
    for (int i = 0; i < G * U; ++i) b[i] = bias[i] + bias[G * U + i];
    bias = std::move(b);
  } else {
    Tensor b(Shape{2, G * U});
    std::copy(bias.data(), bias.data() + bias.size(), b.data());
    bias = std::move(b);
  }
}

std::unique_ptr<Model> importKerasModel(const Json& modelConfig, const Json& trainingConfig,
                                        const std::vector<NamedTensor>& weights, const Json& customLayers,
                                        std::vector<std::string>* warnings) {
  KerasImport translated = translateKerasModel(modelConfig, trainingConfig, customLayers);
  auto model = std::make_unique<Model>(translated.config);
  // Each layer takes, in file order, the weights under its name.
  std::map<std::string, std::vector<const NamedTensor*>> byLayer;
  std::set<std::string> claimed, claimedPaths;
  const bool keras3 = std::any_of(weights.begin(), weights.end(),
                                  [](const NamedTensor& w) { return w.name.rfind("layers/", 0) == 0; });
  if (keras3) {
    for (const auto& entry : translated.keras3Groups) {
      // Named references: clang 14 cannot capture structured bindings in the lambda below.
      const std::string& layerName = entry.first;
      const std::string& groupPath = entry.second;
      const Layer* layer = model->layer(layerName);
      if (!layer) continue;
      std::vector<const NamedTensor*> mine;
      for (const NamedTensor& w : weights)
        if (w.name.rfind(groupPath + "/", 0) == 0) mine.push_back(&w);
      if (mine.empty()) continue;
      const Keras3Order order(*layer);
      std::sort(mine.begin(), mine.end(), [&](const NamedTensor* a, const NamedTensor* b) {
        return order(a->name.substr(groupPath.size() + 1), b->name.substr(groupPath.size() + 1));
      });
      std::vector<const NamedTensor*>& list = byLayer[layerName];  // several groups: a folded subgraph
      list.insert(list.end(), mine.begin(), mine.end());
      claimedPaths.insert(groupPath);
    }
    for (const NamedTensor& w : weights) {
      if (w.name.rfind("layers/", 0) != 0) continue;  // optimizer/vars/...: not read
      const size_t end = w.name.find('/', 7);
      const std::string groupPath = w.name.substr(0, end);
      if (!claimedPaths.count(groupPath)) byLayer[groupPath].push_back(&w);  // reported below
    }
  } else {
    for (const NamedTensor& w : weights) {
      const std::string owner = w.name.substr(0, w.name.find('/'));
      const auto folded = translated.fusedInto.find(owner);
      byLayer[folded == translated.fusedInto.end() ? owner : folded->second].push_back(&w);
    }
  }
  std::map<std::string, NamedTensor> byParam;  // our parameter name -> the file's weight
  std::vector<std::string> problems;
  for (const LayerInfo& info : model->layers()) {
    const Layer* layer = model->layer(info.name);
    const size_t want = layer ? layer->params().size() : 0;
    const auto found = byLayer.find(info.name);
    const size_t have = found == byLayer.end() ? 0 : found->second.size();
    if (have != want) {
      problems.push_back(info.name + " (" + info.type + ") needs " + std::to_string(want) + " weight(s), the file has " +
                         std::to_string(have));
      continue;
    }
    if (want == 0) continue;
    claimed.insert(info.name);
    std::vector<NamedTensor> mine;
    for (const NamedTensor* w : found->second) mine.push_back(*w);
    const auto listed = [&](const std::vector<std::string>& names) {
      return std::find(names.begin(), names.end(), info.name) != names.end();
    };
    if (listed(translated.cudnn)) convertCudnnWeights(info.type == "LSTM" ? 4 : 3, mine);
    // A custom class, and Keras 3's paths, name weights their own way: they go by order and shape.
    const bool byOrder = keras3 || listed(translated.mapped);
    for (size_t k = 0; k < want; ++k) {
      const Param& param = *layer->params()[k];
      NamedTensor& w = mine[k];
      if (w.value.shape() != param.shape)
        problems.push_back(info.name + ": weight " + w.name + " has shape " + w.value.shape().str() + ", the layer's " +
                           param.name + " needs " + param.shape.str() + " (the config and the weights disagree)");
      if (byOrder) w.name.clear();
      byParam[param.name] = std::move(w);
    }
  }
  for (const auto& [name, list] : byLayer)
    if (!claimed.count(name) && !list.empty())
      problems.push_back("the weights under '" + name + "' belong to no layer of the model");
  if (!problems.empty()) {
    std::string message = "loadKerasModel: the weights do not fit the model:";
    for (const std::string& p : problems) message += "\n  " + p;
    fail(message);
  }
  // In the model's own weight order (which keeps non-trainable weights, such as BatchNormalization's
  // moving statistics, after all trainable ones), not the file's per-layer order.
  std::vector<NamedTensor> ordered;
  for (const NamedTensor& ours : model->getWeights()) ordered.push_back(std::move(byParam.at(ours.name)));
  model->setWeights(ordered);
  if (!translated.compile.is_null()) {
    try {
      model->compile(translated.compile);
    } catch (const Error& e) {
      translated.warnings.push_back(std::string("the training config is not applied (") + e.what() +
                                    "); compile the model yourself");
    }
  }
  if (warnings) *warnings = translated.warnings;
  return model;
}

}  // namespace attn
