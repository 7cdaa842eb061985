#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "attention/attention_checks.h"
#include "core/check.h"
#include "layers/registry.h"
#include "testing/layer_harness.h"

namespace attn::time_attention_test {
namespace {

using testing::LayerHarness;
using testing::gradientsMatch;
using testing::makeLayer;

constexpr int kSteps = 5, kDim = 3, kBatch = 4;

struct Expected {
  std::vector<double> out;      // (B, T, D)
  std::vector<double> weights;  // (B, T, D), or (B, T) with singleVector
};

// attention_3d_block: per feature d, Dense(T, softmax) over the column x[b, :, d]; masked steps
// read as 0 and get no weight.
Expected naiveTimeAttention(const Tensor& x, const Tensor& mask, const Layer& layer, bool singleVector) {
  const int B = x.dim(0), T = x.dim(1), D = x.dim(2);
  const float* w = layer.params()[0]->value;
  const float* bias = layer.params()[1]->value;
  auto X = [&](int b, int t, int d) -> double { return x[(int64_t(b) * T + t) * D + d]; };
  std::vector<double> probs(size_t(B) * T * D);
  for (int b = 0; b < B; ++b)
    for (int d = 0; d < D; ++d) {
      std::vector<double> logits(T);
      std::vector<bool> keep(T);
      for (int target = 0; target < T; ++target) {
        keep[target] = testing::kept(mask, b, target);
        double z = bias[target];
        for (int t = 0; t < T; ++t)
          if (testing::kept(mask, b, t)) z += X(b, t, d) * w[t * T + target];
        logits[target] = z;
      }
      std::vector<double> a = testing::naiveSoftmax(logits, keep);
      for (int t = 0; t < T; ++t) probs[(size_t(b) * T + t) * D + d] = a[t];
    }
  Expected e{std::vector<double>(size_t(B) * T * D), {}};
  if (!singleVector) {
    e.weights = probs;
    for (size_t i = 0; i < probs.size(); ++i) e.out[i] = probs[i] * x[i];
    return e;
  }
  e.weights.assign(size_t(B) * T, 0.0);
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t) {
      double mean = 0;
      for (int d = 0; d < D; ++d) mean += probs[(size_t(b) * T + t) * D + d] / D;
      e.weights[size_t(b) * T + t] = mean;
      for (int d = 0; d < D; ++d) e.out[(size_t(b) * T + t) * D + d] = mean * X(b, t, d);
    }
  return e;
}

enum class Padding { None, Tail, Head };
const char* paddingName(Padding p) { return p == Padding::None ? "no mask" : p == Padding::Tail ? "tail" : "head"; }

void applyPadding(LayerHarness& h, Padding padding) {
  if (padding == Padding::Tail) h.maskTail(0, {0, 2, 4, 1});
  if (padding == Padding::Head) h.masks[0] = testing::headMask(kSteps, {0, 3, 1, 4});
}

Json options(bool singleVector) { return Json{{"singleVector", singleVector}}; }

class TimeModes : public ::testing::TestWithParam<bool> {};

TEST_P(TimeModes, ForwardMatchesNaiveImplementation) {
  for (Padding padding : {Padding::None, Padding::Tail, Padding::Head}) {
    SCOPED_TRACE(paddingName(padding));
    LayerHarness h(makeLayer("timeAttention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch, 3);
    h.randomizeParams(0.8f);
    applyPadding(h, padding);
    h.forward();
    const Tensor& out = h.layer().output();
    const Tensor& weights = *h.layer().attentionWeights();
    ASSERT_EQ(out.shape(), (Shape{kBatch, kSteps, kDim}));
    ASSERT_EQ(weights.shape(), GetParam() ? (Shape{kBatch, kSteps}) : (Shape{kBatch, kSteps, kDim}));
    Expected e = naiveTimeAttention(h.inputs[0], h.masks[0], h.layer(), GetParam());
    for (int i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], e.out[i], 1e-5) << "output " << i;
    for (int i = 0; i < weights.size(); ++i) EXPECT_NEAR(weights[i], e.weights[i], 1e-5) << "weight " << i;
  }
}

TEST_P(TimeModes, GradientsMatchFiniteDifferences) {
  for (Padding padding : {Padding::None, Padding::Tail, Padding::Head}) {
    SCOPED_TRACE(paddingName(padding));
    LayerHarness h(makeLayer("timeAttention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch, 5);
    h.randomizeParams(0.6f);
    applyPadding(h, padding);
    EXPECT_TRUE(gradientsMatch(h));
  }
}

TEST_P(TimeModes, WeightsSumToOneAndMaskedStepsAreInert) {
  const int inner = GetParam() ? 1 : kDim;
  for (Padding padding : {Padding::Tail, Padding::Head}) {
    SCOPED_TRACE(paddingName(padding));
    LayerHarness h(makeLayer("timeAttention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch, 7);
    h.randomizeParams(0.5f);
    applyPadding(h, padding);
    h.forwardBackward();
    const Tensor& weights = *h.layer().attentionWeights();
    testing::expectColumnsSumToOne(weights, kBatch, kSteps, inner, h.masks[0]);
    testing::expectMaskedStepsInert(weights, inner, h.inputGrads[0], h.masks[0]);
  }
  LayerHarness h(makeLayer("timeAttention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch, 8);
  h.forward();
  testing::expectColumnsSumToOne(*h.layer().attentionWeights(), kBatch, kSteps, inner, Tensor());
}

// Padding content must not leak into the weights of real steps.
TEST_P(TimeModes, MaskedInputContentDoesNotMatter) {
  LayerHarness h(makeLayer("timeAttention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch, 9);
  h.randomizeParams(0.8f);
  h.maskTail(0, {0, 2, 4, 1});
  h.forward();
  const Tensor before = h.layer().output();
  const Tensor weightsBefore = *h.layer().attentionWeights();
  for (int b = 0; b < kBatch; ++b)
    for (int t = 0; t < kSteps; ++t)
      if (!testing::kept(h.masks[0], b, t))
        for (int d = 0; d < kDim; ++d) h.inputs[0][(b * kSteps + t) * kDim + d] = 100.f + t;
  h.forward();
  for (int i = 0; i < before.size(); ++i) EXPECT_EQ(before[i], h.layer().output()[i]) << i;
  for (int i = 0; i < weightsBefore.size(); ++i) EXPECT_EQ(weightsBefore[i], (*h.layer().attentionWeights())[i]) << i;
}

TEST_P(TimeModes, FullyMaskedRowGivesZerosNotNaN) {
  LayerHarness h(makeLayer("timeAttention", options(GetParam())), {Shape{kSteps, kDim}}, 3, 13);
  h.maskTail(0, {0, kSteps, 2});
  h.forwardBackward();
  const Tensor& out = h.layer().output();
  testing::expectAllFinite(out, "output");
  testing::expectAllFinite(h.inputGrads[0], "input gradient");
  for (int i = 0; i < kSteps * kDim; ++i) EXPECT_EQ(out[kSteps * kDim + i], 0.f);
  const int inner = GetParam() ? 1 : kDim;
  testing::expectColumnsSumToOne(*h.layer().attentionWeights(), 3, kSteps, inner, h.masks[0]);
  testing::expectMaskedStepsInert(*h.layer().attentionWeights(), inner, h.inputGrads[0], h.masks[0]);
  EXPECT_TRUE(gradientsMatch(h));
}

TEST_P(TimeModes, MaskPassesThrough) {
  LayerHarness h(makeLayer("timeAttention", options(GetParam())), {Shape{kSteps, kDim}}, 2);
  h.maskTail(0, {0, 1});
  const Tensor* masks[] = {&h.masks[0]};
  const Tensor* inputs[] = {&h.inputs[0]};
  h.layer().forward(ForwardPass{inputs, masks, false, nullptr});
  EXPECT_EQ(h.layer().outputMask(0), &h.masks[0]);
}

TEST_P(TimeModes, NoAllocationAfterTheFirstStepAndBackwardAccumulates) {
  LayerHarness h(makeLayer("timeAttention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch);
  h.randomizeParams(0.5f);
  EXPECT_EQ(testing::allocationsOfSecondStep(h.layer(), h.inputs[0], nullptr), 0);
  testing::expectBackwardAccumulates(h.layer(), h.store(), h.inputs[0], nullptr);
  h.maskTail(0, {0, 1, 2, 3});
  EXPECT_EQ(testing::allocationsOfSecondStep(h.layer(), h.inputs[0], &h.masks[0]), 0);
  testing::expectBackwardAccumulates(h.layer(), h.store(), h.inputs[0], &h.masks[0]);
}

TEST_P(TimeModes, OptionsRoundTripThroughTheRegistry) {
  LayerHarness h(makeLayer("timeAttention", {{"singleVector", GetParam()}, {"name", "attention_vec"}}),
                 {Shape{kSteps, kDim}}, 1);
  Json spec = layerSpec(h.layer());
  EXPECT_EQ(spec["className"], "TimeAttention");
  auto copy = createLayer(spec);
  EXPECT_EQ(copy->options(), h.layer().options());
  EXPECT_EQ(h.layer().options(), (Json{{"singleVector", GetParam()}}));
}

INSTANTIATE_TEST_SUITE_P(TimeAttention, TimeModes, ::testing::Bool());

TEST(TimeAttention, ParametersAndShapes) {
  // The seeds' hello world: TIME_STEPS = 20 over an LSTM(32): Dense(20) has 20 * 20 + 20 params.
  LayerHarness h(makeLayer("timeAttention", {{"name", "attention_vec"}}), {Shape{20, 32}}, 1);
  EXPECT_EQ(h.layer().countParams(), 20 * 20 + 20);
  ASSERT_EQ(h.layer().params().size(), 2u);
  EXPECT_EQ(h.layer().params()[0]->name, "attention_vec/kernel");
  EXPECT_EQ(h.layer().params()[0]->shape, (Shape{20, 20}));
  EXPECT_EQ(h.layer().params()[1]->name, "attention_vec/bias");
  EXPECT_EQ(h.layer().params()[1]->shape, (Shape{20}));
  EXPECT_EQ(h.outputShapes()[0], (Shape{20, 32}));
  EXPECT_EQ(h.layer().options(), (Json{{"singleVector", false}}));
}

TEST(TimeAttention, RejectsBadInputsAndOptions) {
  ParamStore store;
  auto flat = makeLayer("timeAttention", {{"name", "ta"}});
  try {
    flat->build({Shape{2, 3, 4}}, store);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "ta: expected input of shape (None, steps, features), got (None, 2, 3, 4)");
  }
  LayerHarness h(makeLayer("timeAttention", {{"name", "ta"}}), {Shape{kSteps, kDim}}, 2);
  h.inputs[0] = Tensor(Shape{2, kSteps - 1, kDim});
  try {
    h.forward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "ta: expected input of shape (None, 5, 3), got (2, 4, 3)");
  }
  h.inputs[0] = Tensor(Shape{2, kSteps, kDim + 2});
  try {
    h.forward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "ta: expected input of shape (None, 5, 3), got (2, 5, 5)");
  }
  h.inputs[0] = Tensor(Shape{2, kSteps, kDim});
  h.masks[0] = Tensor(Shape{2, kSteps + 1});
  EXPECT_THROW(h.forward(), Error);
  EXPECT_THROW(makeLayer("timeAttention", {{"single_vector", true}}), Error);
}

}  // namespace
}  // namespace attn::time_attention_test
