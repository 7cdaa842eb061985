#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "attention/attention_checks.h"
#include "core/check.h"
#include "layers/registry.h"
#include "testing/layer_harness.h"

namespace attn::additive_self_attention_test {
namespace {

using testing::LayerHarness;
using testing::gradientsMatch;
using testing::makeLayer;

constexpr int kSteps = 6, kDim = 3, kBatch = 4;

struct Expected {
  std::vector<double> out;      // (B, T, D) or (B, D)
  std::vector<double> weights;  // (B, T)
};

// Seed 003's call(): e = tanh(K.dot(x, W) + b); a = softmax(e, axis=1); x * a, summed over time.
Expected naiveAdditive(const Tensor& x, const Tensor& mask, const Layer& layer, bool returnSequences) {
  const int B = x.dim(0), T = x.dim(1), D = x.dim(2);
  const float* w = layer.params()[0]->value;
  const float* bias = layer.params()[1]->value;
  Expected e{std::vector<double>(size_t(B) * (returnSequences ? T : 1) * D, 0.0), std::vector<double>(size_t(B) * T)};
  for (int b = 0; b < B; ++b) {
    std::vector<double> energies(T);
    std::vector<bool> keep(T);
    for (int t = 0; t < T; ++t) {
      double z = bias[t];
      for (int d = 0; d < D; ++d) z += double(x[(int64_t(b) * T + t) * D + d]) * w[d];
      energies[t] = std::tanh(z);
      keep[t] = testing::kept(mask, b, t);
    }
    std::vector<double> a = testing::naiveSoftmax(energies, keep);
    for (int t = 0; t < T; ++t) {
      e.weights[b * T + t] = a[t];
      for (int d = 0; d < D; ++d) {
        const double v = a[t] * x[(int64_t(b) * T + t) * D + d];
        if (returnSequences)
          e.out[(size_t(b) * T + t) * D + d] = v;
        else
          e.out[size_t(b) * D + d] += v;
      }
    }
  }
  return e;
}

enum class Padding { None, Tail, Head };
const char* paddingName(Padding p) { return p == Padding::None ? "no mask" : p == Padding::Tail ? "tail" : "head"; }

void applyPadding(LayerHarness& h, Padding padding) {
  if (padding == Padding::Tail) h.maskTail(0, {0, 2, 5, 1});
  if (padding == Padding::Head) h.masks[0] = testing::headMask(kSteps, {0, 3, 1, 5});
}

Json options(bool returnSequences) { return Json{{"returnSequences", returnSequences}}; }

class AdditiveModes : public ::testing::TestWithParam<bool> {};

TEST_P(AdditiveModes, ForwardMatchesNaiveImplementation) {
  for (Padding padding : {Padding::None, Padding::Tail, Padding::Head}) {
    SCOPED_TRACE(paddingName(padding));
    LayerHarness h(makeLayer("additiveSelfAttention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch, 3);
    h.randomizeParams(0.8f);  // a nonzero per-step bias
    applyPadding(h, padding);
    h.forward();
    const Tensor& out = h.layer().output();
    const Tensor& weights = *h.layer().attentionWeights();
    ASSERT_EQ(out.shape(), GetParam() ? (Shape{kBatch, kSteps, kDim}) : (Shape{kBatch, kDim}));
    ASSERT_EQ(weights.shape(), (Shape{kBatch, kSteps}));
    Expected e = naiveAdditive(h.inputs[0], h.masks[0], h.layer(), GetParam());
    for (int i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], e.out[i], 1e-5) << "output " << i;
    for (int i = 0; i < weights.size(); ++i) EXPECT_NEAR(weights[i], e.weights[i], 1e-5) << "weight " << i;
  }
}

TEST_P(AdditiveModes, GradientsMatchFiniteDifferences) {
  for (Padding padding : {Padding::None, Padding::Tail, Padding::Head}) {
    SCOPED_TRACE(paddingName(padding));
    LayerHarness h(makeLayer("additiveSelfAttention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch, 5);
    h.randomizeParams(0.6f);
    applyPadding(h, padding);
    EXPECT_TRUE(gradientsMatch(h));
  }
}

TEST_P(AdditiveModes, WeightsSumToOneAndMaskedStepsAreInert) {
  for (Padding padding : {Padding::Tail, Padding::Head}) {
    SCOPED_TRACE(paddingName(padding));
    LayerHarness h(makeLayer("additiveSelfAttention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch, 7);
    h.randomizeParams(0.5f);
    applyPadding(h, padding);
    h.forwardBackward();
    const Tensor& weights = *h.layer().attentionWeights();
    testing::expectColumnsSumToOne(weights, kBatch, kSteps, 1, h.masks[0]);
    testing::expectMaskedStepsInert(weights, 1, h.inputGrads[0], h.masks[0]);
    if (GetParam()) {
      // the padded steps of the sequence output are exactly 0
      const Tensor& out = h.layer().output();
      for (int b = 0; b < kBatch; ++b)
        for (int t = 0; t < kSteps; ++t)
          if (!testing::kept(h.masks[0], b, t)) {
            for (int d = 0; d < kDim; ++d) EXPECT_EQ(out[(b * kSteps + t) * kDim + d], 0.f);
          }
    }
  }
  LayerHarness h(makeLayer("additiveSelfAttention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch, 8);
  h.forward();
  testing::expectColumnsSumToOne(*h.layer().attentionWeights(), kBatch, kSteps, 1, Tensor());
}

TEST_P(AdditiveModes, BiasOfAStepMaskedEverywhereGetsNoGradient) {
  LayerHarness h(makeLayer("additiveSelfAttention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch, 9);
  h.maskTail(0, {1, 3, 2, 1});
  h.forwardBackward();
  const Param& bias = *h.layer().params()[1];
  EXPECT_EQ(bias.grad[kSteps - 1], 0.f);
  EXPECT_NE(bias.grad[0], 0.f);
}

TEST_P(AdditiveModes, FullyMaskedRowGivesZerosNotNaN) {
  LayerHarness h(makeLayer("additiveSelfAttention", options(GetParam())), {Shape{kSteps, kDim}}, 3, 13);
  h.maskTail(0, {kSteps, 0, 2});
  h.forwardBackward();
  const Tensor& out = h.layer().output();
  testing::expectAllFinite(out, "output");
  testing::expectAllFinite(h.inputGrads[0], "input gradient");
  const int rowSize = GetParam() ? kSteps * kDim : kDim;
  for (int i = 0; i < rowSize; ++i) EXPECT_EQ(out[i], 0.f);
  testing::expectColumnsSumToOne(*h.layer().attentionWeights(), 3, kSteps, 1, h.masks[0]);
  testing::expectMaskedStepsInert(*h.layer().attentionWeights(), 1, h.inputGrads[0], h.masks[0]);
  EXPECT_TRUE(gradientsMatch(h));
}

TEST_P(AdditiveModes, MaskPassesThroughOnlyWithSequences) {
  LayerHarness h(makeLayer("additiveSelfAttention", options(GetParam())), {Shape{kSteps, kDim}}, 2);
  h.maskTail(0, {0, 1});
  const Tensor* masks[] = {&h.masks[0]};
  const Tensor* inputs[] = {&h.inputs[0]};
  const Tensor* expected = GetParam() ? &h.masks[0] : nullptr;
  h.layer().forward(ForwardPass{inputs, masks, false, nullptr});
  EXPECT_EQ(h.layer().outputMask(0), expected);
}

TEST_P(AdditiveModes, NoAllocationAfterTheFirstStepAndBackwardAccumulates) {
  LayerHarness h(makeLayer("additiveSelfAttention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch);
  h.randomizeParams(0.5f);
  h.maskTail(0, {0, 1, 2, 3});
  EXPECT_EQ(testing::allocationsOfSecondStep(h.layer(), h.inputs[0], &h.masks[0]), 0);
  testing::expectBackwardAccumulates(h.layer(), h.store(), h.inputs[0], &h.masks[0]);
}

TEST_P(AdditiveModes, OptionsRoundTripThroughTheRegistry) {
  LayerHarness h(makeLayer("additiveSelfAttention", {{"returnSequences", GetParam()}, {"name", "att"}}),
                 {Shape{kSteps, kDim}}, 1);
  Json spec = layerSpec(h.layer());
  EXPECT_EQ(spec["className"], "AdditiveSelfAttention");
  auto copy = createLayer(spec);
  EXPECT_EQ(copy->options(), h.layer().options());
  EXPECT_EQ(h.layer().options(), (Json{{"returnSequences", GetParam()}}));
}

INSTANTIATE_TEST_SUITE_P(AdditiveSelfAttention, AdditiveModes, ::testing::Bool());

TEST(AdditiveSelfAttention, ParametersAndShapes) {
  LayerHarness h(makeLayer("additiveSelfAttention", {{"name", "att"}}), {Shape{100, 64}}, 1);
  EXPECT_EQ(h.layer().countParams(), 64 + 100);
  ASSERT_EQ(h.layer().params().size(), 2u);
  EXPECT_EQ(h.layer().params()[0]->name, "att/att_weight");
  EXPECT_EQ(h.layer().params()[0]->shape, (Shape{64, 1}));
  EXPECT_EQ(h.layer().params()[1]->name, "att/att_bias");
  EXPECT_EQ(h.layer().params()[1]->shape, (Shape{100, 1}));
  EXPECT_EQ(h.outputShapes()[0], (Shape{64}));  // returnSequences defaults to false
  LayerHarness seq(makeLayer("additiveSelfAttention", {{"returnSequences", true}}), {Shape{100, 64}}, 1);
  EXPECT_EQ(seq.outputShapes()[0], (Shape{100, 64}));
}

TEST(AdditiveSelfAttention, RejectsBadInputsAndOptions) {
  ParamStore store;
  auto flat = makeLayer("additiveSelfAttention", {{"name", "att_1"}});
  try {
    flat->build({Shape{8}}, store);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "att_1: expected input of shape (None, steps, features), got (None, 8)");
  }
  LayerHarness h(makeLayer("additiveSelfAttention", {{"name", "att_1"}}), {Shape{kSteps, kDim}}, 2);
  h.inputs[0] = Tensor(Shape{2, kSteps + 1, kDim});
  try {
    h.forward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "att_1: expected input of shape (None, 6, 3), got (2, 7, 3)");
  }
  h.inputs[0] = Tensor(Shape{2, kSteps, kDim + 1});
  try {
    h.forward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "att_1: expected input of shape (None, 6, 3), got (2, 6, 4)");
  }
  h.inputs[0] = Tensor(Shape{2 * kSteps * kDim});
  EXPECT_THROW(h.forward(), Error);
  h.inputs[0] = Tensor(Shape{2, kSteps, kDim});
  h.masks[0] = Tensor(Shape{3, kSteps});
  EXPECT_THROW(h.forward(), Error);
  EXPECT_THROW(makeLayer("additiveSelfAttention", {{"returnSequence", true}}), Error);
  EXPECT_THROW(makeLayer("additiveSelfAttention", {{"returnSequences", 3}}), Error);
}

}  // namespace
}  // namespace attn::additive_self_attention_test
