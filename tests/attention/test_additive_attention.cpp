// keras.layers.AdditiveAttention as additiveAttention: forward against a naive double twin,
// gradients of every input and parameter by finite differences, dropout, the scale, options,
// errors. What it shares with dotAttention (masks, causal, fully masked rows) is in
// test_dense_attention_base.cpp.
#include <gtest/gtest.h>

#include "attention/keras_attention_reference.h"
#include "core/check.h"
#include "layers/registry.h"
#include "testing/layer_harness.h"

namespace attn::additive_attention_test {
namespace {

using testing::AttentionResult;
using testing::gradientsMatch;
using testing::LayerHarness;
using testing::makeLayer;

constexpr int kBatch = 2, kTq = 3, kTv = 4, kDim = 3, kValueDim = 2;

const Tensor* maskOrNull(LayerHarness& h, int i) { return h.masks[i].empty() ? nullptr : &h.masks[i]; }

// scores_ij = sum_d scale_d tanh(q_id + k_jd), for the harness' inputs and current parameters.
AttentionResult naive(LayerHarness& h, bool useScale, bool causal) {
  const Tensor& q = h.inputs[0];
  const Tensor& k = h.inputs.size() == 3 ? h.inputs[2] : h.inputs[1];
  const int tq = q.dim(1), tv = k.dim(1), dim = q.dim(2);
  const float* scale = useScale ? h.store().params()[0].value : nullptr;
  auto score = [&](int b, int i, int j) {
    double s = 0;
    for (int d = 0; d < dim; ++d)
      s += (scale ? scale[d] : 1.0) *
           std::tanh(double(q[(int64_t(b) * tq + i) * dim + d]) + k[(int64_t(b) * tv + j) * dim + d]);
    return s;
  };
  return testing::naiveDenseAttention(q, h.inputs[1], maskOrNull(h, 0), maskOrNull(h, 1), causal, score);
}

Json additiveOptions(bool useScale, bool causal, float dropout = 0.f) {
  return Json{{"useScale", useScale}, {"causal", causal}, {"dropout", dropout}};
}

std::vector<Shape> shapes(bool separateKey, int tq = kTq, int tv = kTv) {
  // Only a separate key lets the value be narrower than the query: otherwise it is the key too.
  std::vector<Shape> s{Shape{tq, kDim}, Shape{tv, separateKey ? kValueDim : kDim}};
  if (separateKey) s.push_back(Shape{tv, kDim});
  return s;
}

TEST(AdditiveAttention, ForwardMatchesNaiveForEveryMaskAndCausal) {
  for (bool useScale : {false, true})
    for (bool separateKey : {false, true})
      for (bool masked : {false, true})
        for (bool causal : {false, true}) {
          SCOPED_TRACE(::testing::Message() << "useScale " << useScale << " key " << separateKey << " masked "
                                            << masked << " causal " << causal);
          LayerHarness h(makeLayer("additiveAttention", additiveOptions(useScale, causal)), shapes(separateKey),
                         kBatch);
          h.randomizeParams(0.8f);
          if (masked) {
            h.maskTail(0, {1, 0});
            h.maskTail(1, {0, 2});
          }
          h.forward();
          const AttentionResult expected = naive(h, useScale, causal);
          testing::expectNear(h.layer().output(), expected.output, 1e-5, "output");
          testing::expectNear(*h.layer().attentionWeights(), expected.weights, 1e-6, "weights");
          EXPECT_EQ(h.layer().output().shape(), (Shape{kBatch, kTq, separateKey ? kValueDim : kDim}));
          EXPECT_EQ(h.layer().attentionWeights()->shape(), (Shape{kBatch, kTq, kTv}));
        }
}

TEST(AdditiveAttention, GradientsOfEveryInputAndParameter) {
  for (bool useScale : {false, true})
    for (bool separateKey : {false, true})
      for (bool masked : {false, true})
        for (bool causal : {false, true}) {
          SCOPED_TRACE(::testing::Message() << "useScale " << useScale << " key " << separateKey << " masked "
                                            << masked << " causal " << causal);
          LayerHarness h(makeLayer("additiveAttention", additiveOptions(useScale, causal)), shapes(separateKey),
                         kBatch);
          h.randomizeParams(0.8f);
          if (masked) {
            h.maskTail(0, {1, 0});
            h.maskTail(1, {0, 2});
          }
          EXPECT_TRUE(gradientsMatch(h));
        }
}




TEST(AdditiveAttention, DropoutInTrainingOnlyAndDifferentiable) {
  LayerHarness h(makeLayer("additiveAttention", additiveOptions(true, true, 0.4f)), shapes(true, 5, 6), 3);
  h.maskTail(1, {0, 1, 2});
  h.forward(false);
  const AttentionResult expected = naive(h, true, true);
  testing::expectNear(h.layer().output(), expected.output, 1e-5, "inference output");
  h.forward(true);
  testing::expectNear(*h.layer().attentionWeights(), expected.weights, 1e-6, "training weights");
  bool changed = false;
  for (int64_t i = 0; i < h.layer().output().size(); ++i)
    changed |= std::fabs(h.layer().output()[i] - expected.output[i]) > 1e-4;
  EXPECT_TRUE(changed) << "dropout left the training output unchanged";
  testing::GradCheckOptions options;
  options.training = true;
  EXPECT_TRUE(gradientsMatch(h, options));
}

TEST(AdditiveAttention, ScaleIsKerasGlorotUniformOverTheQueryWidth) {
  const int dim = 48;
  LayerHarness h(makeLayer("additiveAttention", {{"name", "add"}}), {Shape{3, dim}, Shape{5, dim}}, 1);
  ASSERT_EQ(h.layer().params().size(), 1u);
  const Param& scale = *h.layer().params()[0];
  EXPECT_EQ(scale.name, "add/scale");
  EXPECT_EQ(scale.shape, (Shape{dim}));
  EXPECT_EQ(h.layer().countParams(), dim);
  // Keras' fans for a 1-D shape are (dim, dim): limit sqrt(6 / (2 dim)).
  const double limit = std::sqrt(3.0 / dim);
  double largest = 0;
  for (int d = 0; d < dim; ++d) largest = std::max(largest, std::fabs(double(scale.value[d])));
  EXPECT_LE(largest, limit);
  EXPECT_GT(largest, 0.5 * limit);
  LayerHarness plain(makeLayer("additiveAttention", {{"useScale", false}}), {Shape{3, dim}, Shape{5, dim}}, 1);
  EXPECT_EQ(plain.layer().countParams(), 0);
}

TEST(AdditiveAttention, OptionsRoundTripAndDefaults) {
  auto layer = makeLayer("additiveAttention", Json::object());
  EXPECT_STREQ(layer->className(), "AdditiveAttention");
  EXPECT_EQ(layer->name(), "additive_attention");
  const Json defaults = layer->options();
  EXPECT_EQ(defaults["useScale"], true);
  EXPECT_EQ(defaults["causal"], false);
  EXPECT_EQ(defaults["dropout"], 0.0);
  const Json custom = makeLayer("additiveAttention", additiveOptions(false, true, 0.25f))->options();
  EXPECT_EQ(makeLayer("AdditiveAttention", custom)->options(), custom);
}


TEST(AdditiveAttention, RejectsMismatchedInputsAndBadOptions) {
  ParamStore store;
  auto expectBuildError = [&](const std::vector<Shape>& in, const std::string& fragment) {
    auto layer = makeLayer("additiveAttention", {{"name", "add"}});
    try {
      layer->build(in, store);
      ADD_FAILURE() << "expected an error containing " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expectBuildError({Shape{3, 4}}, "add: expected 2 or 3 inputs [query, value, key], got 1");
  expectBuildError({Shape{3, 4}, Shape{5, 4}, Shape{5, 2}},
                   "add: query and key must have the same last dimension, got 4 and 2");
  expectBuildError({Shape{3, 4}, Shape{5, 4}, Shape{6, 4}},
                   "add: value and key must have the same number of steps, got 5 and 6");

  LayerHarness h(makeLayer("additiveAttention", {{"name", "add"}}), shapes(true), kBatch);
  h.inputs[1] = Tensor(Shape{kBatch, kTv, kValueDim + 1});
  try {
    h.forward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "add: expected value of shape (None, 4, 2), got (2, 4, 3)");
  }
  h.inputs[1] = Tensor(Shape{kBatch + 1, kTv, kValueDim});
  EXPECT_THROW(h.forward(), Error);
  EXPECT_THROW(makeLayer("additiveAttention", {{"scoreMode", "concat"}}), Error);
  EXPECT_THROW(makeLayer("additiveAttention", {{"dropout", 1.5}}), Error);
}

}  // namespace
}  // namespace attn::additive_attention_test
