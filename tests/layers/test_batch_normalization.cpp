#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_util.h"

namespace attn::batch_normalization_test {
namespace {

using namespace testing;

struct Stats {
  std::vector<double> mean, variance;
};

// Per-feature biased mean and variance of x viewed as (R, C, I).
Stats featureStats(const Tensor& x, int R, int C, int I) {
  Stats s{std::vector<double>(C, 0.0), std::vector<double>(C, 0.0)};
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c)
      for (int i = 0; i < I; ++i) s.mean[c] += x[(int64_t(r) * C + c) * I + i];
  for (int c = 0; c < C; ++c) s.mean[c] /= double(R) * I;
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c)
      for (int i = 0; i < I; ++i) {
        const double d = x[(int64_t(r) * C + c) * I + i] - s.mean[c];
        s.variance[c] += d * d;
      }
  for (int c = 0; c < C; ++c) s.variance[c] /= double(R) * I;
  return s;
}

void expectNormalized(LayerHarness& h, int R, int C, int I, const std::vector<double>& mean,
                      const std::vector<double>& variance) {
  const Param& gamma = h.store().params()[0];
  const Param& beta = h.store().params()[1];
  const Tensor& x = h.inputs[0];
  const Tensor& y = h.layer().output();
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c)
      for (int i = 0; i < I; ++i) {
        const int64_t j = (int64_t(r) * C + c) * I + i;
        const double expected = gamma.value[c] * (x[j] - mean[c]) / std::sqrt(variance[c] + 1e-3) + beta.value[c];
        EXPECT_NEAR(y[j], expected, 1e-4) << j;
      }
}

TEST(BatchNormalization, TrainingUsesBatchStatisticsAndUpdatesMovingOnes) {
  LayerHarness h(makeLayer("batchNormalization", Json::object()), {Shape{5, 3}}, 4);
  h.randomizeParams();
  for (int64_t i = 0; i < h.inputs[0].size(); ++i) h.inputs[0][i] = 2.f * h.inputs[0][i] + float(i % 3);
  h.forward(true);
  const Stats s = featureStats(h.inputs[0], 20, 3, 1);
  expectNormalized(h, 20, 3, 1, s.mean, s.variance);
  const Param& movingMean = h.store().params()[2];
  const Param& movingVariance = h.store().params()[3];
  EXPECT_EQ(movingMean.name, "batch_normalization/moving_mean");
  EXPECT_FALSE(movingMean.trainable);
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(movingMean.value[c], 0.01 * s.mean[c], 1e-5);
    EXPECT_NEAR(movingVariance.value[c], 0.99 + 0.01 * s.variance[c], 1e-5);
  }
  h.forward(true);  // a second step moves them again, geometrically
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(movingMean.value[c], (0.01 + 0.99 * 0.01) * s.mean[c], 1e-5);
}

TEST(BatchNormalization, InferenceUsesMovingStatistics) {
  LayerHarness h(makeLayer("batchNormalization", {{"momentum", 0.5}}), {Shape{5, 3}}, 4);
  h.randomizeParams();
  Param& movingMean = h.store().params()[2];
  Param& movingVariance = h.store().params()[3];
  const std::vector<double> mean = {0.5, -1.0, 2.0}, variance = {0.25, 4.0, 1.5};
  for (int c = 0; c < 3; ++c) {
    movingMean.value[c] = float(mean[c]);
    movingVariance.value[c] = float(variance[c]);
  }
  h.forward(false);
  expectNormalized(h, 20, 3, 1, mean, variance);
  EXPECT_EQ(movingMean.value[0], 0.5f);  // inference leaves them alone
}

TEST(BatchNormalization, FeatureAxisOneOfRank3) {
  // (B, C, L) with axis 1: statistics over B and L for each of the C features.
  LayerHarness h(makeLayer("batchNormalization", {{"axis", 1}}), {Shape{3, 4}}, 5);
  h.randomizeParams();
  h.forward(true);
  const Stats s = featureStats(h.inputs[0], 5, 3, 4);
  expectNormalized(h, 5, 3, 4, s.mean, s.variance);
  EXPECT_EQ(h.store().params()[0].shape, (Shape{3}));
}

TEST(BatchNormalization, GradientsInTrainingAndInference) {
  for (int axis : {-1, 1}) {
    SCOPED_TRACE(axis);
    LayerHarness h(makeLayer("batchNormalization", {{"axis", axis}}), {Shape{3, 4}}, 4);
    h.randomizeParams();
    GradCheckOptions training;
    training.training = true;
    EXPECT_TRUE(gradientsMatch(h, training));
    Param& movingVariance = h.store().params()[3];
    for (int64_t c = 0; c < movingVariance.size(); ++c) movingVariance.value[c] = 0.5f + 0.3f * float(c);
    EXPECT_TRUE(gradientsMatch(h));
  }
}

TEST(BatchNormalization, WithoutCenterOrScale) {
  LayerHarness h(makeLayer("batchNormalization", {{"center", false}, {"scale", false}}), {Shape{6}}, 8);
  EXPECT_EQ(h.layer().countParams(), 12);
  EXPECT_EQ(h.layer().countParams(true), 0);
  GradCheckOptions training;
  training.training = true;
  EXPECT_TRUE(gradientsMatch(h, training));
  h.forward(true);
  const Stats s = featureStats(h.layer().output(), 8, 6, 1);
  for (int c = 0; c < 6; ++c) {
    EXPECT_NEAR(s.mean[c], 0.0, 1e-5);
    EXPECT_NEAR(s.variance[c], 1.0, 2e-3);  // var / (var + eps)
  }
}

TEST(BatchNormalization, ParameterCountsMatchKerasAndMaskPasses) {
  LayerHarness h(makeLayer("batchNormalization", Json::object()), {Shape{7, 16}}, 2);
  EXPECT_EQ(h.layer().countParams(), 64);
  EXPECT_EQ(h.layer().countParams(true), 32);
  const char* names[] = {"gamma", "beta", "moving_mean", "moving_variance"};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(h.layer().params()[i]->name, std::string("batch_normalization/") + names[i]);
  h.maskTail(0, {2, 0});
  EXPECT_EQ(forwardMask(h, true), &h.masks[0]);
  EXPECT_EQ(allocationsAfterFirstBatch(h, true), 0);
  h.randomizeParams();
  EXPECT_TRUE(backwardAccumulates(h, true));
  EXPECT_TRUE(backwardAccumulates(h, false));
}

TEST(BatchNormalization, RejectsBadOptionsAndShapes) {
  EXPECT_TRUE(throwsWith([] { makeLayer("batchNormalization", {{"momentum", 1.5}}); }, {"'momentum' must be between"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("batchNormalization", {{"epsilon", 0}}); }, {"'epsilon' must be positive"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("batchNormalization", {{"axis", 3}, {"name", "bn"}}, {Shape{4, 2}}); },
                         {"bn: option 'axis' = 3 is out of range"}));
  LayerHarness h(makeLayer("batchNormalization", {{"name", "bn"}}), {Shape{4, 2}}, 2);
  h.inputs[0] = Tensor(Shape{2, 4, 3});
  EXPECT_TRUE(throwsWith([&] { h.forward(true); }, {"bn: expected input of shape (None, 4, 2), got (2, 4, 3)"}));
}

TEST(BatchNormalization, OptionsRoundTripAndNoAllocationAfterFirstBatch) {
  EXPECT_TRUE(optionsRoundTrip("batchNormalization", {{"axis", 1}, {"momentum", 0.9}, {"center", false}}));
  EXPECT_TRUE(optionsRoundTrip("batchNormalization", {{"gammaRegularizer", {{"l2", 0.01}}}}));
}

}  // namespace
}  // namespace attn::batch_normalization_test
