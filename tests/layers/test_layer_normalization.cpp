#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_util.h"

namespace attn::layer_normalization_test {
namespace {

using namespace testing;

TEST(LayerNormalization, NormalizesEachRowOverTheLastAxis) {
  LayerHarness h(makeLayer("layerNormalization", Json::object()), {Shape{3, 5}}, 2);
  h.randomizeParams();
  h.forward();
  const Param& gamma = h.store().params()[0];
  const Param& beta = h.store().params()[1];
  EXPECT_EQ(gamma.name, "layer_normalization/gamma");
  for (int r = 0; r < 6; ++r) {
    double mean = 0, variance = 0;
    for (int d = 0; d < 5; ++d) mean += h.inputs[0][r * 5 + d] / 5.0;
    for (int d = 0; d < 5; ++d) variance += std::pow(h.inputs[0][r * 5 + d] - mean, 2) / 5.0;
    for (int d = 0; d < 5; ++d)
      EXPECT_NEAR(h.layer().output()[r * 5 + d],
                  gamma.value[d] * (h.inputs[0][r * 5 + d] - mean) / std::sqrt(variance + 1e-3) + beta.value[d], 1e-5);
  }
}

TEST(LayerNormalization, TimeAxisNormalizesEachFeatureColumn) {
  LayerHarness h(makeLayer("layerNormalization", {{"axis", 1}, {"center", false}, {"scale", false}}), {Shape{4, 3}}, 2);
  h.forward();
  for (int b = 0; b < 2; ++b)
    for (int d = 0; d < 3; ++d) {
      double mean = 0, variance = 0;
      for (int t = 0; t < 4; ++t) mean += h.inputs[0][(b * 4 + t) * 3 + d] / 4.0;
      for (int t = 0; t < 4; ++t) variance += std::pow(h.inputs[0][(b * 4 + t) * 3 + d] - mean, 2) / 4.0;
      for (int t = 0; t < 4; ++t)
        EXPECT_NEAR(h.layer().output()[(b * 4 + t) * 3 + d],
                    (h.inputs[0][(b * 4 + t) * 3 + d] - mean) / std::sqrt(variance + 1e-3), 1e-5);
    }
}

TEST(LayerNormalization, GradientsForAxisChoices) {
  const Json axes[] = {-1, 1, Json::array({-2, -1}), Json::array({1, 2})};
  for (const Json& axis : axes) {
    SCOPED_TRACE(axis.dump());
    LayerHarness h(makeLayer("layerNormalization", {{"axis", axis}}), {Shape{3, 4, 2}}, 2);
    h.randomizeParams();
    EXPECT_TRUE(gradientsMatch(h));
  }
  LayerHarness plain(makeLayer("layerNormalization", {{"center", false}, {"scale", false}}), {Shape{6}}, 3);
  EXPECT_TRUE(gradientsMatch(plain));
}

TEST(LayerNormalization, ParameterShapesAndCounts) {
  LayerHarness h(makeLayer("layerNormalization", {{"axis", Json::array({-2, -1})}}), {Shape{3, 4}}, 1);
  EXPECT_EQ(h.store().params()[0].shape, (Shape{3, 4}));
  EXPECT_EQ(h.layer().countParams(), 24);
  LayerHarness keras(makeLayer("layerNormalization", Json::object()), {Shape{10, 64}}, 2);
  EXPECT_EQ(keras.layer().countParams(), 128);
  keras.maskTail(0, {3, 0});
  EXPECT_EQ(forwardMask(keras), &keras.masks[0]);
  EXPECT_EQ(allocationsAfterFirstBatch(keras), 0);
  keras.randomizeParams();
  EXPECT_TRUE(backwardAccumulates(keras));
}

TEST(LayerNormalization, RejectsBadOptionsAndShapes) {
  EXPECT_TRUE(throwsWith([] { buildLayer("layerNormalization", {{"axis", {1, 3}}, {"name", "ln"}}, {Shape{2, 3, 4}}); },
                         {"ln: option 'axis' must list adjacent axes"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("layerNormalization", {{"axis", 0}, {"name", "ln"}}, {Shape{2, 3}}); },
                         {"ln: option 'axis' cannot be the batch axis"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("layerNormalization", {{"epsilon", -1}}); }, {"'epsilon' must be positive"}));
  LayerHarness h(makeLayer("layerNormalization", {{"name", "ln"}}), {Shape{4}}, 2);
  h.inputs[0] = Tensor(Shape{2, 5});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"ln: expected input of shape (None, 4), got (2, 5)"}));
}

TEST(LayerNormalization, OptionsRoundTripAndNoAllocationAfterFirstBatch) {
  EXPECT_TRUE(optionsRoundTrip("layerNormalization", {{"axis", {-2, -1}}, {"epsilon", 1e-5}}));
  EXPECT_TRUE(optionsRoundTrip("layerNormalization", {{"scale", false}}));
}

}  // namespace
}  // namespace attn::layer_normalization_test
