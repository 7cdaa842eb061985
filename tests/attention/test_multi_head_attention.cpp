// keras.layers.MultiHeadAttention as multiHeadAttention: forward against a naive double twin,
// gradients of every input and parameter by finite differences, masks, causal, dropout,
// Keras parameter layout and counts, errors.
#include <gtest/gtest.h>

#include "attention/keras_attention_reference.h"
#include "core/check.h"
#include "layers/registry.h"
#include "testing/layer_harness.h"

namespace attn::multi_head_attention_test {
namespace {

using testing::AttentionResult;
using testing::gradientsMatch;
using testing::LayerHarness;
using testing::makeLayer;

// Small, all different, so a swapped dimension cannot go unnoticed.
constexpr int kBatch = 2, kT = 3, kS = 4, kQueryDim = 4, kValueInputDim = 3, kKeyInputDim = 5;
constexpr int kHeads = 2, kKeyDim = 3, kValueDim = 2, kOutputDim = 3;

struct Config {
  bool separateKey = true, useBias = true, causal = false;
  float dropout = 0.f;
};

Json mhaOptions(const Config& c) {
  return Json{{"numHeads", kHeads},     {"keyDim", kKeyDim},  {"valueDim", kValueDim},
              {"outputShape", kOutputDim}, {"useBias", c.useBias}, {"causal", c.causal},
              {"dropout", c.dropout}};
}

std::vector<Shape> shapes(bool separateKey, int t = kT, int s = kS) {
  std::vector<Shape> in{Shape{t, kQueryDim}, Shape{s, kValueInputDim}};
  if (separateKey) in.push_back(Shape{s, kKeyInputDim});
  return in;
}

const Tensor* maskOrNull(LayerHarness& h, int i) {
  return i < static_cast<int>(h.masks.size()) && !h.masks[i].empty() ? &h.masks[i] : nullptr;
}

// x (B, T, D) times kernel (D, H, K) plus bias (H, K): (B, T, H, K) in double.
std::vector<double> naiveProject(const Tensor& x, const Param* kernel, const Param* bias, int cols) {
  const int rows = x.dim(0) * x.dim(1), dim = x.dim(2);
  std::vector<double> out(size_t(rows) * cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      double acc = bias ? bias->value[c] : 0.0;
      for (int d = 0; d < dim; ++d) acc += double(x[int64_t(r) * dim + d]) * kernel->value[int64_t(d) * cols + c];
      out[size_t(r) * cols + c] = acc;
    }
  return out;
}

AttentionResult naive(LayerHarness& h, const Config& c) {
  const Tensor& query = h.inputs[0];
  const Tensor& value = h.inputs[1];
  const Tensor& key = c.separateKey ? h.inputs[2] : value;
  const std::vector<Param*>& p = h.layer().params();
  const int step = c.useBias ? 2 : 1;
  auto bias = [&](int i) { return c.useBias ? p[i * step + 1] : nullptr; };
  const std::vector<double> q = naiveProject(query, p[0], bias(0), kHeads * kKeyDim);
  const std::vector<double> k = naiveProject(key, p[step], bias(1), kHeads * kKeyDim);
  const std::vector<double> v = naiveProject(value, p[2 * step], bias(2), kHeads * kValueDim);
  const Param* outKernel = p[3 * step];
  const Param* outBias = bias(3);
  const int batch = query.dim(0), t = query.dim(1), s = value.dim(1);
  const Tensor *queryMask = maskOrNull(h, 0), *valueMask = maskOrNull(h, 1), *keyMask = maskOrNull(h, 2);

  AttentionResult r;
  r.weights.assign(size_t(batch) * kHeads * t * s, 0.0);
  r.output.assign(size_t(batch) * t * kOutputDim, 0.0);
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < t; ++i) {
      std::vector<double> context(kHeads * kValueDim, 0.0);
      for (int head = 0; head < kHeads; ++head) {
        std::vector<double> scores(s);
        std::vector<bool> allowed(s);
        for (int j = 0; j < s; ++j) {
          double dot = 0;
          for (int d = 0; d < kKeyDim; ++d)
            dot += q[(size_t(b) * t + i) * kHeads * kKeyDim + head * kKeyDim + d] *
                   k[(size_t(b) * s + j) * kHeads * kKeyDim + head * kKeyDim + d];
          scores[j] = dot / std::sqrt(double(kKeyDim));
          allowed[j] = testing::keeps(queryMask, b, t, i) && testing::keeps(valueMask, b, s, j) &&
                       testing::keeps(keyMask, b, s, j) && (!c.causal || j <= i);
        }
        const std::vector<double> w = testing::naiveMaskedSoftmax(scores, allowed);
        for (int j = 0; j < s; ++j) {
          r.weights[((size_t(b) * kHeads + head) * t + i) * s + j] = w[j];
          for (int d = 0; d < kValueDim; ++d)
            context[head * kValueDim + d] += w[j] * v[(size_t(b) * s + j) * kHeads * kValueDim + head * kValueDim + d];
        }
      }
      for (int o = 0; o < kOutputDim; ++o) {
        double acc = outBias ? outBias->value[o] : 0.0;
        for (int hv = 0; hv < kHeads * kValueDim; ++hv) acc += context[hv] * outKernel->value[hv * kOutputDim + o];
        r.output[(size_t(b) * t + i) * kOutputDim + o] = acc;
      }
    }
  return r;
}

void applyMasks(LayerHarness& h, bool separateKey) {
  h.maskTail(0, {1, 0});
  h.maskTail(1, {0, 2});
  if (separateKey) h.maskTail(2, {1, 0});
}

TEST(MultiHeadAttention, ParameterLayoutAndCountsAsKeras) {
  LayerHarness h(makeLayer("multiHeadAttention", {{"numHeads", 2}, {"keyDim", 16}, {"name", "mha"}}),
                 {Shape{10, 32}, Shape{12, 32}}, 1);
  EXPECT_EQ(h.layer().countParams(), 4224);
  const std::vector<std::pair<std::string, Shape>> expected{
      {"mha/query/kernel", Shape{32, 2, 16}}, {"mha/query/bias", Shape{2, 16}},
      {"mha/key/kernel", Shape{32, 2, 16}},   {"mha/key/bias", Shape{2, 16}},
      {"mha/value/kernel", Shape{32, 2, 16}}, {"mha/value/bias", Shape{2, 16}},
      {"mha/attention_output/kernel", Shape{2, 16, 32}}, {"mha/attention_output/bias", Shape{32}}};
  ASSERT_EQ(h.layer().params().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(h.layer().params()[i]->name, expected[i].first);
    EXPECT_EQ(h.layer().params()[i]->shape, expected[i].second) << expected[i].first;
  }
  EXPECT_EQ(h.outputShapes()[0], (Shape{10, 32}));
  // Keras' fans for an EinsumDense kernel (32, 2, 16): in 2 * 32, out 16 * 32.
  const double limit = std::sqrt(6.0 / (2 * 32 + 16 * 32));
  double largest = 0;
  const Param& queryKernel = *h.layer().params()[0];
  for (int64_t i = 0; i < queryKernel.size(); ++i) largest = std::max(largest, std::fabs(double(queryKernel.value[i])));
  EXPECT_LE(largest, limit);
  EXPECT_GT(largest, 0.9 * limit);
  const Param& queryBias = *h.layer().params()[1];
  for (int64_t i = 0; i < queryBias.size(); ++i) EXPECT_EQ(queryBias.value[i], 0.f);

  // Separate widths for query, value, key, a valueDim and an outputShape; without biases.
  LayerHarness custom(makeLayer("multiHeadAttention", {{"numHeads", 2}, {"keyDim", 16}, {"valueDim", 8},
                                                       {"outputShape", 10}, {"useBias", false}}),
                      {Shape{7, 32}, Shape{9, 24}, Shape{9, 20}}, 1);
  EXPECT_EQ(custom.layer().countParams(), 32 * 2 * 16 + 20 * 2 * 16 + 24 * 2 * 8 + 2 * 8 * 10);
  EXPECT_EQ(custom.outputShapes()[0], (Shape{7, 10}));
}

TEST(MultiHeadAttention, ForwardMatchesNaiveForEveryMaskAndCausal) {
  for (bool separateKey : {false, true})
    for (bool useBias : {false, true})
      for (bool masked : {false, true})
        for (bool causal : {false, true}) {
          SCOPED_TRACE(::testing::Message() << "key " << separateKey << " bias " << useBias << " masked " << masked
                                            << " causal " << causal);
          const Config c{separateKey, useBias, causal};
          LayerHarness h(makeLayer("multiHeadAttention", mhaOptions(c)), shapes(separateKey), kBatch);
          h.randomizeParams(0.6f);
          if (masked) applyMasks(h, separateKey);
          h.forward();
          const AttentionResult expected = naive(h, c);
          ASSERT_EQ(h.layer().output().shape(), (Shape{kBatch, kT, kOutputDim}));
          ASSERT_EQ(h.layer().attentionWeights()->shape(), (Shape{kBatch, kHeads, kT, kS}));
          testing::expectNear(h.layer().output(), expected.output, 1e-5, "output");
          testing::expectNear(*h.layer().attentionWeights(), expected.weights, 1e-6, "weights");
        }
}

TEST(MultiHeadAttention, GradientsOfEveryInputAndParameter) {
  for (bool separateKey : {false, true})
    for (bool useBias : {false, true})
      for (bool masked : {false, true})
        for (bool causal : {false, true}) {
          SCOPED_TRACE(::testing::Message() << "key " << separateKey << " bias " << useBias << " masked " << masked
                                            << " causal " << causal);
          const Config c{separateKey, useBias, causal};
          LayerHarness h(makeLayer("multiHeadAttention", mhaOptions(c)), shapes(separateKey), kBatch);
          h.randomizeParams(0.6f);
          if (masked) applyMasks(h, separateKey);
          EXPECT_TRUE(gradientsMatch(h));
        }
}

TEST(MultiHeadAttention, MaskedKeysGetExactlyZeroWeightAndGradient) {
  LayerHarness h(makeLayer("multiHeadAttention", mhaOptions({})), shapes(true), kBatch);
  h.randomizeParams(0.6f);
  h.maskTail(1, {1, 0});  // value mask: batch 0 loses key 3
  h.maskTail(2, {0, 2});  // key mask: batch 1 loses keys 2, 3
  h.forwardBackward();
  const Tensor& w = *h.layer().attentionWeights();
  testing::expectRowsSumToOne(w, kS);
  for (int b = 0; b < kBatch; ++b) {
    const int valid = b == 0 ? kS - 1 : kS - 2;
    for (int j = 0; j < kS; ++j) {
      for (int head = 0; head < kHeads; ++head)
        for (int i = 0; i < kT; ++i) {
          const float weight = w[((b * kHeads + head) * kT + i) * kS + j];
          if (j >= valid) EXPECT_EQ(weight, 0.f);
          else EXPECT_GT(weight, 0.f);
        }
      for (int d = 0; d < kValueInputDim; ++d) {
        const float g = h.inputGrads[1][(b * kS + j) * kValueInputDim + d];
        if (j >= valid) EXPECT_EQ(g, 0.f);
        else EXPECT_NE(g, 0.f);
      }
      if (j >= valid) {
        for (int d = 0; d < kKeyInputDim; ++d) EXPECT_EQ(h.inputGrads[2][(b * kS + j) * kKeyInputDim + d], 0.f);
      }
    }
  }
}

TEST(MultiHeadAttention, QueryMaskMasksWholeRowsAndIsTheOutputMask) {
  const Config c{true, true, false};
  LayerHarness h(makeLayer("multiHeadAttention", mhaOptions(c)), shapes(true), kBatch);
  h.randomizeParams(0.6f);
  h.maskTail(0, {2, 0});
  h.forwardBackward();
  const Tensor& w = *h.layer().attentionWeights();
  testing::expectRowsSumToOne(w, kS, [](int64_t row) { return row < kHeads * kT && row % kT >= kT - 2; });
  // A masked query attends to nothing: its output is the output bias, its gradient 0.
  const float* outputBias = h.layer().params()[7]->value;
  for (int i = kT - 2; i < kT; ++i) {
    for (int o = 0; o < kOutputDim; ++o) EXPECT_EQ(h.layer().output()[i * kOutputDim + o], outputBias[o]);
    for (int d = 0; d < kQueryDim; ++d) EXPECT_EQ(h.inputGrads[0][i * kQueryDim + d], 0.f);
  }
  std::vector<const Tensor*> in{&h.inputs[0], &h.inputs[1], &h.inputs[2]}, masks{&h.masks[0], nullptr, nullptr};
  h.layer().forward(ForwardPass{in, masks});
  EXPECT_EQ(h.layer().outputMask(0), &h.masks[0]);
}

TEST(MultiHeadAttention, CausalSelfAttentionSeesOnlyThePast) {
  LayerHarness h(makeLayer("multiHeadAttention", {{"numHeads", 3}, {"keyDim", 4}, {"causal", true}}),
                 {Shape{5, 6}, Shape{5, 6}}, 2);
  h.inputs[1] = h.inputs[0];  // self-attention
  h.forward();
  const Tensor& w = *h.layer().attentionWeights();
  ASSERT_EQ(w.shape(), (Shape{2, 3, 5, 5}));
  testing::expectRowsSumToOne(w, 5);
  for (int64_t row = 0; row < w.size() / 5; ++row)
    for (int j = 0; j < 5; ++j) {
      if (j > row % 5) EXPECT_EQ(w[row * 5 + j], 0.f);
      else EXPECT_GT(w[row * 5 + j], 0.f);
    }
}

TEST(MultiHeadAttention, FullyMaskedRowsGiveZerosNotNaN) {
  LayerHarness h(makeLayer("multiHeadAttention", mhaOptions({})), shapes(true), kBatch);
  h.maskTail(1, {kS, 0});
  EXPECT_TRUE(gradientsMatch(h));
  for (int64_t i = 0; i < h.layer().output().size(); ++i) ASSERT_TRUE(std::isfinite(h.layer().output()[i]));
  testing::expectRowsSumToOne(*h.layer().attentionWeights(), kS, [](int64_t row) { return row < kHeads * kT; });
}

TEST(MultiHeadAttention, DropoutInTrainingOnlyAndDifferentiable) {
  Config c;
  c.dropout = 0.4f;
  LayerHarness h(makeLayer("multiHeadAttention", mhaOptions(c)), shapes(true, 4, 6), 3);
  h.randomizeParams(0.6f);
  h.maskTail(1, {0, 1, 2});
  h.forward(false);
  const AttentionResult expected = naive(h, c);
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

TEST(MultiHeadAttention, OptionsRoundTripAndDefaults) {
  auto layer = makeLayer("multiHeadAttention", {{"numHeads", 4}, {"keyDim", 8}});
  EXPECT_STREQ(layer->className(), "MultiHeadAttention");
  EXPECT_EQ(layer->name(), "multi_head_attention");
  const Json defaults = layer->options();
  EXPECT_EQ(defaults["valueDim"], 8);
  EXPECT_EQ(defaults["useBias"], true);
  EXPECT_EQ(defaults["dropout"], 0.0);
  EXPECT_EQ(defaults["causal"], false);
  EXPECT_TRUE(defaults["outputShape"].is_null());
  EXPECT_EQ(makeLayer("MultiHeadAttention", defaults)->options(), defaults);
  Config c;
  c.dropout = 0.25f;
  c.causal = true;
  const Json custom = makeLayer("multiHeadAttention", mhaOptions(c))->options();
  EXPECT_EQ(custom["outputShape"], kOutputDim);
  EXPECT_EQ(makeLayer("MultiHeadAttention", custom)->options(), custom);
}

TEST(MultiHeadAttention, NoTensorAllocationAfterTheFirstBatch) {
  Config c;
  c.dropout = 0.3f;
  c.causal = true;
  LayerHarness h(makeLayer("multiHeadAttention", mhaOptions(c)), shapes(true), kBatch);
  applyMasks(h, true);
  EXPECT_EQ(
      testing::allocationsOnSecondBatch(h.layer(), h.inputs, {&h.masks[0], &h.masks[1], &h.masks[2]}, true), 0);
}

TEST(MultiHeadAttention, RejectsMismatchedInputsAndBadOptions) {
  ParamStore store;
  auto expectBuildError = [&](const std::vector<Shape>& in, const std::string& fragment) {
    auto layer = makeLayer("multiHeadAttention", {{"numHeads", 2}, {"keyDim", 4}, {"name", "mha"}});
    try {
      layer->build(in, store);
      ADD_FAILURE() << "expected an error containing " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expectBuildError({Shape{3, 4}}, "mha: expected 2 or 3 inputs [query, value, key], got 1");
  expectBuildError({Shape{3, 4}, Shape{5, 4}, Shape{6, 4}},
                   "mha: value and key must have the same number of steps, got 5 and 6");
  expectBuildError({Shape{3, 4}, Shape{5, 4, 1}}, "mha: expected value of shape (None, steps, features), got (None, 5, 4, 1)");

  LayerHarness h(makeLayer("multiHeadAttention", {{"numHeads", 2}, {"keyDim", 4}, {"name", "mha"}}),
                 shapes(true), kBatch);
  h.inputs[2] = Tensor(Shape{kBatch, kS, kKeyInputDim - 1});
  try {
    h.forward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "mha: expected key of shape (None, 4, 5), got (2, 4, 4)");
  }
  h.inputs[2] = Tensor(Shape{kBatch, kS + 1, kKeyInputDim});
  EXPECT_THROW(h.forward(), Error);
  h.inputs[2] = Tensor(Shape{kBatch, kS, kKeyInputDim});
  h.inputs[0] = Tensor(Shape{kBatch, kT, kQueryDim + 1});
  EXPECT_THROW(h.forward(), Error);

  try {
    makeLayer("multiHeadAttention", {{"numHeads", 0}, {"keyDim", 4}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'numHeads' must be a positive integer, got 0"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(makeLayer("multiHeadAttention", {{"numHeads", 2}}), Error);
  EXPECT_THROW(makeLayer("multiHeadAttention", {{"numHeads", 2}, {"keyDim", 4}, {"valueDim", 0}}), Error);
  EXPECT_THROW(makeLayer("multiHeadAttention", {{"numHeads", 2}, {"keyDim", 4}, {"outputShape", {2, 3}}}), Error);
  EXPECT_THROW(makeLayer("multiHeadAttention", {{"numHeads", 2}, {"keyDim", 4}, {"dropout", 1}}), Error);
  EXPECT_THROW(makeLayer("multiHeadAttention", {{"numHeads", 2}, {"keyDim", 4}, {"attentionAxes", 1}}), Error);
}

}  // namespace
}  // namespace attn::multi_head_attention_test
