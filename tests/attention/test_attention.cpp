#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "attention/attention_checks.h"
#include "core/check.h"
#include "layers/registry.h"
#include "testing/layer_harness.h"

namespace attn::attention_test {
namespace {

using testing::LayerHarness;
using testing::gradientsMatch;
using testing::makeLayer;

constexpr int kSteps = 5, kDim = 3, kUnits = 4, kBatch = 4;

Json options(const char* score) { return Json{{"units", kUnits}, {"score", score}}; }

struct Expected {
  std::vector<double> out;      // (B, units)
  std::vector<double> weights;  // (B, T)
};

// The package's Keras graph, literally: W h_s is the Dense h_s @ kernel, h_t the last kept step.
Expected naiveAttention(const Tensor& x, const Tensor& mask, const Layer& layer, bool luong, int units) {
  const int B = x.dim(0), T = x.dim(1), D = x.dim(2);
  auto X = [&](int b, int t, int d) -> double { return x[(int64_t(b) * T + t) * D + d]; };
  const auto& p = layer.params();
  const float* wc = p.back()->value;
  Expected e{std::vector<double>(size_t(B) * units, 0.0), std::vector<double>(size_t(B) * T, 0.0)};
  for (int b = 0; b < B; ++b) {
    int query = -1;
    for (int t = 0; t < T; ++t)
      if (testing::kept(mask, b, t)) query = t;
    if (query < 0) continue;  // nothing to attend to: output and weights stay 0
    std::vector<double> scores(T, 0.0);
    std::vector<bool> keep(T);
    for (int s = 0; s < T; ++s) {
      keep[s] = testing::kept(mask, b, s);
      double score = 0;
      for (int i = 0; i < D; ++i) {
        if (luong) {
          double whs = 0;
          for (int k = 0; k < D; ++k) whs += X(b, s, k) * p[0]->value[k * D + i];
          score += X(b, query, i) * whs;
        } else {
          double a1 = 0, a2 = 0;
          for (int k = 0; k < D; ++k) {
            a1 += X(b, query, k) * p[1]->value[k * D + i];  // Keras order: bahdanau_v, _w1, _w2
            a2 += X(b, s, k) * p[2]->value[k * D + i];
          }
          score += p[0]->value[i] * std::tanh(a1 + a2);
        }
      }
      scores[s] = score;
    }
    std::vector<double> a = testing::naiveSoftmax(scores, keep);
    std::vector<double> concat(2 * D, 0.0);
    for (int d = 0; d < D; ++d) {
      for (int s = 0; s < T; ++s) concat[d] += a[s] * X(b, s, d);
      concat[D + d] = X(b, query, d);
    }
    for (int u = 0; u < units; ++u) {
      double z = 0;
      for (int j = 0; j < 2 * D; ++j) z += concat[j] * wc[j * units + u];
      e.out[b * units + u] = std::tanh(z);
    }
    for (int s = 0; s < T; ++s) e.weights[b * T + s] = a[s];
  }
  return e;
}

enum class Padding { None, Tail, Head };

// Row 0 is never padded; the others vary, so per-row bookkeeping is exercised.
void applyPadding(LayerHarness& h, Padding padding) {
  if (padding == Padding::Tail) h.maskTail(0, {0, 2, 4, 1});
  if (padding == Padding::Head) h.masks[0] = testing::headMask(kSteps, {0, 3, 1, 4});
}

const char* paddingName(Padding p) { return p == Padding::None ? "no mask" : p == Padding::Tail ? "tail" : "head"; }

class AttentionScores : public ::testing::TestWithParam<const char*> {};

TEST_P(AttentionScores, ForwardMatchesNaiveImplementation) {
  const bool luong = std::string(GetParam()) == "luong";
  for (Padding padding : {Padding::None, Padding::Tail, Padding::Head}) {
    SCOPED_TRACE(paddingName(padding));
    LayerHarness h(makeLayer("attention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch, 3);
    h.randomizeParams(0.7f);
    applyPadding(h, padding);
    h.forward();
    const Tensor& out = h.layer().output();
    const Tensor& weights = *h.layer().attentionWeights();
    ASSERT_EQ(out.shape(), (Shape{kBatch, kUnits}));
    ASSERT_EQ(weights.shape(), (Shape{kBatch, kSteps}));
    Expected e = naiveAttention(h.inputs[0], h.masks[0], h.layer(), luong, kUnits);
    for (int i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], e.out[i], 1e-5) << "output " << i;
    for (int i = 0; i < weights.size(); ++i) EXPECT_NEAR(weights[i], e.weights[i], 1e-5) << "weight " << i;
  }
}

TEST_P(AttentionScores, GradientsMatchFiniteDifferences) {
  for (Padding padding : {Padding::None, Padding::Tail, Padding::Head}) {
    SCOPED_TRACE(paddingName(padding));
    LayerHarness h(makeLayer("attention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch, 5);
    h.randomizeParams(0.6f);
    applyPadding(h, padding);
    EXPECT_TRUE(gradientsMatch(h));
  }
}

TEST_P(AttentionScores, WeightsSumToOneAndMaskedStepsAreInert) {
  for (Padding padding : {Padding::Tail, Padding::Head}) {
    SCOPED_TRACE(paddingName(padding));
    LayerHarness h(makeLayer("attention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch, 7);
    applyPadding(h, padding);
    h.forwardBackward();
    const Tensor& weights = *h.layer().attentionWeights();
    testing::expectColumnsSumToOne(weights, kBatch, kSteps, 1, h.masks[0]);
    testing::expectMaskedStepsInert(weights, 1, h.inputGrads[0], h.masks[0]);
  }
  LayerHarness h(makeLayer("attention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch, 8);
  h.forward();
  testing::expectColumnsSumToOne(*h.layer().attentionWeights(), kBatch, kSteps, 1, Tensor());
}

// A padded sequence must give what its unpadded steps give alone: the same layer, with the same
// parameters (they do not depend on T), built for the unpadded length.
TEST_P(AttentionScores, PaddingDoesNotChangeTheResult) {
  const std::vector<int> pads = {0, 2, 5, 4};
  for (Padding padding : {Padding::Tail, Padding::Head}) {
    SCOPED_TRACE(paddingName(padding));
    const int T = 6;
    LayerHarness h(makeLayer("attention", options(GetParam())), {Shape{T, kDim}}, kBatch, 11);
    h.randomizeParams(0.7f);
    if (padding == Padding::Tail)
      h.maskTail(0, pads);
    else
      h.masks[0] = testing::headMask(T, pads);
    h.forward();
    const Tensor padded = h.layer().output();
    for (int b = 0; b < kBatch; ++b) {
      const int keptSteps = T - pads[b];
      const int first = padding == Padding::Head ? pads[b] : 0;
      LayerHarness alone(makeLayer("attention", options(GetParam())), {Shape{keptSteps, kDim}}, 1, 11);
      for (size_t p = 0; p < h.layer().params().size(); ++p) {
        const Param& from = *h.layer().params()[p];
        std::copy(from.value, from.value + from.size(), alone.layer().params()[p]->value);
      }
      for (int t = 0; t < keptSteps; ++t)
        for (int d = 0; d < kDim; ++d)
          alone.inputs[0][t * kDim + d] = h.inputs[0][(int64_t(b) * T + first + t) * kDim + d];
      alone.forward();
      for (int u = 0; u < kUnits; ++u)
        EXPECT_NEAR(padded[b * kUnits + u], alone.layer().output()[u], 1e-6) << "row " << b << " unit " << u;
    }
  }
}

TEST_P(AttentionScores, FullyMaskedRowGivesZerosNotNaN) {
  LayerHarness h(makeLayer("attention", options(GetParam())), {Shape{kSteps, kDim}}, 3, 13);
  h.maskTail(0, {kSteps, 0, 2});
  h.forwardBackward();
  const Tensor& out = h.layer().output();
  testing::expectAllFinite(out, "output");
  testing::expectAllFinite(h.inputGrads[0], "input gradient");
  for (int u = 0; u < kUnits; ++u) EXPECT_EQ(out[u], 0.f);
  testing::expectColumnsSumToOne(*h.layer().attentionWeights(), 3, kSteps, 1, h.masks[0]);
  testing::expectMaskedStepsInert(*h.layer().attentionWeights(), 1, h.inputGrads[0], h.masks[0]);
  EXPECT_TRUE(gradientsMatch(h));
}

TEST_P(AttentionScores, NoAllocationAfterTheFirstStep) {
  LayerHarness h(makeLayer("attention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch);
  h.maskTail(0, {0, 1, 2, 3});
  EXPECT_EQ(testing::allocationsOfSecondStep(h.layer(), h.inputs[0], &h.masks[0]), 0);
}

TEST_P(AttentionScores, BackwardAccumulates) {
  LayerHarness h(makeLayer("attention", options(GetParam())), {Shape{kSteps, kDim}}, kBatch);
  h.maskTail(0, {0, 1, 2, 3});
  testing::expectBackwardAccumulates(h.layer(), h.store(), h.inputs[0], &h.masks[0]);
}

TEST_P(AttentionScores, OptionsRoundTripThroughTheRegistry) {
  LayerHarness h(makeLayer("attention", {{"units", 7}, {"score", GetParam()}, {"name", "attn"}}), {Shape{4, 2}}, 2);
  Json spec = layerSpec(h.layer());
  EXPECT_EQ(spec["className"], "Attention");
  auto copy = createLayer(spec);
  EXPECT_EQ(copy->name(), "attn");
  EXPECT_EQ(copy->options(), h.layer().options());
  EXPECT_EQ(h.layer().options(), (Json{{"units", 7}, {"score", GetParam()}}));
}

INSTANTIATE_TEST_SUITE_P(Attention, AttentionScores, ::testing::Values("luong", "bahdanau"));

TEST(Attention, ParameterCountsAndNamesMatchThePackage) {
  // LSTM(64, return_sequences=True) -> Attention(32): the package's README model.
  LayerHarness luong(makeLayer("attention", {{"units", 32}, {"name", "attn"}}), {Shape{10, 64}}, 1);
  EXPECT_EQ(luong.layer().countParams(), 8192);
  ASSERT_EQ(luong.layer().params().size(), 2u);
  EXPECT_EQ(luong.layer().params()[0]->name, "attn/luong_w/kernel");
  EXPECT_EQ(luong.layer().params()[0]->shape, (Shape{64, 64}));
  EXPECT_EQ(luong.layer().params()[1]->name, "attn/attention_vector/kernel");
  EXPECT_EQ(luong.layer().params()[1]->shape, (Shape{128, 32}));
  EXPECT_EQ(luong.outputShapes()[0], (Shape{32}));

  LayerHarness bahdanau(makeLayer("attention", {{"units", 32}, {"score", "bahdanau"}}), {Shape{10, 64}}, 1);
  EXPECT_EQ(bahdanau.layer().countParams(), 2 * 64 * 64 + 64 + 2 * 64 * 32);
  ASSERT_EQ(bahdanau.layer().params().size(), 4u);
  // Keras' order: the sub-layers as the package's build() assigns them (bahdanau_v first).
  const char* kerasOrder[] = {"attention/bahdanau_v/kernel", "attention/bahdanau_w1/kernel",
                              "attention/bahdanau_w2/kernel", "attention/attention_vector/kernel"};
  for (int k = 0; k < 4; ++k) EXPECT_EQ(bahdanau.layer().params()[k]->name, kerasOrder[k]);
  EXPECT_EQ(bahdanau.layer().params()[0]->shape, (Shape{64, 1}));

  LayerHarness defaults(makeLayer("attention", Json::object()), {Shape{10, 8}}, 1);
  EXPECT_EQ(defaults.outputShapes()[0], (Shape{128}));
  EXPECT_EQ(defaults.layer().options(), (Json{{"units", 128}, {"score", "luong"}}));
}

TEST(Attention, ConsumesTheMask) {
  LayerHarness h(makeLayer("attention", options("luong")), {Shape{kSteps, kDim}}, 2);
  h.maskTail(0, {0, 1});
  const Tensor* masks[] = {&h.masks[0]};
  const Tensor* inputs[] = {&h.inputs[0]};
  h.layer().forward(ForwardPass{inputs, masks, false, nullptr});
  EXPECT_EQ(h.layer().outputMask(0), nullptr);
}

TEST(Attention, RejectsBadInputsAndOptions) {
  ParamStore store;
  auto flat = makeLayer("attention", {{"units", 2}, {"name", "attn_1"}});
  try {
    flat->build({Shape{8}}, store);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "attn_1: expected input of shape (None, steps, features), got (None, 8)");
  }

  LayerHarness h(makeLayer("attention", {{"units", 2}, {"name", "attn_1"}}), {Shape{5, 3}}, 2);
  h.inputs[0] = Tensor(Shape{2, 5, 4});
  try {
    h.forward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "attn_1: expected input of shape (None, 5, 3), got (2, 5, 4)");
  }
  h.inputs[0] = Tensor(Shape{2, 15});
  try {
    h.forward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "attn_1: expected input of shape (None, 5, 3), got (2, 15)");
  }
  h.inputs[0] = Tensor(Shape{2, 5, 3});
  h.masks[0] = Tensor(Shape{2, 4});
  try {
    h.forward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "attn_1: expected a mask of shape (2, 5), got (2, 4)");
  }

  try {
    makeLayer("attention", {{"score", "dot"}, {"name", "attn_2"}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "attn_2: option 'score' must be one of 'luong', 'bahdanau', got 'dot'");
  }
  EXPECT_THROW(makeLayer("attention", {{"units", 0}}), Error);
  EXPECT_THROW(makeLayer("attention", {{"unit", 3}}), Error);
}

}  // namespace
}  // namespace attn::attention_test
