#include <gtest/gtest.h>

#include "layer_test_util.h"

namespace attn::global_average_pooling1d_test {
namespace {

using namespace testing;

TEST(GlobalAveragePooling1D, MeanOverTime) {
  LayerHarness h(makeLayer("globalAveragePooling1D", Json::object()), {Shape{4, 3}}, 2);
  h.forward();
  const Tensor& y = h.layer().output();
  ASSERT_EQ(y.shape(), (Shape{2, 3}));
  for (int b = 0; b < 2; ++b)
    for (int d = 0; d < 3; ++d) {
      double s = 0;
      for (int t = 0; t < 4; ++t) s += h.inputs[0][(b * 4 + t) * 3 + d];
      EXPECT_NEAR(y[b * 3 + d], s / 4, 1e-6);
    }
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(GlobalAveragePooling1D, MaskedMeanAsKeras) {
  LayerHarness h(makeLayer("globalAveragePooling1D", Json::object()), {Shape{5, 2}}, 3);
  // A mask with a hole in the middle as well as padding: sum(m x) / sum(m).
  h.masks[0] = Tensor(Shape{3, 5}, {1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1});
  EXPECT_EQ(forwardMask(h), nullptr);
  const Tensor& y = h.layer().output();
  for (int b = 0; b < 3; ++b)
    for (int d = 0; d < 2; ++d) {
      double s = 0, n = 0;
      for (int t = 0; t < 5; ++t) {
        s += h.masks[0][b * 5 + t] * h.inputs[0][(b * 5 + t) * 2 + d];
        n += h.masks[0][b * 5 + t];
      }
      EXPECT_NEAR(y[b * 2 + d], s / n, 1e-6);
    }
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(GlobalAveragePooling1D, FullyMaskedRowGivesZeros) {
  LayerHarness h(makeLayer("globalAveragePooling1D", Json::object()), {Shape{3, 2}}, 2);
  h.maskTail(0, {3, 1});
  h.forward();
  EXPECT_EQ(h.layer().output()[0], 0.f);
  EXPECT_EQ(h.layer().output()[1], 0.f);
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(GlobalAveragePooling1D, RejectsBadShapes) {
  EXPECT_TRUE(throwsWith([] { buildLayer("globalAveragePooling1D", {{"name", "gap"}}, {Shape{4}}); },
                         {"gap: expected input of shape (None, steps, features)", "(None, 4)"}));
  LayerHarness h(makeLayer("globalAveragePooling1D", {{"name", "gap"}}), {Shape{4, 3}}, 2);
  h.inputs[0] = Tensor(Shape{2, 5, 3});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"gap: expected input of shape (None, 4, 3), got (2, 5, 3)"}));
}

TEST(GlobalAveragePooling1D, OptionsRoundTripAndNoAllocationAfterFirstBatch) {
  EXPECT_TRUE(optionsRoundTrip("globalAveragePooling1D", Json::object()));
  LayerHarness h(makeLayer("globalAveragePooling1D", Json::object()), {Shape{3, 4}}, 2);
  h.maskTail(0, {1, 0});
  EXPECT_EQ(allocationsAfterFirstBatch(h), 0);
  EXPECT_TRUE(backwardAccumulates(h));
}

}  // namespace
}  // namespace attn::global_average_pooling1d_test
