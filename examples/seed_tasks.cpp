#include "seed_tasks.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "core/check.h"

namespace attn::seeds {
namespace {

void compileBinary(Model& model) {
  model.compile({{"optimizer", "adam"}, {"loss", "binaryCrossentropy"}, {"metrics", {"accuracy"}}});
}

}  // namespace

// ---- 1 ---------------------------------------------------------------------------------------

Dataset denseHelloWorld(int n, Rng& rng, int dims, int targetColumn) {
  ATTN_CHECK(targetColumn >= 0 && targetColumn < dims, "denseHelloWorld: target column ", targetColumn, " outside 0..",
             dims - 1);
  Dataset d{Tensor({n, dims}), Tensor({n, 1})};
  for (int i = 0; i < n; ++i) {
    const float label = static_cast<float>(rng.below(2));
    d.y[i] = label;
    for (int j = 0; j < dims; ++j) d.x[int64_t(i) * dims + j] = rng.normal();
    d.x[int64_t(i) * dims + targetColumn] = label;
  }
  return d;
}

std::unique_ptr<Model> denseHelloWorldModel(int dims, uint64_t seed) {
  auto x = input({dims});
  auto attended = layers::apply("featureAttention", {{"name", "attention_vec"}}, x);
  auto hidden = layers::apply("dense", {{"units", 64}}, attended);
  auto y = layers::apply("dense", {{"units", 1}, {"activation", "sigmoid"}}, hidden);
  auto model = functionalModel({x}, {y}, "dense_hello_world", seed);
  compileBinary(*model);
  return model;
}

// ---- 2 ---------------------------------------------------------------------------------------

Dataset recurrentHelloWorld(int n, Rng& rng, int steps, int features, int targetStep) {
  ATTN_CHECK(targetStep >= 0 && targetStep < steps, "recurrentHelloWorld: target step ", targetStep, " outside 0..",
             steps - 1);
  Dataset d{Tensor({n, steps, features}), Tensor({n, 1})};
  const int64_t perSample = int64_t(steps) * features;
  for (int i = 0; i < n; ++i) {
    const float label = static_cast<float>(rng.below(2));
    d.y[i] = label;
    float* row = d.x.data() + i * perSample;
    for (int64_t j = 0; j < perSample; ++j) row[j] = rng.normal();
    for (int f = 0; f < features; ++f) row[int64_t(targetStep) * features + f] = label;
  }
  return d;
}

std::string RecurrentVariant::label() const {
  return std::string(attentionBeforeLstm ? "before the LSTM" : "after the LSTM") +
         (singleVector ? ", single vector" : ", one vector per feature");
}

std::unique_ptr<Model> recurrentHelloWorldModel(const RecurrentVariant& variant, int steps, int features, int lstmUnits,
                                                uint64_t seed) {
  auto x = input({steps, features});
  const Json attention{{"singleVector", variant.singleVector}, {"name", "attention_vec"}};
  SymbolicTensor encoded;
  if (variant.attentionBeforeLstm) {
    auto attended = layers::apply("timeAttention", attention, x);
    encoded = layers::apply("lstm", {{"units", lstmUnits}}, attended);
  } else {
    auto sequence = layers::apply("lstm", {{"units", lstmUnits}, {"returnSequences", true}}, x);
    auto attended = layers::apply("timeAttention", attention, sequence);
    encoded = layers::apply("flatten", Json::object(), attended);
  }
  auto y = layers::apply("dense", {{"units", 1}, {"activation", "sigmoid"}}, encoded);
  auto model = functionalModel({x}, {y}, "recurrent_hello_world", seed);
  compileBinary(*model);
  return model;
}

// ---- 3 ---------------------------------------------------------------------------------------

Dataset addTwoNumbers(int n, Rng& rng, int steps, int delimiterA, int delimiterB) {
  const bool fixed = delimiterA >= 0 || delimiterB >= 0;
  if (fixed)
    ATTN_CHECK(delimiterA >= 0 && delimiterB >= 0 && delimiterA + 1 < steps && delimiterB + 1 < steps &&
                   std::abs(delimiterA - delimiterB) >= 2,
               "addTwoNumbers: delimiters must be 2 or more apart and followed by a value, got ", delimiterA, " and ",
               delimiterB);
  ATTN_CHECK(steps >= 4, "addTwoNumbers: needs at least 4 steps, got ", steps);
  Dataset d{Tensor({n, steps, 1}), Tensor({n, 1})};
  for (int i = 0; i < n; ++i) {
    float* row = d.x.data() + int64_t(i) * steps;
    for (int t = 0; t < steps; ++t) row[t] = rng.uniform();
    int a = delimiterA, b = delimiterB;
    if (!fixed) {
      // A delimiter can sit on 0..steps-2 (a value must follow it); redraw until 2 apart.
      do {
        a = static_cast<int>(rng.below(steps - 1));
        b = static_cast<int>(rng.below(steps - 1));
      } while (std::abs(a - b) < 2);
    }
    row[a] = 0.f;
    row[b] = 0.f;
    d.y[i] = 0.5f * (row[a + 1] + row[b + 1]);
  }
  return d;
}

std::unique_ptr<Model> addTwoNumbersModel(int steps, int lstmUnits, const std::string& loss, uint64_t seed) {
  auto x = input({steps, 1});
  auto sequence = layers::apply("lstm", {{"units", lstmUnits}, {"returnSequences", true}}, x);
  auto context =
      layers::apply("attention", {{"units", 128}, {"score", "bahdanau"}, {"name", "attention_weight"}}, sequence);
  auto y = layers::apply("dense", {{"units", 1}}, context);
  auto model = functionalModel({x}, {y}, "add_two_numbers", seed);
  model->compile({{"optimizer", "adam"}, {"loss", loss}, {"metrics", {"mae"}}});
  return model;
}

// ---- 4 ---------------------------------------------------------------------------------------

Dataset findMax(int n, Rng& rng, int steps) {
  Dataset d{Tensor({n, steps, 1}), Tensor({n, 1})};
  for (int i = 0; i < n; ++i) {
    float* row = d.x.data() + int64_t(i) * steps;
    float largest = 0.f;
    for (int t = 0; t < steps; ++t) {
      // Beta(a, 1) has CDF x^a, so U^(1/a) samples it; with a = 1/T that is U^T.
      row[t] = std::pow(rng.uniform(), static_cast<float>(steps));
      largest = std::max(largest, row[t]);
    }
    d.y[i] = largest;
  }
  return d;
}

std::unique_ptr<Model> findMaxModel(int steps, uint64_t seed) {
  auto x = input({steps, 1});
  auto sequence = layers::apply("lstm", {{"units", 64}, {"returnSequences", true}}, x);
  auto context =
      layers::apply("attention", {{"units", 32}, {"score", "luong"}, {"name", "attention_weight"}}, sequence);
  auto y = layers::apply("dense", {{"units", 1}}, context);
  auto model = functionalModel({x}, {y}, "find_max", seed);
  model->compile({{"optimizer", "adam"}, {"loss", "mse"}, {"metrics", {"mae"}}});
  return model;
}

// ---- 5 ---------------------------------------------------------------------------------------

Dataset markerTokens(int n, Rng& rng, int vocab, int minLength, int maxLength, int marker) {
  ATTN_CHECK(marker >= 1 && marker < vocab && vocab >= 3, "markerTokens: marker ", marker, " outside 1..", vocab - 1);
  ATTN_CHECK(minLength >= 1 && minLength <= maxLength, "markerTokens: bad lengths ", minLength, "..", maxLength);
  Dataset d{Tensor({n, maxLength}), Tensor({n, 1})};
  d.x.zero();
  for (int i = 0; i < n; ++i) {
    const int length = minLength + static_cast<int>(rng.below(maxLength - minLength + 1));
    const bool positive = rng.below(2) == 1;
    float* row = d.x.data() + int64_t(i) * maxLength + (maxLength - length);  // 'pre' padding
    for (int t = 0; t < length; ++t) {
      int token;
      do token = 1 + static_cast<int>(rng.below(vocab - 1));
      while (token == marker);
      row[t] = static_cast<float>(token);
    }
    // Positives carry the marker once or twice, anywhere in the real part.
    if (positive) {
      const int copies = 1 + static_cast<int>(rng.below(2));
      for (int c = 0; c < copies; ++c) row[rng.below(length)] = static_cast<float>(marker);
    }
    d.y[i] = positive ? 1.f : 0.f;
  }
  return d;
}

std::unique_ptr<Model> markerTokensModel(int vocab, int maxLength, int embedDim, int heads, int keyDim, uint64_t seed) {
  auto tokens = input({maxLength});
  auto embedded =
      layers::apply("embedding", {{"inputDim", vocab}, {"outputDim", embedDim}, {"maskZero", true}}, tokens);
  auto attended =
      layers::apply("multiHeadAttention", {{"numHeads", heads}, {"keyDim", keyDim}, {"name", "self_attention"}},
                    std::vector<SymbolicTensor>{embedded, embedded});
  auto pooled = layers::apply("globalAveragePooling1D", Json::object(), attended);
  auto y = layers::apply("dense", {{"units", 1}, {"activation", "sigmoid"}}, pooled);
  auto model = functionalModel({tokens}, {y}, "marker_tokens", seed);
  compileBinary(*model);
  return model;
}

FitOptions fitOptions(int epochs, int batchSize, uint64_t seed, double validationSplit) {
  FitOptions options;
  options.epochs = epochs;
  options.batchSize = batchSize;
  options.seed = seed;
  options.validationSplit = validationSplit;
  return options;
}

// ---- read-outs -------------------------------------------------------------------------------

std::vector<float> meanOverSamples(const Tensor& weights) {
  const int n = weights.dim(0);
  const int64_t per = weights.size() / std::max(n, 1);
  std::vector<double> sum(per, 0.0);
  for (int i = 0; i < n; ++i)
    for (int64_t j = 0; j < per; ++j) sum[j] += weights[i * per + j];
  std::vector<float> mean(per);
  for (int64_t j = 0; j < per; ++j) mean[j] = static_cast<float>(sum[j] / std::max(n, 1));
  return mean;
}

std::vector<float> meanPerStep(const Tensor& weights) {
  std::vector<float> mean = meanOverSamples(weights);
  if (weights.rank() == 2) return mean;
  ATTN_CHECK(weights.rank() == 3, "meanPerStep: expected weights (n, T) or (n, T, D), got ", weights.shape().str());
  const int steps = weights.dim(1), features = weights.dim(2);
  std::vector<float> perStep(steps, 0.f);
  for (int t = 0; t < steps; ++t) {
    for (int f = 0; f < features; ++f) perStep[t] += mean[int64_t(t) * features + f];
    perStep[t] /= static_cast<float>(features);
  }
  return perStep;
}

int argmax(const float* values, int count) {
  return static_cast<int>(std::max_element(values, values + count) - values);
}

std::string barChart(const std::vector<float>& values, int width) {
  const float top = values.empty() ? 1.f : std::max(*std::max_element(values.begin(), values.end()), 1e-12f);
  std::string out;
  char line[64];
  for (size_t i = 0; i < values.size(); ++i) {
    std::snprintf(line, sizeof line, "  %3zu | %.4f ", i, static_cast<double>(values[i]));
    out += line;
    out.append(static_cast<size_t>(std::lround(width * std::max(values[i], 0.f) / top)), '#');
    out += '\n';
  }
  return out;
}

double meanAbsoluteError(const Tensor& predictions, const Tensor& y) {
  ATTN_CHECK(predictions.size() == y.size(), "meanAbsoluteError: ", predictions.size(), " predictions for ", y.size(),
             " targets");
  double sum = 0;
  for (int64_t i = 0; i < y.size(); ++i) sum += std::fabs(double(predictions[i]) - y[i]);
  return sum / std::max<int64_t>(y.size(), 1);
}

double meanPredictorMae(const Tensor& y) {
  double mean = 0;
  for (int64_t i = 0; i < y.size(); ++i) mean += y[i];
  mean /= std::max<int64_t>(y.size(), 1);
  double sum = 0;
  for (int64_t i = 0; i < y.size(); ++i) sum += std::fabs(y[i] - mean);
  return sum / std::max<int64_t>(y.size(), 1);
}

double binaryAccuracy(const Tensor& predictions, const Tensor& y) {
  ATTN_CHECK(predictions.size() == y.size(), "binaryAccuracy: ", predictions.size(), " predictions for ", y.size(),
             " targets");
  int64_t right = 0;
  for (int64_t i = 0; i < y.size(); ++i) right += (predictions[i] > 0.5f) == (y[i] > 0.5f);
  return double(right) / std::max<int64_t>(y.size(), 1);
}

Stopwatch::Stopwatch()
    : startNs_(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
                   .count()),
      startCpu_(double(std::clock()) / CLOCKS_PER_SEC) {}

double Stopwatch::cpuSeconds() const { return double(std::clock()) / CLOCKS_PER_SEC - startCpu_; }

std::string Stopwatch::str() const {
  char text[64];
  std::snprintf(text, sizeof text, "%.2f s (%.2f s CPU)", seconds(), cpuSeconds());
  return text;
}

double Stopwatch::seconds() const {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  return double(now - startNs_) * 1e-9;
}

}  // namespace attn::seeds
