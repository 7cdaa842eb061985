// The training loop, resumable one batch at a time (JS yields to its event loop between
// batches). Everything a step needs is set up by the constructor, so steps allocate nothing.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/check.h"
#include "model/fit_options.h"
#include "model/model.h"

namespace attn {
namespace {

// Rows [begin, end) of every tensor.
std::vector<Tensor> sliceRows(const std::vector<Tensor>& data, int begin, int end) {
  std::vector<Tensor> out;
  for (const Tensor& t : data) {
    Shape s = t.shape();
    const int64_t row = s[0] ? t.size() / s[0] : 0;
    s[0] = end - begin;
    Tensor part(s);
    std::memcpy(part.data(), t.data() + begin * row, (end - begin) * row * sizeof(float));
    out.push_back(std::move(part));
  }
  return out;
}

}  // namespace

FitSession::FitSession(Model& model, std::vector<Tensor> xs, std::vector<Tensor> ys, FitOptions options)
    : model_(model), xs_(std::move(xs)), ys_(std::move(ys)) {
  model.checkCompiled("fit");
  checkFitOptions(options);
  const int samples = model.checkData("fit", xs_, &ys_);
  trainCount_ = samples;
  if (!options.validationXs.empty() || !options.validationYs.empty()) {
    model.checkData("fit (validationData)", options.validationXs, &options.validationYs);
    valXs_ = std::move(options.validationXs);
    valYs_ = std::move(options.validationYs);
    valCount_ = valXs_[0].dim(0);
  } else if (options.validationSplit > 0.0) {
    // Keras: the last fraction of the samples, taken before any shuffling.
    const int splitAt = static_cast<int>(std::floor(samples * (1.0 - options.validationSplit)));
    ATTN_CHECK(splitAt >= 1 && splitAt < samples, "fit: validationSplit ", options.validationSplit, " of ", samples,
               " samples leaves ", splitAt, " for training and ", samples - splitAt, " for validation");
    valXs_ = sliceRows(xs_, splitAt, samples);
    valYs_ = sliceRows(ys_, splitAt, samples);
    valCount_ = samples - splitAt;
    trainCount_ = splitAt;
  }
  compileGeneration_ = model.compileGeneration_;
  batchSize_ = options.batchSize;
  epochs_ = options.epochs;
  shuffle_ = options.shuffle;
  batchesPerEpoch_ = (trainCount_ + batchSize_ - 1) / batchSize_;
  const uint64_t seed = options.seed ? *options.seed : model.rng_.split();
  shuffleRng_.seed(seed);
  dropoutRng_.seed(seed ^ 0xd1b54a32d192ed03ull);
  order_.resize(trainCount_);
  for (int i = 0; i < trainCount_; ++i) order_[i] = i;

  const size_t metrics = model.metricNames_.size();
  trainTotals_.assign(metrics, 0.0);
  trainWeights_.assign(metrics, 0.0);
  valTotals_.assign(metrics, 0.0);
  valWeights_.assign(metrics, 0.0);
  batchLogs_ = model.logsFrom(trainTotals_, trainWeights_, "");
  epochLogs_ = batchLogs_;
  if (valCount_ > 0)
    for (const auto& name : model.metricNames_) epochLogs_.set("val_" + name, 0.0);
  history_.keys = epochLogs_.names;
  history_.values.assign(history_.keys.size(), {});
  for (auto& v : history_.values) v.reserve(epochs_);
}

void FitSession::startEpoch() {
  std::fill(trainTotals_.begin(), trainTotals_.end(), 0.0);
  std::fill(trainWeights_.begin(), trainWeights_.end(), 0.0);
  if (!shuffle_) return;
  // Fisher-Yates with the session's seeded stream: the same seed gives the same batches.
  for (int i = trainCount_ - 1; i > 0; --i) std::swap(order_[i], order_[shuffleRng_.below(i + 1)]);
}

void FitSession::finishEpoch() {
  const size_t metrics = model_.metricNames_.size();
  for (size_t i = 0; i < metrics; ++i)
    epochLogs_.values[i] = trainWeights_[i] > 0 ? trainTotals_[i] / trainWeights_[i] : 0.0;
  if (valCount_ > 0) {
    std::fill(valTotals_.begin(), valTotals_.end(), 0.0);
    std::fill(valWeights_.begin(), valWeights_.end(), 0.0);
    for (int start = 0; start < valCount_; start += batchSize_) {
      const int count = std::min(batchSize_, valCount_ - start);
      model_.gatherBatch(valXs_, &valYs_, nullptr, start, count);
      model_.runBatch(false, &dropoutRng_, valTotals_, valWeights_);
    }
    for (size_t i = 0; i < metrics; ++i)
      epochLogs_.values[metrics + i] = valWeights_[i] > 0 ? valTotals_[i] / valWeights_[i] : 0.0;
  }
  for (size_t k = 0; k < history_.values.size(); ++k) history_.values[k].push_back(epochLogs_.values[k]);
}

FitProgress FitSession::step() {
  FitProgress progress;
  progress.batchesPerEpoch = batchesPerEpoch_;
  if (done_) {
    progress.epoch = epoch_;
    progress.done = true;
    return progress;
  }
  if (compileGeneration_ != model_.compileGeneration_) {
    done_ = true;
    fail("fit: the model was compiled again during fit; start a new fit");
  }
  if (batch_ == 0) startEpoch();
  const int start = batch_ * batchSize_;
  const int count = std::min(batchSize_, trainCount_ - start);
  model_.gatherBatch(xs_, &ys_, order_.data(), start, count);
  progress.epoch = epoch_;
  progress.batch = batch_;
  progress.samplesSeen = start + count;
  try {
    progress.batchLoss = model_.runBatch(true, &dropoutRng_, trainTotals_, trainWeights_, &progress);
  } catch (...) {
    done_ = true;  // a failed batch ends the fit; the history keeps the epochs completed
    throw;
  }
  for (size_t i = 0; i < batchLogs_.values.size(); ++i)
    batchLogs_.values[i] = trainWeights_[i] > 0 ? trainTotals_[i] / trainWeights_[i] : 0.0;
  progress.batchLogs = &batchLogs_;
  if (++batch_ == batchesPerEpoch_) {
    finishEpoch();
    progress.epochEnded = true;
    progress.epochLogs = &epochLogs_;
    batch_ = 0;
    if (++epoch_ == epochs_) done_ = true;
  }
  progress.done = done_;
  return progress;
}

std::unique_ptr<FitSession> Model::beginFit(std::vector<Tensor> xs, std::vector<Tensor> ys, FitOptions options) {
  return std::unique_ptr<FitSession>(new FitSession(*this, std::move(xs), std::move(ys), std::move(options)));
}

History Model::fit(std::vector<Tensor> xs, std::vector<Tensor> ys, FitOptions options) {
  FitCallbacks callbacks = std::move(options.callbacks);
  auto session = beginFit(std::move(xs), std::move(ys), std::move(options));
  stopTraining = false;
  while (!session->done()) {
    FitProgress p = session->step();
    if (callbacks.onBatchEnd) callbacks.onBatchEnd(p.batch, *p.batchLogs);
    if (p.epochEnded && callbacks.onEpochEnd) callbacks.onEpochEnd(p.epoch, *p.epochLogs);
    if (stopTraining) session->stop();
  }
  stopTraining = false;
  return session->history();
}

}  // namespace attn
