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
// "Most of the mass" would be > 0.5, which uniform weights already reach; 0.75 asks for a
// clearly learned focus (measured: 0.92 and 0.96).
constexpr float kAfterLstmMass = 0.75f;
constexpr int kAddSamples = 10000;
constexpr int kAddLstmUnits = 100;
constexpr int kAddEpochs = 10;
constexpr int kMaxSamples = 30000;
constexpr int kMaxEpochs = 10;
constexpr int kTokenSamples = 3000;
constexpr int kTokenEpochs = 10;

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
// step can show it: there the seeds claim no exact peak, and we assert what holds, that most of
// the mass lies on steps >= 10 (uniform weights would put exactly half there).
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
  std::printf("  %s: peak at step %d (%.4f), mass on steps >= %d: %.4f, accuracy %.3f\n", variant.label().c_str(),
              argmax(perStep), perStep[argmax(perStep)], kRecurrentTargetStep, fromTarget, accuracy);
  if (variant.attentionBeforeLstm) {
    EXPECT_EQ(argmax(perStep), kRecurrentTargetStep) << variant.label() << "\n" << barChart(perStep);
  } else {
    EXPECT_GT(fromTarget, kAfterLstmMass) << variant.label() << "\n" << barChart(perStep);
  }
}

INSTANTIATE_TEST_SUITE_P(SeedExperiments, RecurrentHelloWorld,
                         ::testing::Values(RecurrentVariant{true, false}, RecurrentVariant{true, true},
                                           RecurrentVariant{false, false}, RecurrentVariant{false, true}),
                         [](const ::testing::TestParamInfo<RecurrentVariant>& info) {
                           return std::string(info.param.attentionBeforeLstm ? "Before" : "After") +
                                  (info.param.singleVector ? "SingleVector" : "PerFeature");
                         });

// Seed 002, add_two_numbers.py: "The attention is expected to be the highest after the
// delimiters", and the model learns the task.
TEST(SeedExperiments, AddTwoNumbersAttendsToTheValuesAfterTheDelimiters) {
  Rng rng(13);
  Dataset train = addTwoNumbers(kAddSamples, rng);
  Dataset val = addTwoNumbers(1000, rng);
  Dataset test = addTwoNumbers(100, rng, kAddSteps, 3, 8);  // the values sit at steps 4 and 9
  auto model = addTwoNumbersModel(kAddSteps, kAddLstmUnits, "mae", 3);
  model->fit({train.x}, {train.y}, fitOptions(kAddEpochs, 64, 1));

  const std::vector<float> attention = meanOverSamples(model->getAttention({test.x}, "attention_weight"));
  ASSERT_EQ(attention.size(), size_t(kAddSteps));
  std::vector<int> order(kAddSteps);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + 2, order.end(),
                    [&](int a, int b) { return attention[a] > attention[b]; });
  EXPECT_EQ(std::min(order[0], order[1]), 4) << barChart(attention);
  EXPECT_EQ(std::max(order[0], order[1]), 9) << barChart(attention);
  EXPECT_GT(attention[4] + attention[9], 0.5f) << barChart(attention);
  const double mae = meanAbsoluteError(model->predict({val.x})[0], val.y);
  EXPECT_LT(mae, 0.5 * meanPredictorMae(val.y));
  std::printf("  weights[4] + weights[9] = %.4f; validation MAE %.4f vs %.4f for the mean\n",
              attention[4] + attention[9], mae, meanPredictorMae(val.y));
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
  std::printf("  argmax(attention) == argmax(x) on %d of 500 test sequences\n", hits);
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
}

}  // namespace
}  // namespace attn::seeds
