// What keras.layers.Attention (dotAttention, both score modes) and AdditiveAttention share through
// their base (BaseDenseAttention): masks, causal, fully masked rows, the output mask and no
// allocation after the first batch, tested once over every variant. Each layer's own file keeps
// its scores (against a naive twin), its parameters, dropout and options.
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "attention/keras_attention_reference.h"
#include "core/check.h"
#include "layers/registry.h"
#include "testing/layer_harness.h"

namespace attn::dense_attention_base_test {
namespace {

using testing::gradientsMatch;
using testing::LayerHarness;
using testing::makeLayer;

constexpr int kBatch = 2, kTq = 3, kTv = 4, kDim = 3, kValueDim = 2;

struct Variant {
  const char* name;
  const char* type;
  Json options;  // the layer's own options; causal and dropout are added per test
};

void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }

std::vector<Shape> shapes(bool separateKey, int tq = kTq, int tv = kTv) {
  // Only a separate key lets the value be narrower than the query: otherwise it is the key too.
  std::vector<Shape> s{Shape{tq, kDim}, Shape{tv, separateKey ? kValueDim : kDim}};
  if (separateKey) s.push_back(Shape{tv, kDim});
  return s;
}

class DenseAttentionBase : public ::testing::TestWithParam<Variant> {
 protected:
  std::unique_ptr<Layer> layer(bool causal, float dropout = 0.f) const {
    Json options = GetParam().options;
    options["causal"] = causal;
    options["dropout"] = dropout;
    return makeLayer(GetParam().type, options);
  }
};

TEST_P(DenseAttentionBase, MaskedKeysGetExactlyZeroWeightAndGradient) {
  LayerHarness h(layer(false), shapes(true), kBatch);
  h.randomizeParams(0.8f);
  h.maskTail(1, {1, 2});
  h.forwardBackward();
  const Tensor& w = *h.layer().attentionWeights();
  testing::expectRowsSumToOne(w, kTv);
  for (int b = 0; b < kBatch; ++b) {
    const int valid = b == 0 ? kTv - 1 : kTv - 2;
    for (int j = valid; j < kTv; ++j) {
      for (int i = 0; i < kTq; ++i) EXPECT_EQ(w[(b * kTq + i) * kTv + j], 0.f);
      for (int d = 0; d < kValueDim; ++d) EXPECT_EQ(h.inputGrads[1][(b * kTv + j) * kValueDim + d], 0.f);
      for (int d = 0; d < kDim; ++d) EXPECT_EQ(h.inputGrads[2][(b * kTv + j) * kDim + d], 0.f);
    }
    // The unmasked keys do get gradient (the test could not pass by zeroing everything).
    EXPECT_NE(h.inputGrads[2][(b * kTv) * kDim], 0.f);
  }
}

TEST_P(DenseAttentionBase, QueryMaskZeroesOutputRowsAndIsTheOutputMask) {
  LayerHarness h(layer(false), shapes(false), kBatch);
  h.maskTail(0, {2, 0});
  h.forwardBackward();
  const Tensor& y = h.layer().output();
  for (int i = 0; i < kTq; ++i)
    for (int d = 0; d < kDim; ++d) {
      const float v = y[(0 * kTq + i) * kDim + d];
      if (i >= kTq - 2) EXPECT_EQ(v, 0.f);
      else EXPECT_NE(v, 0.f);
    }
  // Masked queries get no gradient.
  for (int i = kTq - 2; i < kTq; ++i)
    for (int d = 0; d < kDim; ++d) EXPECT_EQ(h.inputGrads[0][i * kDim + d], 0.f);
  std::vector<const Tensor*> in{&h.inputs[0], &h.inputs[1]}, masks{&h.masks[0], nullptr};
  h.layer().forward(ForwardPass{in, masks});
  EXPECT_EQ(h.layer().outputMask(0), &h.masks[0]);
}

TEST_P(DenseAttentionBase, CausalRowsAttendOnlyToEarlierKeys) {
  LayerHarness h(layer(true), shapes(false, 4, 4), kBatch);
  h.forward();
  const Tensor& w = *h.layer().attentionWeights();
  testing::expectRowsSumToOne(w, 4);
  for (int b = 0; b < kBatch; ++b)
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        if (j > i) EXPECT_EQ(w[(b * 4 + i) * 4 + j], 0.f);
        else EXPECT_GT(w[(b * 4 + i) * 4 + j], 0.f);
      }
  // The first query sees only the first key: its output is that value row.
  for (int d = 0; d < kDim; ++d) EXPECT_FLOAT_EQ(h.layer().output()[d], h.inputs[1][d]);
}

TEST_P(DenseAttentionBase, FullyMaskedRowsGiveZerosNotNaN) {
  LayerHarness h(layer(false), shapes(true), kBatch);
  h.maskTail(1, {kTv, 1});
  EXPECT_TRUE(gradientsMatch(h));
  h.forwardBackward();
  const Tensor& w = *h.layer().attentionWeights();
  testing::expectRowsSumToOne(w, kTv, [](int64_t row) { return row < kTq; });
  for (int64_t i = 0; i < h.layer().output().size(); ++i) ASSERT_TRUE(std::isfinite(h.layer().output()[i]));
  for (int i = 0; i < kTq * kValueDim; ++i) EXPECT_EQ(h.layer().output()[i], 0.f);
  for (const Tensor& g : h.inputGrads)
    for (int64_t i = 0; i < g.size(); ++i) ASSERT_TRUE(std::isfinite(g[i]));
}

TEST_P(DenseAttentionBase, NoTensorAllocationAfterTheFirstBatch) {
  LayerHarness h(layer(true, 0.3f), shapes(true), kBatch);
  h.maskTail(0, {1, 0});
  h.maskTail(1, {0, 1});
  EXPECT_EQ(testing::allocationsOnSecondBatch(h.layer(), h.inputs, {&h.masks[0], &h.masks[1], nullptr}, true), 0);
}

INSTANTIATE_TEST_SUITE_P(
    EverySubclass, DenseAttentionBase,
    ::testing::Values(Variant{"dot", "dotAttention", {{"useScale", true}, {"scoreMode", "dot"}}},
                      Variant{"dot_unscaled", "dotAttention", {{"useScale", false}, {"scoreMode", "dot"}}},
                      Variant{"concat", "dotAttention", {{"useScale", true}, {"scoreMode", "concat"}}},
                      Variant{"additive", "additiveAttention", {{"useScale", true}}},
                      Variant{"additive_unscaled", "additiveAttention", {{"useScale", false}}}),
    [](const ::testing::TestParamInfo<Variant>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace attn::dense_attention_base_test
