#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "attention/attention_checks.h"
#include "core/check.h"
#include "layers/registry.h"
#include "testing/layer_harness.h"

namespace attn::feature_attention_test {
namespace {

using testing::LayerHarness;
using testing::gradientsMatch;
using testing::makeLayer;

constexpr int kDim = 7, kBatch = 5;

TEST(FeatureAttention, ForwardMatchesNaiveImplementation) {
  LayerHarness h(makeLayer("featureAttention", Json::object()), {Shape{kDim}}, kBatch, 3);
  h.randomizeParams(0.8f);
  h.forward();
  const Tensor& out = h.layer().output();
  const Tensor& weights = *h.layer().attentionWeights();
  ASSERT_EQ(out.shape(), (Shape{kBatch, kDim}));
  ASSERT_EQ(weights.shape(), (Shape{kBatch, kDim}));
  const float* w = h.layer().params()[0]->value;
  const float* bias = h.layer().params()[1]->value;
  const Tensor& x = h.inputs[0];
  for (int b = 0; b < kBatch; ++b) {
    // attention_probs = Dense(D, softmax)(x); attention_mul = x * attention_probs
    std::vector<double> logits(kDim);
    for (int j = 0; j < kDim; ++j) {
      logits[j] = bias[j];
      for (int i = 0; i < kDim; ++i) logits[j] += double(x[b * kDim + i]) * w[i * kDim + j];
    }
    std::vector<double> a = testing::naiveSoftmax(logits, std::vector<bool>(kDim, true));
    for (int j = 0; j < kDim; ++j) {
      EXPECT_NEAR(weights[b * kDim + j], a[j], 1e-5);
      EXPECT_NEAR(out[b * kDim + j], a[j] * x[b * kDim + j], 1e-5);
    }
  }
  testing::expectColumnsSumToOne(weights, kBatch, kDim, 1, Tensor());
}

TEST(FeatureAttention, GradientsMatchFiniteDifferences) {
  LayerHarness h(makeLayer("featureAttention", Json::object()), {Shape{kDim}}, kBatch, 5);
  h.randomizeParams(0.6f);
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(FeatureAttention, NoAllocationAfterTheFirstStepAndBackwardAccumulates) {
  LayerHarness h(makeLayer("featureAttention", Json::object()), {Shape{kDim}}, kBatch);
  h.randomizeParams(0.5f);
  EXPECT_EQ(testing::allocationsOfSecondStep(h.layer(), h.inputs[0], nullptr), 0);
  testing::expectBackwardAccumulates(h.layer(), h.store(), h.inputs[0], nullptr);
}

TEST(FeatureAttention, ParametersShapesAndOptions) {
  // Seed 001's hello world: a vector of 32 values -> Dense(32, softmax, name='attention_probs').
  LayerHarness h(makeLayer("featureAttention", {{"name", "attention_probs"}}), {Shape{32}}, 1);
  EXPECT_EQ(h.layer().countParams(), 32 * 32 + 32);
  ASSERT_EQ(h.layer().params().size(), 2u);
  EXPECT_EQ(h.layer().params()[0]->name, "attention_probs/kernel");
  EXPECT_EQ(h.layer().params()[0]->shape, (Shape{32, 32}));
  EXPECT_EQ(h.layer().params()[1]->name, "attention_probs/bias");
  EXPECT_EQ(h.outputShapes()[0], (Shape{32}));
  EXPECT_EQ(h.layer().options(), Json::object());
  Json spec = layerSpec(h.layer());
  EXPECT_EQ(spec["className"], "FeatureAttention");
  auto copy = createLayer(spec);
  EXPECT_EQ(copy->name(), "attention_probs");
  EXPECT_EQ(copy->options(), Json::object());
}

TEST(FeatureAttention, RejectsBadInputsAndOptions) {
  ParamStore store;
  auto sequence = makeLayer("featureAttention", {{"name", "fa"}});
  try {
    sequence->build({Shape{4, 8}}, store);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "fa: expected input of shape (batch, features), got shape (None, 4, 8)");
  }
  LayerHarness h(makeLayer("featureAttention", {{"name", "fa"}}), {Shape{kDim}}, 2);
  h.inputs[0] = Tensor(Shape{2, kDim + 1});
  try {
    h.forward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "fa: expected input of shape (None, 7), got (2, 8)");
  }
  h.inputs[0] = Tensor(Shape{2, 1, kDim});
  EXPECT_THROW(h.forward(), Error);
  EXPECT_THROW(makeLayer("featureAttention", {{"units", 3}}), Error);
}

}  // namespace
}  // namespace attn::feature_attention_test
