#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_util.h"
#include "layers/registry.h"

namespace attn::activation_test {
namespace {

using namespace testing;

TEST(Activation, ForwardAppliesTheFunctionElementwise) {
  LayerHarness h(makeLayer("activation", {{"activation", "tanh"}}), {Shape{3, 4}}, 2);
  h.forward();
  const Tensor& y = h.layer().output();
  ASSERT_EQ(y.shape(), (Shape{2, 3, 4}));
  for (int64_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], std::tanh(h.inputs[0][i]), 1e-6);
}

TEST(Activation, SoftmaxNormalizesTheLastAxis) {
  LayerHarness h(makeLayer("activation", {{"activation", "softmax"}}), {Shape{3, 4}}, 2);
  h.forward();
  const Tensor& y = h.layer().output();
  for (int row = 0; row < 6; ++row) {
    double total = 0, maxX = -1e9;
    for (int c = 0; c < 4; ++c) maxX = std::max<double>(maxX, h.inputs[0][row * 4 + c]);
    for (int c = 0; c < 4; ++c) total += std::exp(h.inputs[0][row * 4 + c] - maxX);
    for (int c = 0; c < 4; ++c)
      EXPECT_NEAR(y[row * 4 + c], std::exp(h.inputs[0][row * 4 + c] - maxX) / total, 1e-6);
  }
}

TEST(Activation, GradientsForEveryActivation) {
  for (const char* activation : {"linear", "relu", "sigmoid", "tanh", "softmax", "elu", "gelu", "softplus"}) {
    SCOPED_TRACE(activation);
    LayerHarness h(makeLayer("activation", {{"activation", activation}}), {Shape{5, 6}}, 3);
    GradCheckOptions options;
    if (std::string(activation) == "relu" || std::string(activation) == "elu") options.epsilon = 1e-3f;
    EXPECT_TRUE(gradientsMatch(h, options));
  }
}

TEST(Activation, FusedLossGradientsSkipTheDerivative) {
  LayerHarness h(makeLayer("activation", {{"activation", "sigmoid"}}), {Shape{4}}, 2);
  EXPECT_EQ(h.layer().outputActivation(), Activation::Sigmoid);
  h.layer().setLogitGradients(true);
  h.forwardBackward();
  ASSERT_EQ(h.layer().outputLogits(), &h.inputs[0]);
  // With fused gradients dx = dy: recover dy from a second layer that applies the derivative.
  LayerHarness plain(makeLayer("activation", {{"activation", "linear"}}), {Shape{4}}, 2);
  plain.forwardBackward();
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(h.inputGrads[0][i], plain.inputGrads[0][i]);
}

TEST(Activation, MaskPassesThroughAndHasNoParams) {
  LayerHarness h(makeLayer("activation", {{"activation", "relu"}}), {Shape{5, 2}}, 2);
  h.maskTail(0, {1, 3});
  EXPECT_EQ(forwardMask(h), &h.masks[0]);
  EXPECT_EQ(h.layer().countParams(), 0);
}

TEST(Activation, RejectsBadOptionsAndShapes) {
  EXPECT_TRUE(throwsWith([] { makeLayer("activation", {{"activation", "swish"}}); }, {"unknown activation 'swish'"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("activation", {{"activation", "relu"}, {"activaton", "relu"}}); },
                         {"unknown option 'activaton'"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("activation", Json::object()); }, {"'activation' is required"}));
  LayerHarness h(makeLayer("activation", {{"activation", "relu"}, {"name", "act"}}), {Shape{3, 4}}, 2);
  h.inputs[0] = Tensor(Shape{2, 3, 5});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"act: expected input of shape (None, 3, 4), got (2, 3, 5)"}));
}

TEST(Activation, OptionsRoundTripAndNoAllocationAfterFirstBatch) {
  EXPECT_TRUE(optionsRoundTrip("activation", {{"activation", "softmax"}}));
  LayerHarness h(makeLayer("activation", {{"activation", "gelu"}}), {Shape{3, 4}}, 2);
  EXPECT_EQ(allocationsAfterFirstBatch(h), 0);
  EXPECT_TRUE(backwardAccumulates(h));
}

}  // namespace
}  // namespace attn::activation_test
