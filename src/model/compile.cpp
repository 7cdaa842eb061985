// Model::compile: the optimizer, one loss per output (with loss weights) and the metrics, as
// Keras' compile() takes them.
#include <algorithm>
#include <map>
#include <set>

#include "core/check.h"
#include "core/config.h"
#include "model/model.h"
#include "model/node.h"

namespace attn {

using detail::plural;

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
  // A replica never steps (the model it serves does): no optimizer state, and a step would throw.
  optimizer->reset(replica_ ? 0 : params_.trainableSize());
  optimizer_ = std::move(optimizer);
  ++compileGeneration_;
  compileConfig_ = Json{{"optimizer", optimizer_->config()}, {"loss", lossConfig}, {"metrics", metricConfig}};
}

Json Model::compileConfig() const { return compiled() ? compileConfig_ : Json(); }

void Model::checkCompiled(const char* entry) const {
  ATTN_CHECK(compiled(), entry, ": the model must be compiled first (call compile)");
}

}  // namespace attn
