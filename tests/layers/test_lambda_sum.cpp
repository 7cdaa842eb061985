#include <gtest/gtest.h>

#include "layer_test_util.h"

namespace attn::lambda_sum_test {
namespace {

using namespace testing;

TEST(LambdaSum, SumsOverTimeByDefault) {
  LayerHarness h(makeLayer("lambdaSum", Json::object()), {Shape{4, 3}}, 2);
  ASSERT_EQ(h.outputShapes()[0], (Shape{3}));
  h.forward();
  const Tensor& y = h.layer().output();
  for (int b = 0; b < 2; ++b)
    for (int d = 0; d < 3; ++d) {
      double s = 0;
      for (int t = 0; t < 4; ++t) s += h.inputs[0][(b * 4 + t) * 3 + d];
      EXPECT_NEAR(y[b * 3 + d], s, 1e-5);
    }
}

TEST(LambdaSum, AxesCountTheBatchAndMayBeNegative) {
  // (B, 2, 3, 4): axis 3 == axis -1 sums the last axis; axis 2 == axis -2 the middle one.
  for (int axis : {3, -1}) {
    LayerHarness h(makeLayer("lambdaSum", {{"axis", axis}}), {Shape{2, 3, 4}}, 2);
    ASSERT_EQ(h.outputShapes()[0], (Shape{2, 3}));
    h.forward();
    for (int r = 0; r < 12; ++r) {
      double s = 0;
      for (int k = 0; k < 4; ++k) s += h.inputs[0][r * 4 + k];
      EXPECT_NEAR(h.layer().output()[r], s, 1e-5);
    }
  }
  for (int axis : {2, -2}) {
    LayerHarness h(makeLayer("lambdaSum", {{"axis", axis}}), {Shape{2, 3, 4}}, 2);
    ASSERT_EQ(h.outputShapes()[0], (Shape{2, 4}));
    h.forward();
    for (int o = 0; o < 4; ++o)
      for (int i = 0; i < 4; ++i) {
        double s = 0;
        for (int k = 0; k < 3; ++k) s += h.inputs[0][(o * 3 + k) * 4 + i];
        EXPECT_NEAR(h.layer().output()[o * 4 + i], s, 1e-5);
      }
  }
}

TEST(LambdaSum, MaskedStepsContributeNothing) {
  LayerHarness h(makeLayer("lambdaSum", {{"axis", 1}}), {Shape{5, 2}}, 3);
  h.maskTail(0, {0, 2, 5});
  EXPECT_EQ(forwardMask(h), nullptr);
  const Tensor& y = h.layer().output();
  const int kept[] = {5, 3, 0};
  for (int b = 0; b < 3; ++b)
    for (int d = 0; d < 2; ++d) {
      double s = 0;
      for (int t = 0; t < kept[b]; ++t) s += h.inputs[0][(b * 5 + t) * 2 + d];
      EXPECT_NEAR(y[b * 2 + d], s, 1e-5);
    }
  EXPECT_TRUE(gradientsMatch(h));
  // Padded steps get no gradient.
  h.forwardBackward();
  for (int t = 3; t < 5; ++t) EXPECT_EQ(h.inputGrads[0][(1 * 5 + t) * 2], 0.f);
}

TEST(LambdaSum, SummingFeaturesKeepsTheMask) {
  LayerHarness h(makeLayer("lambdaSum", {{"axis", -1}}), {Shape{5, 2}}, 2);
  h.maskTail(0, {1, 3});
  EXPECT_EQ(forwardMask(h), &h.masks[0]);
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(LambdaSum, GradientsWithoutMask) {
  LayerHarness h(makeLayer("lambdaSum", {{"axis", -2}}), {Shape{3, 4, 2}}, 2);
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(LambdaSum, RejectsBadAxesAndShapes) {
  EXPECT_TRUE(throwsWith([] { buildLayer("lambdaSum", {{"axis", 0}, {"name", "s"}}, {Shape{3, 4}}); },
                         {"s: option 'axis' cannot be the batch axis"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("lambdaSum", {{"axis", 3}, {"name", "s"}}, {Shape{3, 4}}); },
                         {"s: option 'axis' = 3 is out of range for inputs of rank 3"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("lambdaSum", {{"axis", -4}}, {Shape{3, 4}}); }, {"out of range"}));
  LayerHarness h(makeLayer("lambdaSum", {{"name", "s"}}), {Shape{3, 4}}, 2);
  h.inputs[0] = Tensor(Shape{2, 4, 4});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"s: expected input of shape (None, 3, 4), got (2, 4, 4)"}));
  LayerHarness m(makeLayer("lambdaSum", {{"name", "s"}}), {Shape{3, 4}}, 2);
  m.masks[0] = Tensor(Shape{2, 4});
  EXPECT_TRUE(throwsWith([&] { m.forward(); }, {"s: expected a mask of shape (2, 3), got (2, 4)"}));
}

TEST(LambdaSum, OptionsRoundTripAndNoAllocationAfterFirstBatch) {
  EXPECT_TRUE(optionsRoundTrip("lambdaSum", {{"axis", -1}}));
  LayerHarness h(makeLayer("lambdaSum", Json::object()), {Shape{3, 4}}, 2);
  h.maskTail(0, {1, 0});
  EXPECT_EQ(allocationsAfterFirstBatch(h), 0);
  EXPECT_TRUE(backwardAccumulates(h));
}

}  // namespace
}  // namespace attn::lambda_sum_test
