// Running the graph: data validation, batch gathering, forward / loss / backward / optimizer
// step, and the batch-wise entry points predict, evaluate and trainOnBatch.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/check.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "model/node.h"

namespace attn {

using detail::plural;

// ---- data -----------------------------------------------------------------------------------------

int Model::checkData(const char* entry, const std::vector<Tensor>& xs, const std::vector<Tensor>* ys) const {
  ATTN_CHECK(xs.size() == inputNodes_.size(), entry, ": the model has ", plural(inputCount(), "input"), ", got ",
             plural(static_cast<int64_t>(xs.size()), "input tensor"));
  int samples = -1;
  auto checkFinite = [&](const Tensor& t, const char* what, size_t i) {
    if (kernels::allFinite(t.data(), t.size())) return;
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
                        int count, const std::vector<Tensor>* sampleWeights) {
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
  batchWeighted_ = sampleWeights != nullptr;
  if (sampleWeights) {
    batchSampleWeights_.resize(sampleWeights->size());
    for (size_t o = 0; o < sampleWeights->size(); ++o) gather((*sampleWeights)[o], batchSampleWeights_[o]);
  }
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
    for (size_t k = 0; k < node.outMasks.size(); ++k) node.outMasks[k] = node.layer->outputMask(static_cast<int>(k));
  }
}

namespace {
// The non-trainable values (moving statistics, which a training forward pass updates) into or
// out of `snapshot`, so a batch that fails leaves them as they were.
void copyState(ParamStore& params, float* snapshot, bool restore) {
  int64_t offset = 0;
  for (Param& p : params.params())
    if (!p.trainable) {
      if (restore) std::memcpy(p.value, snapshot + offset, p.size() * sizeof(float));
      else std::memcpy(snapshot + offset, p.value, p.size() * sizeof(float));
      offset += p.size();
    }
}
}  // namespace

void Model::failNonFinite(const FitProgress* at, const char* what, const std::string& detail) {
  copyState(params_, stateSnapshot_.data(), true);
  if (at)
    fail("fit: the ", what, " became ", detail, " at epoch ", at->epoch, ", batch ", at->batch,
         " (counted from 0); training stopped and the weights are those from before that batch "
         "(lower the learning rate, or check the data and the loss)");
  fail("trainOnBatch: the ", what, " became ", detail, "; the weights were left unchanged "
       "(lower the learning rate, or check the data and the loss)");
}

LossInput Model::lossInput(size_t o) {
  OutputSlot& slot = outputs_[o];
  Node& node = *nodes_[slot.node];
  const Tensor* output = node.outputs[slot.index];
  const Tensor* mask = node.outMasks[slot.index];
  const int64_t rows = output->size() / std::max(1, output->shape().back());
  if (mask && mask->size() != rows) mask = nullptr;
  return LossInput{slot.fused ? node.layer->outputLogits() : output, slot.fused, &batchTargets_[o], mask,
                   batchWeighted_ ? &batchSampleWeights_[o] : nullptr};
}

void Model::lossAndBackward(bool training, std::vector<double>& outputLosses, std::vector<double>& totals,
                            std::vector<double>& weights, const std::vector<double>* normalizers) {
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
  outputLosses.assign(outputs_.size(), 0.0);
  for (size_t o = 0; o < outputs_.size(); ++o) {
    OutputSlot& slot = outputs_[o];
    Node& node = *nodes_[slot.node];
    const LossInput in = lossInput(o);
    outputLosses[o] = computeLoss(slot.loss, in, training ? &node.grads[slot.index] : nullptr, node.name, 1.f, nullptr,
                                  normalizers ? (*normalizers)[o] : 0.0);
    // Metrics read the layer's real output, not its logits.
    // Keras' compiled metrics are not weighted (weighted_metrics would be).
    const Tensor* output = node.outputs[slot.index];
    LossInput real{output, false, in.target, in.mask};
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
  if (training)
    for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
      Node& node = **it;
      if (!node.layer) continue;
      node.layer->backward(BackwardPass{node.in, node.inMasks, node.gradPtrs, node.inGrads});
    }
}

namespace {
double g_minimumShardWork = 6e4;
int g_fixedShards = 0;
}  // namespace

int setFixedShards(double shards) {
  // A double, so that JS' 2.5 or NaN reaches this check instead of an integer conversion.
  ATTN_CHECK(shards >= 0 && shards <= 64 && shards == std::floor(shards),
             "setFixedShards: expected a whole number of shards from 0 (one per thread) to 64, got ", shards);
  const int previous = g_fixedShards;
  g_fixedShards = static_cast<int>(shards);
  return previous;
}

int fixedShards() { return g_fixedShards; }

double setMinimumShardWork(double work) {
  const double previous = g_minimumShardWork;
  g_minimumShardWork = work;
  return previous;
}

int Model::shardsFor(int batch) const {
  const int wanted = g_fixedShards > 0 ? g_fixedShards : threads();
  if (wanted < 2 || stateSnapshot_.size() > 0) return 1;
  // A step's work grows with weights x samples x time steps; a shard below the threshold saves
  // less than waking a thread for it costs, so a small step takes fewer shards (none below twice
  // the threshold). Fixed per model and batch size: the same batches shard the same way on every
  // run, whatever the thread count when the shards are fixed.
  int64_t steps = 1;
  for (int node : inputNodes_) {
    const Shape& shape = nodes_[node]->inputShape;
    if (shape.rank >= 2) steps = std::max<int64_t>(steps, shape[0]);
  }
  int shards = std::min(wanted, batch / 2);
  if (g_minimumShardWork > 0) {
    const double work = double(params_.trainableSize()) * batch * double(steps);
    shards = static_cast<int>(std::min<double>(shards, std::floor(work / g_minimumShardWork)));
  }
  return std::max(1, shards);
}

namespace {
// Shard k of `shards` over `count` rows: rows [first, first + rows), sizes differing by at most one.
struct ShardRows {
  int first, rows;
};
ShardRows shardRows(int count, int k, int shards) {
  const int first = int(int64_t(count) * k / shards);
  return {first, int(int64_t(count) * (k + 1) / shards) - first};
}

// A sharded step runs its optimizer update in parts of the flat block of trainable values, one
// per shard, on the pool: with the BiLSTM benchmark's 345k values, Adam took 0.39 ms of a
// 2-thread step under wasm, 0.22 ms in two parts. Below kPartedValues waking the pool (~0.03 ms
// under wasm) costs more than the parts save, and one part runs on the calling thread. The parts
// follow the shard count, never the threads, and every optimizer rule is elementwise, so the
// numbers do not depend on which thread ran which part.
constexpr int64_t kPartedValues = int64_t(1) << 17;
int valueParts(int64_t size, int shards) { return size >= kPartedValues ? shards : 1; }  // 1 unsharded

// Part k of `parts` over `size` values, in whole 64-byte lines so no two threads write one line.
struct ValueRange {
  int64_t first, count;
};
ValueRange valueRange(int64_t size, int k, int parts) {
  constexpr int64_t kLine = 16;
  const int64_t lines = (size + kLine - 1) / kLine;
  const int64_t first = std::min(size, lines * k / parts * kLine);
  return {first, std::min(size, lines * (k + 1) / parts * kLine) - first};
}
}  // namespace

void Model::prepareReplicas(int shards, bool compiled) {
  while (static_cast<int>(shards_.size()) < shards) shards_.push_back(std::make_unique<Shard>());
  // Replicas: the same graph, loss and metrics, recompiled after compile (without optimizer state).
  for (int k = 0; k < shards; ++k) {
    Shard& shard = *shards_[k];
    if (!shard.replica) shard.replica.reset(new Model(toConfig(), 0, kMaxModelParameters, this));
    if (compiled && shard.compileGeneration != compileGeneration_) {
      shard.replica->compile(compileConfig_);
      shard.compileGeneration = compileGeneration_;
    }
  }
}

void Model::runShards(bool training, int shards, Rng* rng, std::vector<double>& outputLosses,
                      std::vector<double>& totals, std::vector<double>& weights) {
  prepareReplicas(shards, true);
  const int batch = batchInputs_[0].dim(0);
  // Only training draws from the stream: evaluating (validation within fit included) leaves the
  // dropout stream where the unsharded run leaves it.
  const uint64_t batchSeed = training ? (uint64_t(rng->nextU32()) << 32) | rng->nextU32() : 0;
  const int64_t trainable = params_.trainableSize();
  const size_t outputCount = outputs_.size();
  // Pass 1: each shard gathers its rows of the batch, runs forward, and weighs its loss rows.
  auto forwardShard = [&](int k) {
    Shard& shard = *shards_[k];
    Model& replica = *shard.replica;
    const ShardRows part = shardRows(batch, k, shards);
    replica.gatherBatch(batchInputs_, &batchTargets_, nullptr, part.first, part.rows,
                        batchWeighted_ ? &batchSampleWeights_ : nullptr);
    shard.rng.seed(batchSeed + 0x9e3779b97f4a7c15ULL * uint64_t(k + 1));
    replica.forward(training, &shard.rng);
    shard.rowWeights.resize(outputCount);
    for (size_t o = 0; o < outputCount; ++o) shard.rowWeights[o] = lossRowWeight(replica.lossInput(o));
  };
  threadPool().run(shards, forwardShard);
  // The whole batch's loss normalizers, then pass 2: each shard's share of the loss (and backward).
  std::vector<double>& normalizers = lossNormalizers_;
  normalizers.assign(outputCount, 0.0);
  for (int k = 0; k < shards; ++k)
    for (size_t o = 0; o < outputCount; ++o) normalizers[o] += shards_[k]->rowWeights[o];
  auto backwardShard = [&](int k) {
    Shard& shard = *shards_[k];
    shard.totals.assign(totals.size(), 0.0);
    shard.weights.assign(weights.size(), 0.0);
    shard.replica->lossAndBackward(training, shard.outputLosses, shard.totals, shard.weights, &normalizers);
  };
  threadPool().run(shards, backwardShard);
  // Sums in shard order: the same numbers whatever thread ran which shard. (Memory-bound: in
  // parts on the pool it measured no faster.)
  outputLosses.assign(outputCount, 0.0);
  for (int k = 0; k < shards; ++k) {
    Shard& shard = *shards_[k];
    if (training) {
      const float* grads = shard.replica->params_.trainableGrads();
      if (k == 0)
        std::memcpy(params_.trainableGrads(), grads, trainable * sizeof(float));
      else
        kernels::addInPlace(grads, params_.trainableGrads(), trainable);
    }
    for (size_t o = 0; o < outputCount; ++o) outputLosses[o] += shard.outputLosses[o];
    for (size_t i = 0; i < totals.size(); ++i) {
      totals[i] += shard.totals[i];
      weights[i] += shard.weights[i];
    }
  }
}

double Model::runBatch(bool training, Rng* rng, std::vector<double>& totals, std::vector<double>& weights,
                       const FitProgress* at) {
  const int batch = batchInputs_[0].dim(0);
  const int shards = shardsFor(batch);
  if (shards > 1) {
    runShards(training, shards, rng, outputLosses_, totals, weights);
  } else {
    if (training) {
      copyState(params_, stateSnapshot_.data(), false);
      try {
        forward(training, rng);
      } catch (...) {  // bad token ids and the like: the batch never happened
        copyState(params_, stateSnapshot_.data(), true);
        throw;
      }
    } else {
      forward(training, rng);
    }
    lossAndBackward(training, outputLosses_, totals, weights, nullptr);
  }
  double loss = 0;
  for (size_t o = 0; o < outputs_.size(); ++o) {
    loss += outputLosses_[o];
    if (outputs_[o].lossSlot >= 0) {
      totals[outputs_[o].lossSlot] += outputLosses_[o] * batch;
      weights[outputs_[o].lossSlot] += batch;
    }
  }
  if (training) {
    loss += params_.applyRegularization();
    if (!std::isfinite(loss)) failNonFinite(at, "loss", std::isnan(loss) ? "NaN" : "Infinity");
    // One pass over the gradient block; names the first bad parameter only when there is one.
    if (!kernels::allFinite(params_.trainableGrads(), params_.trainableSize())) {
      for (const Param& p : params_.params())
        if (p.trainable)
          for (int64_t i = 0; i < p.size(); ++i)
            if (!std::isfinite(p.grad[i]))
              failNonFinite(at, "gradient", std::string(std::isnan(p.grad[i]) ? "NaN" : "Infinity") + " in " + p.name);
    }
    float* values = params_.trainableValues();
    const float* grads = params_.trainableGrads();
    const int64_t size = params_.trainableSize();
    const int parts = valueParts(size, shards);
    if (parts > 1) {  // the pool has just run this step's shards
      optimizer_->beginStep(size);
      auto updatePart = [&](int part) {
        const ValueRange range = valueRange(size, part, parts);
        if (range.count > 0) optimizer_->updateRange(values, grads, range.first, range.count);
      };
      threadPool().run(parts, updatePart);
    } else {
      optimizer_->step(values, grads, size);
    }
  } else {
    loss += params_.regularizationLoss();
  }
  totals[0] += loss * batch;
  weights[0] += batch;
  return loss;
}

void Model::writeMeans(const std::vector<double>& totals, const std::vector<double>& weights,
                       std::vector<double>& values, size_t offset) const {
  for (size_t i = 0; i < metricNames_.size(); ++i) values[offset + i] = weights[i] > 0 ? totals[i] / weights[i] : 0.0;
}

void Model::writeLogs(const std::vector<double>& totals, const std::vector<double>& weights, Logs& logs) const {
  if (logs.names != metricNames_) logs.names = metricNames_;
  logs.values.resize(metricNames_.size());
  writeMeans(totals, weights, logs.values);
}

// ---- inference ------------------------------------------------------------------------------------

void Model::forwardInBatches(const std::vector<Tensor>& xs, int samples, int batchSize,
                             const std::function<void(const Model& ran, int start, int count)>& collect) {
  for (int start = 0; start < samples; start += batchSize) {
    const int count = std::min(batchSize, samples - start);
    const int shards = shardsFor(count);
    if (shards == 1) {
      gatherBatch(xs, nullptr, nullptr, start, count);
      forward(false, &rng_);
      collect(*this, start, count);
      continue;
    }
    // Each shard's replica reads its rows straight from xs.
    prepareReplicas(shards, false);
    auto forwardShard = [&](int k) {
      Shard& shard = *shards_[k];
      const ShardRows part = shardRows(count, k, shards);
      shard.replica->gatherBatch(xs, nullptr, nullptr, start + part.first, part.rows);
      shard.replica->forward(false, &shard.rng);
    };
    threadPool().run(shards, forwardShard);
    for (int k = 0; k < shards; ++k) {
      const ShardRows part = shardRows(count, k, shards);
      collect(*shards_[k]->replica, start + part.first, part.rows);
    }
  }
}

std::vector<Tensor> Model::predict(const std::vector<Tensor>& xs, int batchSize) {
  ATTN_CHECK(batchSize >= 1, "predict: batchSize must be >= 1, got ", batchSize);
  const int samples = checkData("predict", xs, nullptr);
  std::vector<Tensor> out;
  for (int o = 0; o < outputCount(); ++o) out.emplace_back(outputShape(o).withBatch(samples));
  forwardInBatches(xs, samples, batchSize, [&](const Model& ran, int start, int) { ran.copyOutputs(out, start); });
  return out;
}

void Model::copyOutputs(std::vector<Tensor>& out, int start) const {
  for (int o = 0; o < outputCount(); ++o) {
    const Tensor& y = *nodes_[outputs_[o].node]->outputs[outputs_[o].index];
    const int64_t row = out[o].size() / out[o].dim(0);
    std::memcpy(out[o].data() + start * row, y.data(), y.size() * sizeof(float));
  }
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
  Logs logs;
  writeLogs(totals, weights, logs);
  return logs;
}

const Logs& Model::trainOnBatch(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys) {
  checkCompiled("trainOnBatch");
  const int samples = checkData("trainOnBatch", xs, &ys);
  onBatchTotals_.assign(metricNames_.size(), 0.0);
  onBatchWeights_.assign(metricNames_.size(), 0.0);
  gatherBatch(xs, &ys, nullptr, 0, samples);
  runBatch(true, &rng_, onBatchTotals_, onBatchWeights_);
  writeLogs(onBatchTotals_, onBatchWeights_, onBatchLogs_);
  return onBatchLogs_;
}

}  // namespace attn
