#include <gtest/gtest.h>

#include "layer_test_util.h"

namespace attn::dropout_test {
namespace {

using namespace testing;

TEST(Dropout, IdentityAtInference) {
  LayerHarness h(makeLayer("dropout", {{"rate", 0.5}}), {Shape{4, 3}}, 2);
  h.forward(false);
  for (int64_t i = 0; i < h.inputs[0].size(); ++i) EXPECT_EQ(h.layer().output()[i], h.inputs[0][i]);
  h.forwardBackward(false);
  for (int64_t i = 0; i < h.inputs[0].size(); ++i) EXPECT_NE(h.inputGrads[0][i], 0.f);
}

TEST(Dropout, TrainingDropsAboutRateAndScalesTheRest) {
  const float rate = 0.3f;
  LayerHarness h(makeLayer("dropout", {{"rate", rate}}), {Shape{50, 40}}, 4);
  h.forward(true);
  const Tensor& y = h.layer().output();
  int64_t dropped = 0;
  for (int64_t i = 0; i < y.size(); ++i) {
    if (y[i] == 0.f)
      ++dropped;
    else
      EXPECT_NEAR(y[i], h.inputs[0][i] / (1 - rate), 1e-5);
  }
  const double fraction = double(dropped) / y.size();
  EXPECT_NEAR(fraction, rate, 0.03);  // 8000 draws: 3 sigma is about 0.015
}

TEST(Dropout, SameSeedSameMaskAndGradientsFollowIt) {
  LayerHarness h(makeLayer("dropout", {{"rate", 0.5}}), {Shape{6, 5}}, 3);
  h.forward(true);
  Tensor first = h.layer().output();
  h.forwardBackward(true);
  for (int64_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(h.layer().output()[i], first[i]);
    // dx is zero exactly where the element was dropped.
    EXPECT_EQ(h.inputGrads[0][i] == 0.f, first[i] == 0.f);
  }
  GradCheckOptions options;
  options.training = true;
  EXPECT_TRUE(gradientsMatch(h, options));
}

TEST(Dropout, MaskPassesThrough) {
  LayerHarness h(makeLayer("dropout", {{"rate", 0.2}}), {Shape{5, 2}}, 2);
  h.maskTail(0, {2, 0});
  EXPECT_EQ(forwardMask(h, true), &h.masks[0]);
}

TEST(Dropout, RejectsBadRate) {
  EXPECT_TRUE(throwsWith([] { makeLayer("dropout", {{"rate", 1.0}}); }, {"'rate' must be in [0, 1)"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("dropout", {{"rate", -0.1}}); }, {"'rate' must be in [0, 1)"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("dropout", Json::object()); }, {"'rate' is required"}));
  LayerHarness h(makeLayer("dropout", {{"rate", 0.1}, {"name", "drop"}}), {Shape{3}}, 2);
  h.inputs[0] = Tensor(Shape{2, 4});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"drop: expected input of shape (None, 3), got (2, 4)"}));
}

TEST(Dropout, OptionsRoundTripAndNoAllocationAfterFirstBatch) {
  EXPECT_TRUE(optionsRoundTrip("dropout", {{"rate", 0.3}}));
  LayerHarness h(makeLayer("dropout", {{"rate", 0.3}}), {Shape{3, 4}}, 2);
  EXPECT_EQ(allocationsAfterFirstBatch(h, true), 0);
  EXPECT_TRUE(backwardAccumulates(h, true));
}

}  // namespace
}  // namespace attn::dropout_test
