// keras.layers.Attention as dotAttention: forward against a naive double twin, gradients of
// every input and parameter by finite differences, dropout, parameters, options, errors. What it
// shares with additiveAttention (masks, causal, fully masked rows) is in test_dense_attention_base.cpp.
#include <gtest/gtest.h>

#include "attention/keras_attention_reference.h"
#include "core/check.h"
#include "layers/registry.h"
#include "testing/layer_harness.h"

namespace attn::dot_attention_test {
namespace {

using testing::AttentionResult;
using testing::gradientsMatch;
using testing::LayerHarness;
using testing::makeLayer;

constexpr int kBatch = 2, kTq = 3, kTv = 4, kDim = 3, kValueDim = 2;

const Tensor* maskOrNull(LayerHarness& h, int i) { return h.masks[i].empty() ? nullptr : &h.masks[i]; }

// Keras' scores for the harness' inputs and the layer's current parameters.
AttentionResult naive(LayerHarness& h, bool useScale, bool concat, bool causal) {
  const Tensor& q = h.inputs[0];
  const Tensor& k = h.inputs.size() == 3 ? h.inputs[2] : h.inputs[1];
  const int tq = q.dim(1), tv = k.dim(1), dim = q.dim(2);
  const auto& params = h.store().params();
  const double scale = useScale ? params[0].value[0] : 1.0;
  const double c = concat ? params[useScale ? 1 : 0].value[0] : 1.0;
  auto score = [&](int b, int i, int j) {
    double s = 0;
    for (int d = 0; d < dim; ++d) {
      const double qd = q[(int64_t(b) * tq + i) * dim + d], kd = k[(int64_t(b) * tv + j) * dim + d];
      s += concat ? std::tanh(scale * (qd + kd)) : qd * kd;
    }
    return concat ? c * s : scale * s;
  };
  return testing::naiveDenseAttention(q, h.inputs[1], maskOrNull(h, 0), maskOrNull(h, 1), causal, score);
}

Json dotOptions(bool useScale, bool concat, bool causal, float dropout = 0.f) {
  return Json{{"useScale", useScale}, {"scoreMode", concat ? "concat" : "dot"}, {"causal", causal},
              {"dropout", dropout}};
}

std::vector<Shape> shapes(bool separateKey, int tq = kTq, int tv = kTv) {
  // Only a separate key lets the value be narrower than the query: otherwise it is the key too.
  std::vector<Shape> s{Shape{tq, kDim}, Shape{tv, separateKey ? kValueDim : kDim}};
  if (separateKey) s.push_back(Shape{tv, kDim});
  return s;
}

TEST(DotAttention, ForwardMatchesNaiveForEveryScoreModeMaskAndCausal) {
  for (bool concat : {false, true})
    for (bool useScale : {false, true})
      for (bool separateKey : {false, true})
        for (bool masked : {false, true})
          for (bool causal : {false, true}) {
            SCOPED_TRACE(::testing::Message() << "concat " << concat << " useScale " << useScale << " key "
                                              << separateKey << " masked " << masked << " causal " << causal);
            LayerHarness h(makeLayer("dotAttention", dotOptions(useScale, concat, causal)), shapes(separateKey),
                           kBatch);
            h.randomizeParams(0.8f);
            if (masked) {
              h.maskTail(0, {1, 0});
              h.maskTail(1, {0, 2});
            }
            h.forward();
            const AttentionResult expected = naive(h, useScale, concat, causal);
            testing::expectNear(h.layer().output(), expected.output, 1e-5, "output");
            testing::expectNear(*h.layer().attentionWeights(), expected.weights, 1e-6, "weights");
            EXPECT_EQ(h.layer().output().shape(), (Shape{kBatch, kTq, separateKey ? kValueDim : kDim}));
            EXPECT_EQ(h.layer().attentionWeights()->shape(), (Shape{kBatch, kTq, kTv}));
          }
}

TEST(DotAttention, GradientsOfEveryInputAndParameter) {
  for (bool concat : {false, true})
    for (bool useScale : {false, true})
      for (bool separateKey : {false, true})
        for (bool masked : {false, true})
          for (bool causal : {false, true}) {
            SCOPED_TRACE(::testing::Message() << "concat " << concat << " useScale " << useScale << " key "
                                              << separateKey << " masked " << masked << " causal " << causal);
            LayerHarness h(makeLayer("dotAttention", dotOptions(useScale, concat, causal)), shapes(separateKey),
                           kBatch);
            h.randomizeParams(0.8f);
            if (masked) {
              h.maskTail(0, {1, 0});
              h.maskTail(1, {0, 2});
            }
            EXPECT_TRUE(gradientsMatch(h));
          }
}





TEST(DotAttention, DropoutInTrainingOnlyAndDifferentiable) {
  for (bool concat : {false, true}) {
    SCOPED_TRACE(concat ? "concat" : "dot");
    LayerHarness h(makeLayer("dotAttention", dotOptions(true, concat, false, 0.4f)), shapes(true, 5, 6), 3);
    h.maskTail(1, {0, 1, 2});
    h.forward(false);
    const AttentionResult expected = naive(h, true, concat, false);
    testing::expectNear(h.layer().output(), expected.output, 1e-5, "inference output");
    h.forward(true);
    // The stored weights are those before dropout.
    testing::expectNear(*h.layer().attentionWeights(), expected.weights, 1e-6, "training weights");
    bool changed = false;
    for (int64_t i = 0; i < h.layer().output().size(); ++i)
      changed |= std::fabs(h.layer().output()[i] - expected.output[i]) > 1e-4;
    EXPECT_TRUE(changed) << "dropout left the training output unchanged";
    testing::GradCheckOptions options;
    options.training = true;
    EXPECT_TRUE(gradientsMatch(h, options));
  }
}

TEST(DotAttention, ParametersAsKeras) {
  LayerHarness none(makeLayer("dotAttention", Json::object()), shapes(false), 1);
  EXPECT_EQ(none.layer().countParams(), 0);
  LayerHarness both(makeLayer("dotAttention", {{"useScale", true}, {"scoreMode", "concat"}, {"name", "att"}}),
                    shapes(false), 1);
  ASSERT_EQ(both.layer().params().size(), 2u);
  EXPECT_EQ(both.layer().params()[0]->name, "att/scale");
  EXPECT_EQ(both.layer().params()[1]->name, "att/concat_score_weight");
  for (const Param* p : both.layer().params()) {
    EXPECT_EQ(p->shape.rank, 0);
    EXPECT_EQ(p->value[0], 1.f);  // Keras initializes both to ones
  }
  EXPECT_EQ(both.layer().countParams(), 2);
}

TEST(DotAttention, OptionsRoundTripAndDefaults) {
  auto layer = makeLayer("dotAttention", Json::object());
  EXPECT_STREQ(layer->className(), "DotAttention");
  EXPECT_EQ(layer->name(), "dot_attention");
  const Json defaults = layer->options();
  EXPECT_EQ(defaults["useScale"], false);
  EXPECT_EQ(defaults["scoreMode"], "dot");
  EXPECT_EQ(defaults["causal"], false);
  EXPECT_EQ(defaults["dropout"], 0.0);
  const Json custom = makeLayer("dotAttention", dotOptions(true, true, true, 0.25f))->options();
  // By Keras' class name too, as a saved model names it.
  EXPECT_EQ(makeLayer("DotAttention", custom)->options(), custom);
}


TEST(DotAttention, RejectsMismatchedInputsAndBadOptions) {
  ParamStore store;
  auto expectBuildError = [&](const std::vector<Shape>& in, const std::string& fragment) {
    auto layer = makeLayer("dotAttention", {{"name", "att"}});
    try {
      layer->build(in, store);
      ADD_FAILURE() << "expected an error containing " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expectBuildError({Shape{3, 4}}, "att: expected 2 or 3 inputs [query, value, key], got 1");
  expectBuildError({Shape{3, 4}, Shape{5, 4}, Shape{5, 4}, Shape{5, 4}}, "got 4");
  expectBuildError({Shape{3, 4}, Shape{5, 4}, Shape{5, 3}}, "query and key must have the same last dimension, got 4 and 3");
  expectBuildError({Shape{3, 4}, Shape{5, 3}},
                   "query and value (the key when none is given) must have the same last dimension, got 4 and 3");
  expectBuildError({Shape{3, 4}, Shape{5, 4}, Shape{6, 4}}, "value and key must have the same number of steps, got 5 and 6");
  expectBuildError({Shape{4}, Shape{5, 4}}, "expected query of shape (None, steps, features)");

  LayerHarness h(makeLayer("dotAttention", {{"name", "att"}}), shapes(true), kBatch);
  h.inputs[2] = Tensor(Shape{kBatch, kTv + 1, kDim});
  try {
    h.forward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "att: expected key of shape (None, 4, 3), got (2, 5, 3)");
  }
  h.inputs[2] = Tensor(Shape{kBatch, kTv, kDim});
  h.inputs[0] = Tensor(Shape{kBatch, kTq, kDim + 1});
  EXPECT_THROW(h.forward(), Error);
  h.inputs[0] = Tensor(Shape{kBatch, kTq, kDim});
  h.masks[1] = Tensor(Shape{kBatch, kTv + 1});
  EXPECT_THROW(h.forward(), Error);

  EXPECT_THROW(makeLayer("dotAttention", {{"scoreMode", "general"}}), Error);
  EXPECT_THROW(makeLayer("dotAttention", {{"dropout", 1.0}}), Error);
  EXPECT_THROW(makeLayer("dotAttention", {{"dropout", -0.1}}), Error);
  EXPECT_THROW(makeLayer("dotAttention", {{"use_scale", true}}), Error);
}

}  // namespace
}  // namespace attn::dot_attention_test
