#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_util.h"
#include "layers/registry.h"

namespace attn::time_distributed_test {
namespace {

using namespace testing;

Json denseSpec(int units, const char* activation) {
  return Json{{"className", "Dense"}, {"config", {{"units", units}, {"activation", activation}, {"name", "dense_7"}}}};
}

TEST(TimeDistributed, AppliesTheInnerLayerToEveryStep) {
  LayerHarness h(makeLayer("timeDistributed", {{"layer", denseSpec(3, "tanh")}}), {Shape{4, 5}}, 2);
  ASSERT_EQ(h.outputShapes()[0], (Shape{4, 3}));
  h.randomizeParams();
  h.forward();
  const Param& W = h.store().params()[0];
  const Param& b = h.store().params()[1];
  EXPECT_EQ(W.name, "time_distributed/kernel");
  EXPECT_EQ(b.name, "time_distributed/bias");
  EXPECT_EQ(h.layer().countParams(), 5 * 3 + 3);
  const Tensor& y = h.layer().output();
  ASSERT_EQ(y.shape(), (Shape{2, 4, 3}));
  for (int row = 0; row < 8; ++row)
    for (int u = 0; u < 3; ++u) {
      double z = b.value[u];
      for (int d = 0; d < 5; ++d) z += double(h.inputs[0][row * 5 + d]) * W.value[d * 3 + u];
      EXPECT_NEAR(y[row * 3 + u], std::tanh(z), 1e-5);
    }
}

TEST(TimeDistributed, GradientsOfInputsAndInnerParams) {
  LayerHarness h(makeLayer("timeDistributed", {{"layer", denseSpec(3, "sigmoid")}}), {Shape{4, 5}}, 2);
  h.randomizeParams();
  EXPECT_TRUE(gradientsMatch(h));
  LayerHarness deep(makeLayer("timeDistributed", {{"layer", denseSpec(2, "linear")}}), {Shape{3, 2, 4}}, 2);
  EXPECT_TRUE(gradientsMatch(deep));
}

TEST(TimeDistributed, InnerDropoutUsesTheTrainingRng) {
  Json spec{{"className", "dropout"}, {"config", {{"rate", 0.5}}}};
  LayerHarness h(makeLayer("timeDistributed", {{"layer", spec}}), {Shape{4, 6}}, 2);
  h.forward(true);
  int zeros = 0;
  for (int64_t i = 0; i < h.layer().output().size(); ++i) zeros += h.layer().output()[i] == 0.f;
  EXPECT_GT(zeros, 0);
  GradCheckOptions options;
  options.training = true;
  EXPECT_TRUE(gradientsMatch(h, options));
}

TEST(TimeDistributed, OptionsRoundTripTheInnerSpec) {
  auto layer = makeLayer("timeDistributed", {{"layer", denseSpec(3, "relu")}, {"name", "td"}});
  const Json spec = layerSpec(*layer);
  EXPECT_EQ(spec["className"], "TimeDistributed");
  EXPECT_EQ(spec["config"]["layer"]["className"], "Dense");
  EXPECT_EQ(spec["config"]["layer"]["config"]["name"], "dense_7");
  EXPECT_EQ(spec["config"]["layer"]["config"]["units"], 3);
  EXPECT_EQ(spec["config"]["layer"]["config"]["activation"], "relu");
  auto again = createLayer(spec);
  EXPECT_EQ(layerSpec(*again), spec);
  // Building does not leak the wrapper's name into the inner spec.
  ParamStore store;
  layer->build({Shape{4, 2}}, store);
  EXPECT_EQ(layerSpec(*layer), spec);
}

TEST(TimeDistributed, ForwardsLossFusionToTheInnerLayer) {
  LayerHarness fused(makeLayer("timeDistributed", {{"layer", denseSpec(4, "softmax")}}), {Shape{3, 5}}, 2);
  EXPECT_EQ(fused.layer().outputActivation(), Activation::Softmax);
  fused.layer().setLogitGradients(true);
  fused.forwardBackward();
  const Tensor* logits = fused.layer().outputLogits();
  ASSERT_NE(logits, nullptr);
  ASSERT_EQ(logits->shape(), fused.layer().output().shape());
  // The logits are the pre-softmax values: softmax(logits) reproduces the output.
  for (int r = 0; r < 6; ++r) {
    double total = 0;
    for (int c = 0; c < 4; ++c) total += std::exp((*logits)[r * 4 + c]);
    for (int c = 0; c < 4; ++c)
      EXPECT_NEAR(fused.layer().output()[r * 4 + c], std::exp((*logits)[r * 4 + c]) / total, 1e-5);
  }
  // dLoss/dLogits in, so the input gradient equals a linear layer's with the same weights.
  LayerHarness linear(makeLayer("timeDistributed", {{"layer", denseSpec(4, "linear")}}), {Shape{3, 5}}, 2);
  linear.forwardBackward();
  for (int64_t i = 0; i < fused.inputGrads[0].size(); ++i)
    EXPECT_NEAR(fused.inputGrads[0][i], linear.inputGrads[0][i], 1e-5);
}

TEST(TimeDistributed, MaskPassesAndNoAllocationAfterFirstBatch) {
  LayerHarness h(makeLayer("timeDistributed", {{"layer", denseSpec(3, "tanh")}}), {Shape{4, 5}}, 2);
  h.maskTail(0, {1, 2});
  EXPECT_EQ(forwardMask(h), &h.masks[0]);
  EXPECT_EQ(allocationsAfterFirstBatch(h), 0);
  EXPECT_TRUE(backwardAccumulates(h));
}

TEST(TimeDistributed, RejectsBadSpecsAndShapes) {
  EXPECT_TRUE(throwsWith([] { makeLayer("timeDistributed", {{"name", "td"}}); }, {"td: option 'layer' must be a layer spec"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("timeDistributed", {{"layer", {{"className", "Nope"}}}}); },
                         {"unknown layer type 'Nope'"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("timeDistributed", {{"layer", denseSpec(2, "linear")}, {"name", "td"}}, {Shape{4}}); },
                         {"td: expected input of rank >= 3"}));
  LayerHarness h(makeLayer("timeDistributed", {{"layer", denseSpec(2, "linear")}, {"name", "td"}}), {Shape{3, 4}}, 2);
  h.inputs[0] = Tensor(Shape{2, 3, 5});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"td: expected input of shape (None, 3, 4), got (2, 3, 5)"}));
}

}  // namespace
}  // namespace attn::time_distributed_test
