// The training loop, resumable one batch at a time (JS yields to its event loop between
// batches). Everything a step needs is set up by the constructor, so steps allocate nothing.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

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

// Keras' class_weight as per-sample weights: each sample's class is the argmax of its target, or
// its rounded value when the target has one column; classes not listed weigh 1.
Tensor classWeightsPerSample(const std::map<int, float>& classWeight, const Tensor& target) {
  ATTN_CHECK(target.rank() <= 2, "fit: classWeight needs targets of shape (N) or (N, classes), got ",
             target.shape().str(), " (for sequences, use sampleWeight)");
  const int samples = target.dim(0);
  const int width = target.rank() == 2 ? target.dim(1) : 1;
  Tensor weights(Shape{samples});
  for (int i = 0; i < samples; ++i) {
    const float* row = target.data() + int64_t(i) * width;
    const int cls = width > 1 ? static_cast<int>(std::max_element(row, row + width) - row)
                              : static_cast<int>(std::lround(row[0]));
    const auto found = classWeight.find(cls);
    weights[i] = found == classWeight.end() ? 1.f : found->second;
  }
  return weights;
}

// Per output, (N) weights from (N) or (N, 1), finite and >= 0.
std::vector<Tensor> checkedSampleWeights(std::vector<Tensor> weights, int outputs, int samples) {
  ATTN_CHECK(static_cast<int>(weights.size()) == outputs, "fit: sampleWeight needs one array per output (",
             outputs, "), got ", weights.size());
  for (size_t o = 0; o < weights.size(); ++o) {
    Tensor& w = weights[o];
    std::ostringstream name;
    name << "fit: sampleWeight";
    if (outputs > 1) name << "[" << o << "]";
    const std::string which = name.str();
    ATTN_CHECK(w.size() == samples && (w.rank() == 1 || (w.rank() == 2 && w.dim(1) == 1)), which,
               " must hold one weight per sample (", samples, "), got shape ", w.shape().str());
    for (int64_t i = 0; i < w.size(); ++i)
      ATTN_CHECK(std::isfinite(w[i]) && w[i] >= 0.f, which, " holds ", w[i], " at sample ", i,
                 "; weights must be finite and >= 0");
    if (w.rank() == 2) {
      Tensor flat(Shape{samples});
      std::memcpy(flat.data(), w.data(), samples * sizeof(float));
      w = std::move(flat);
    }
  }
  return weights;
}

}  // namespace

FitSession::FitSession(Model& model, std::vector<Tensor> xs, std::vector<Tensor> ys, FitOptions options)
    : model_(model), xs_(std::move(xs)), ys_(std::move(ys)) {
  model.checkCompiled("fit");
  checkFitOptions(options);
  const int samples = model.checkData("fit", xs_, &ys_);
  trainCount_ = samples;
  ATTN_CHECK(options.classWeight.empty() || options.sampleWeights.empty(),
             "fit: classWeight and sampleWeight cannot both be given (as in Keras): fold the class weights into sampleWeight");
  if (!options.sampleWeights.empty()) {
    sampleWeights_ = checkedSampleWeights(std::move(options.sampleWeights), static_cast<int>(ys_.size()), samples);
  } else if (!options.classWeight.empty()) {
    ATTN_CHECK(ys_.size() == 1, "fit: classWeight needs a model with one output, this one has ", ys_.size(),
               "; give sampleWeight per output instead");
    sampleWeights_.push_back(classWeightsPerSample(options.classWeight, ys_[0]));
  }
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
    if (!sampleWeights_.empty()) sampleWeights_ = sliceRows(sampleWeights_, 0, splitAt);  // validation is unweighted
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
  model.writeLogs(trainTotals_, trainWeights_, batchLogs_);
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
  model_.writeMeans(trainTotals_, trainWeights_, epochLogs_.values);
  if (valCount_ > 0) {
    std::fill(valTotals_.begin(), valTotals_.end(), 0.0);
    std::fill(valWeights_.begin(), valWeights_.end(), 0.0);
    for (int start = 0; start < valCount_; start += batchSize_) {
      const int count = std::min(batchSize_, valCount_ - start);
      model_.gatherBatch(valXs_, &valYs_, nullptr, start, count);
      model_.runBatch(false, &dropoutRng_, valTotals_, valWeights_);
    }
    model_.writeMeans(valTotals_, valWeights_, epochLogs_.values, model_.metricNames_.size());
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
  model_.gatherBatch(xs_, &ys_, order_.data(), start, count, sampleWeights_.empty() ? nullptr : &sampleWeights_);
  progress.epoch = epoch_;
  progress.batch = batch_;
  progress.samplesSeen = start + count;
  try {
    progress.batchLoss = model_.runBatch(true, &dropoutRng_, trainTotals_, trainWeights_, &progress);
  } catch (...) {
    done_ = true;  // a failed batch ends the fit; the history keeps the epochs completed
    throw;
  }
  model_.writeMeans(trainTotals_, trainWeights_, batchLogs_.values);
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
