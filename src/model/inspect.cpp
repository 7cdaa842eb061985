// Looking inside a model: activations and attention weights of named layers, weights in
// Keras order, the layer list and the Keras-style summary table.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "core/check.h"
#include "layers/registry.h"
#include "model/node.h"

namespace attn {

using detail::plural;

namespace {
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
  forwardInBatches(xs, samples, batchSize, [&](const Model& ran, int start, int count) {
    std::memcpy(out.data() + start * row, ran.nodes_[at]->outputs[outputIndex]->data(), count * row * sizeof(float));
  });
  return out;
}

Tensor Model::getAttention(const std::vector<Tensor>& xs, const std::string& layerName, int batchSize) {
  ATTN_CHECK(batchSize >= 1, "getAttention: batchSize must be >= 1, got ", batchSize);
  const int samples = checkData("getAttention", xs, nullptr);
  int at = -1;  // the attention layer's node
  if (!layerName.empty()) {
    at = nodeIndex(layerName);
    ATTN_CHECK(at >= 0 && nodes_[at]->layer, "getAttention: no layer named '", layerName, "'");
    const Layer& named = *nodes_[at]->layer;
    ATTN_CHECK(named.attentionWeights(), "getAttention: ", layerName, " (", named.className(),
               ") has no attention weights");
  } else {
    for (int i = 0; i < static_cast<int>(nodes_.size()); ++i)
      if (nodes_[i]->layer && nodes_[i]->layer->attentionWeights()) {
        ATTN_CHECK(at < 0, "getAttention: the model has several attention layers (", at < 0 ? "" : nodes_[at]->name,
                   ", ", nodes_[i]->name, "): pass a layer name");
        at = i;
      }
    ATTN_CHECK(at >= 0, "getAttention: the model has no attention layer");
  }
  // The weights' shape per sample is known once the layer has run: `out` is sized by the first batch.
  Tensor out;
  forwardInBatches(xs, samples, batchSize, [&](const Model& ran, int start, int count) {
    const Layer& layer = *ran.nodes_[at]->layer;
    const Tensor& w = *layer.attentionWeights();
    if (start == 0) {
      Shape s = w.shape();
      s[0] = samples;
      out.resize(s);
    }
    const int64_t row = out.size() / samples;
    ATTN_CHECK(w.size() == count * row, "getAttention: ", layer.name(), " returned attention weights of shape ",
               w.shape().str(), " for a batch of ", count);
    std::memcpy(out.data() + start * row, w.data(), w.size() * sizeof(float));
  });
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
    ATTN_CHECK(weights[i].name.empty() || weightNameMatches(order[i]->name, weights[i].name), "setWeights: weight ", i,
               " is named '", weights[i].name, "', but weight ", i, " of the model is '", order[i]->name,
               "' (weights go in getWeights() order; Keras' names such as 'lstm/lstm_cell/kernel:0' are accepted)");
  for (size_t i = 0; i < order.size(); ++i)
    ATTN_CHECK(weights[i].value.shape() == order[i]->shape, "setWeights: weight ", i, " (", order[i]->name,
               ") expected shape ", order[i]->shape.str(), ", got ", weights[i].value.shape().str());
  for (size_t i = 0; i < order.size(); ++i) {
    const Tensor& w = weights[i].value;
    for (int64_t j = 0; j < w.size(); ++j)
      if (!std::isfinite(w[j]))
        fail("setWeights: weight ", i, " (", order[i]->name, ") contains ", std::isnan(w[j]) ? "NaN" : "Infinity",
             " at index ", j);
  }
  for (size_t i = 0; i < order.size(); ++i)
    std::memcpy(order[i]->value, weights[i].value.data(), order[i]->size() * sizeof(float));
}

// ---- description ----------------------------------------------------------------------------------

std::vector<LayerInfo> Model::layers() const {
  std::vector<LayerInfo> out;
  for (const auto& node : nodes_) {
    if (node->hidden) continue;
    const Layer* layer = node->layer.get();
    out.push_back({node->name, node->className, node->outputShapes, layer ? layer->countParams() : 0,
                   layer && layer->attentionWeights() != nullptr});
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
