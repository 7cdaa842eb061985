// The seed experiments (shared/seeds 001, 002 and a Keras MultiHeadAttention toy), trained for
// real and checked against what their authors claim. Data and models come from
// examples/seed_tasks.h, as in the examples; here with fewer samples / epochs so the whole
// binary stays well under a minute on one core. Everything is seeded: same build, same result.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <ostream>

#include "seed_tasks.h"

namespace attn::seeds {

// Test names and failure messages show the variant, not its bytes.
void PrintTo(const RecurrentVariant& variant, std::ostream* out) { *out << variant.label(); }

namespace {

// Sizes for CI (about 16 s of CPU in all); the examples train on more, closer to the originals.
constexpr int kDenseSamples = 5000;
constexpr int kDenseEpochs = 20;
constexpr int kRecurrentSamples = 40000;
constexpr int kRecurrentEpochs = 1;
constexpr int kAddSamples = 10000;
constexpr int kAddLstmUnits = 100;
constexpr int kAddEpochs = 10;
constexpr int kMaxSamples = 30000;
constexpr int kMaxEpochs = 10;
constexpr int kTokenSamples = 3000;
constexpr int kTokenEpochs = 10;
constexpr double kTokenMarkerLift = 2.0;

// Attention that learned nothing: the same number of weights, spread evenly or all on the last
// position. Every statistic asserted below is first shown to fail on both, so a pass means the
// layer learned where to look. Each test prints what the baselines score beside the model.
std::vector<float> uniformWeights(size_t n) { return std::vector<float>(n, 1.f / float(n)); }
std::vector<float> lastStepWeights(size_t n) {
  std::vector<float> w(n, 0.f);
  w.back() = 1.f;
  return w;
}
// Per-sample baselines over a (samples, steps) weight tensor.
Tensor uniformLike(const Tensor& weights) {
  Tensor t(weights.shape());
  t.fill(1.f / float(weights.dim(weights.rank() - 1)));
  return t;
}
Tensor lastStepLike(const Tensor& weights) {
  Tensor t(weights.shape());
  t.zero();
  const int steps = weights.dim(weights.rank() - 1);
  for (int64_t row = 0; row < t.size() / steps; ++row) t[row * steps + steps - 1] = 1.f;
  return t;
}

// The weight at `target` over the largest weight elsewhere.
float peakRatio(const std::vector<float>& weights, int target) {
  float others = 0.f;
  for (int i = 0; i < int(weights.size()); ++i)
    if (i != target) others = std::max(others, weights[i]);
  return others > 0.f ? weights[target] / others : INFINITY;
}

// Seed 001: "We expect the attention to be focused on v[1] only, or at least strongly."
TEST(SeedExperiments, DenseHelloWorldAttentionPeaksAtTheLabelFeature) {
  Rng rng(11);
  Dataset train = denseHelloWorld(kDenseSamples, rng);
  Dataset test = denseHelloWorld(500, rng);
  auto model = denseHelloWorldModel(kDenseDims, 3);
  model->fit({train.x}, {train.y}, fitOptions(kDenseEpochs, 64, 1));

  const std::vector<float> attention = meanOverSamples(model->getAttention({test.x}, "attention_vec"));
  ASSERT_EQ(attention.size(), size_t(kDenseDims));
  EXPECT_EQ(argmax(attention), kDenseTargetColumn) << barChart(attention);
  // "Strongly": the label feature outweighs every other by a wide margin, not by noise.
  std::vector<float> others = attention;
  others.erase(others.begin() + kDenseTargetColumn);
  EXPECT_GT(attention[kDenseTargetColumn], 3 * *std::max_element(others.begin(), others.end())) << barChart(attention);
  // Uniform attention scores a ratio of 1, attention on the last feature 0.
  const float uniformRatio = peakRatio(uniformWeights(kDenseDims), kDenseTargetColumn);
  const float lastRatio = peakRatio(lastStepWeights(kDenseDims), kDenseTargetColumn);
  EXPECT_LE(uniformRatio, 3.f);
  EXPECT_LE(lastRatio, 3.f);
  std::printf("  peak ratio at feature %d: model %.2f, uniform %.2f, last feature %.2f (threshold 3)\n",
              kDenseTargetColumn, peakRatio(attention, kDenseTargetColumn), uniformRatio, lastRatio);
  EXPECT_GT(binaryAccuracy(model->predict({test.x})[0], test.y), 0.99);
  std::printf("  mean attention on feature %d: %.4f, largest elsewhere %.4f\n", kDenseTargetColumn,
              attention[kDenseTargetColumn], *std::max_element(others.begin(), others.end()));
}

// The experiments are only reproducible if training is: same seeds, bit-identical attention.
TEST(SeedExperiments, TrainingIsDeterministicWithASeed) {
  auto attentionAfterTraining = [] {
    Rng rng(23);
    Dataset train = denseHelloWorld(1000, rng);
    auto model = denseHelloWorldModel(kDenseDims, 3);
    model->fit({train.x}, {train.y}, fitOptions(3, 64, 1));
    return model->getAttention({train.x}, "attention_vec");
  };
  const Tensor first = attentionAfterTraining(), second = attentionAfterTraining();
  ASSERT_EQ(first.shape(), second.shape());
  EXPECT_TRUE(std::equal(first.data(), first.data() + first.size(), second.data()));
}

// Seed 001, attention_lstm.py, all four variants (APPLY_ATTENTION_BEFORE_LSTM x
// SINGLE_ATTENTION_VECTOR). The README shows attention *on the inputs* peaking at step 10. On the
// LSTM's outputs the step-10 value has been carried forward by the recurrence, so every later
// step can show it; still the label step itself is where the information enters.
// What is asserted, for both placements: the weight at step 10 is more than kPeakRatio times the
// largest weight at any other step. Uniform attention scores 1 there, attention on the last step
// 0, and "most of the mass on steps >= 10" (the old check after the LSTM) is met by the last step
// too, so it is printed, not asserted.
constexpr float kRecurrentPeakRatio = 2.f;

class RecurrentHelloWorld : public ::testing::TestWithParam<RecurrentVariant> {};

TEST_P(RecurrentHelloWorld, AttentionFindsTheLabelStep) {
  const RecurrentVariant variant = GetParam();
  Rng rng(5);
  Dataset train = recurrentHelloWorld(kRecurrentSamples, rng);
  Dataset test = recurrentHelloWorld(500, rng);
  auto model = recurrentHelloWorldModel(variant, kRecurrentSteps, kRecurrentFeatures, 32, 3);
  model->fit({train.x}, {train.y}, fitOptions(kRecurrentEpochs, 64, 1));

  const Tensor weights = model->getAttention({test.x}, "attention_vec");
  ASSERT_EQ(weights.rank(), variant.singleVector ? 2 : 3);
  const std::vector<float> perStep = meanPerStep(weights);
  ASSERT_EQ(perStep.size(), size_t(kRecurrentSteps));
  // The attention is only worth reading if the model learned the task (chance is 0.5; after this
  // short training the attention-before-LSTM variants reach 0.96-0.99 over seeds, after: 1.0).
  const double accuracy = binaryAccuracy(model->predict({test.x})[0], test.y);
  EXPECT_GT(accuracy, 0.9) << variant.label();
  const float fromTarget = std::accumulate(perStep.begin() + kRecurrentTargetStep, perStep.end(), 0.f);
  const float ratio = peakRatio(perStep, kRecurrentTargetStep);
  const float uniformRatio = peakRatio(uniformWeights(kRecurrentSteps), kRecurrentTargetStep);
  const float lastRatio = peakRatio(lastStepWeights(kRecurrentSteps), kRecurrentTargetStep);
  EXPECT_LE(uniformRatio, kRecurrentPeakRatio);
  EXPECT_LE(lastRatio, kRecurrentPeakRatio);
  std::printf("  %s: peak at step %d (%.4f); weight at step %d over the largest elsewhere: model %.2f, uniform %.2f, "
              "last step %.2f (threshold %.2f); mass on steps >= %d %.4f; accuracy %.3f\n",
              variant.label().c_str(), argmax(perStep), perStep[argmax(perStep)], kRecurrentTargetStep, ratio,
              uniformRatio, lastRatio, kRecurrentPeakRatio, kRecurrentTargetStep, fromTarget, accuracy);
  EXPECT_EQ(argmax(perStep), kRecurrentTargetStep) << variant.label() << "\n" << barChart(perStep);
  EXPECT_GT(ratio, kRecurrentPeakRatio) << variant.label() << "\n" << barChart(perStep);
}

INSTANTIATE_TEST_SUITE_P(SeedExperiments, RecurrentHelloWorld,
                         ::testing::Values(RecurrentVariant{true, false}, RecurrentVariant{true, true},
                                           RecurrentVariant{false, false}, RecurrentVariant{false, true}),
                         [](const ::testing::TestParamInfo<RecurrentVariant>& info) {
                           return std::string(info.param.attentionBeforeLstm ? "Before" : "After") +
                                  (info.param.singleVector ? "SingleVector" : "PerFeature");
                         });

// Seed 002, add_two_numbers.py: "The attention is expected to be the highest after the
// delimiters", and the model learns the task. Trained once; tested with the delimiters at two
// placements, so the attention must follow them rather than sit at fixed steps.
TEST(SeedExperiments, AddTwoNumbersAttendsToTheValuesAfterTheDelimiters) {
  Rng rng(13);
  Dataset train = addTwoNumbers(kAddSamples, rng);
  Dataset val = addTwoNumbers(1000, rng);
  auto model = addTwoNumbersModel(kAddSteps, kAddLstmUnits, "mae", 3);
  model->fit({train.x}, {train.y}, fitOptions(kAddEpochs, 64, 1));
  const double mae = meanAbsoluteError(model->predict({val.x})[0], val.y);
  EXPECT_LT(mae, 0.5 * meanPredictorMae(val.y));
  std::printf("  validation MAE %.4f vs %.4f for the mean\n", mae, meanPredictorMae(val.y));

  for (const auto& [delimiterA, delimiterB] : {std::pair{3, 8}, std::pair{11, 16}}) {
    const int a = delimiterA + 1, b = delimiterB + 1;  // the values sit right after the delimiters
    SCOPED_TRACE("delimiters at " + std::to_string(delimiterA) + " and " + std::to_string(delimiterB));
    Dataset test = addTwoNumbers(100, rng, kAddSteps, delimiterA, delimiterB);
    const std::vector<float> attention = meanOverSamples(model->getAttention({test.x}, "attention_weight"));
    ASSERT_EQ(attention.size(), size_t(kAddSteps));
    std::vector<int> order(kAddSteps);
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + 2, order.end(),
                      [&](int i, int j) { return attention[i] > attention[j]; });
    EXPECT_EQ(std::min(order[0], order[1]), a) << barChart(attention);
    EXPECT_EQ(std::max(order[0], order[1]), b) << barChart(attention);
    // The two value steps hold more than half the mass: uniform attention puts 2/20 there, the
    // last step none (the last step is never a value step at these placements).
    const auto massOnValues = [&](const std::vector<float>& w) { return w[a] + w[b]; };
    EXPECT_LE(massOnValues(uniformWeights(kAddSteps)), 0.5f);
    EXPECT_LE(massOnValues(lastStepWeights(kAddSteps)), 0.5f);
    EXPECT_GT(massOnValues(attention), 0.5f) << barChart(attention);
    std::printf("  delimiters at %d, %d: weights[%d] + weights[%d] = %.4f (uniform %.2f, last step %.2f)\n",
                delimiterA, delimiterB, a, b, massOnValues(attention), massOnValues(uniformWeights(kAddSteps)),
                massOnValues(lastStepWeights(kAddSteps)));
  }
}

// Seed 002, find_max.py: "We expect the attention layer to focus on the maximum of each sequence."
// Not guaranteed: the LSTM can carry a running max to its last step by itself, so a low loss does
// not force the attention onto the max. Over 5 other seeds at these sizes 80-92% of sequences had
// argmax(attention) == argmax(x) (one seed sat at exactly 80%); this seed reaches 90%.
TEST(SeedExperiments, FindMaxAttendsToTheMaximum) {
  Rng rng(17);
  Dataset train = findMax(kMaxSamples, rng);
  Dataset test = findMax(500, rng);
  auto model = findMaxModel(kMaxSteps, 3);
  model->fit({train.x}, {train.y}, fitOptions(kMaxEpochs, 64, 1));

  const Tensor weights = model->getAttention({test.x}, "attention_weight");
  ASSERT_EQ(weights.shape(), (Shape{500, kMaxSteps}));
  int hits = 0;
  for (int i = 0; i < 500; ++i)
    hits += argmax(weights.data() + int64_t(i) * kMaxSteps, kMaxSteps) ==
            argmax(test.x.data() + int64_t(i) * kMaxSteps, kMaxSteps);
  EXPECT_GE(hits, 400) << "argmax(attention) == argmax(x) on " << hits << " of 500";
  // Uniform weights have their argmax at step 0, last-step weights at the last step: each finds
  // the maximum only where it happens to sit there (about 1 in kMaxSteps).
  const auto hitsOf = [&](const Tensor& w) {
    int count = 0;
    for (int i = 0; i < 500; ++i)
      count += argmax(w.data() + int64_t(i) * kMaxSteps, kMaxSteps) ==
               argmax(test.x.data() + int64_t(i) * kMaxSteps, kMaxSteps);
    return count;
  };
  const int uniformHits = hitsOf(uniformLike(weights)), lastHits = hitsOf(lastStepLike(weights));
  EXPECT_LT(uniformHits, 400);
  EXPECT_LT(lastHits, 400);
  std::printf("  argmax(attention) == argmax(x) on %d of 500 test sequences (uniform %d, last step %d)\n", hits,
              uniformHits, lastHits);
}

// Keras' MultiHeadAttention on padded, variable-length token sequences: it learns the task and
// the embedding's mask gives the padded keys exactly zero weight.
TEST(SeedExperiments, SelfAttentionOnPaddedTokensLearnsAndIgnoresPadding) {
  Rng rng(19);
  Dataset train = markerTokens(kTokenSamples, rng);
  Dataset test = markerTokens(500, rng);
  auto model = markerTokensModel(kTokenVocab, kTokenMaxLength, 16, 2, 8, 3);
  model->fit({train.x}, {train.y}, fitOptions(kTokenEpochs, 32, 1));

  const double accuracy = binaryAccuracy(model->predict({test.x})[0], test.y);
  EXPECT_GE(accuracy, 0.9);
  std::printf("  test accuracy %.4f\n", accuracy);
  const Tensor weights = model->getAttention({test.x}, "self_attention");
  ASSERT_EQ(weights.shape(), (Shape{500, 2, kTokenMaxLength, kTokenMaxLength}));
  int padded = 0, nonzero = 0;
  for (int i = 0; i < 500; ++i)
    for (int s = 0; s < kTokenMaxLength; ++s) {
      if (test.x[int64_t(i) * kTokenMaxLength + s] != 0.f) continue;
      for (int h = 0; h < 2; ++h)
        for (int t = 0; t < kTokenMaxLength; ++t) {
          ++padded;
          nonzero += weights[((int64_t(i) * 2 + h) * kTokenMaxLength + t) * kTokenMaxLength + s] != 0.f;
        }
    }
  ASSERT_GT(padded, 0);  // the test set does contain padding
  EXPECT_EQ(nonzero, 0) << "of " << padded << " weights on padded keys";

  // Where the heads look: over the positive sequences, the mass the real queries give to marker
  // keys, as a multiple of the marker's share of the real keys (copies / length). Uniform
  // attention over the real keys scores exactly 1; attention on the last key scores the marker's
  // share of last positions over its share of all positions (about 1).
  const auto markerLift = [&](const Tensor& w) {
    double lift = 0;
    int positives = 0;
    for (int i = 0; i < 500; ++i) {
      if (test.y[i] != 1.f) continue;
      const float* row = test.x.data() + int64_t(i) * kTokenMaxLength;
      int length = 0, markers = 0;
      for (int s = 0; s < kTokenMaxLength; ++s) {
        length += row[s] != 0.f;
        markers += row[s] == float(kTokenMarker);
      }
      double mass = 0;
      for (int h = 0; h < 2; ++h)
        for (int t = kTokenMaxLength - length; t < kTokenMaxLength; ++t)
          for (int s = 0; s < kTokenMaxLength; ++s)
            if (row[s] == float(kTokenMarker)) mass += w[((int64_t(i) * 2 + h) * kTokenMaxLength + t) * kTokenMaxLength + s];
      lift += (mass / (2.0 * length)) / (double(markers) / length);
      ++positives;
    }
    return lift / std::max(positives, 1);
  };
  // The baselines over the real keys only, as the mask would leave them.
  Tensor uniformReal(weights.shape()), lastReal(weights.shape());
  uniformReal.zero();
  lastReal.zero();
  for (int i = 0; i < 500; ++i) {
    const float* row = test.x.data() + int64_t(i) * kTokenMaxLength;
    int length = 0;
    for (int s = 0; s < kTokenMaxLength; ++s) length += row[s] != 0.f;
    for (int h = 0; h < 2; ++h)
      for (int t = 0; t < kTokenMaxLength; ++t) {
        const int64_t base = ((int64_t(i) * 2 + h) * kTokenMaxLength + t) * kTokenMaxLength;
        for (int s = kTokenMaxLength - length; s < kTokenMaxLength; ++s) uniformReal[base + s] = 1.f / float(length);
        lastReal[base + kTokenMaxLength - 1] = 1.f;
      }
  }
  const double lift = markerLift(weights), uniformLift = markerLift(uniformReal), lastLift = markerLift(lastReal);
  EXPECT_LT(uniformLift, kTokenMarkerLift);
  EXPECT_LT(lastLift, kTokenMarkerLift);
  EXPECT_GT(lift, kTokenMarkerLift);
  std::printf("  attention on the marker over its share: model %.2f, uniform %.2f, last key %.2f (threshold %.1f)\n",
              lift, uniformLift, lastLift, kTokenMarkerLift);
}

}  // namespace
}  // namespace attn::seeds
