#include <gtest/gtest.h>

#include "core/check.h"
#include "kernels/reference.h"
#include "testing/layer_harness.h"

namespace attn::dense_test {
namespace {

using testing::LayerHarness;
using testing::gradientsMatch;
using testing::makeLayer;

TEST(Dense, ForwardMatchesReferenceOverLastAxis) {
  LayerHarness h(makeLayer("dense", {{"units", 3}, {"activation", "tanh"}}), {Shape{4, 5}}, 2);
  h.randomizeParams();
  h.forward();
  const Tensor& y = h.layer().output();
  ASSERT_EQ(y.shape(), (Shape{2, 4, 3}));
  const Param& W = h.store().params()[0];
  const Param& b = h.store().params()[1];
  for (int row = 0; row < 8; ++row)
    for (int u = 0; u < 3; ++u) {
      double z = b.value[u];
      for (int d = 0; d < 5; ++d) z += double(h.inputs[0][row * 5 + d]) * W.value[d * 3 + u];
      EXPECT_NEAR(y[row * 3 + u], std::tanh(z), 1e-5);
    }
}

TEST(Dense, GradientsForEveryActivation) {
  for (const char* activation : {"linear", "relu", "sigmoid", "tanh", "softmax", "elu", "gelu", "softplus"}) {
    SCOPED_TRACE(activation);
    LayerHarness h(makeLayer("dense", {{"units", 7}, {"activation", activation}}), {Shape{3, 17}}, 3);
    h.randomizeParams(0.3f);
    testing::GradCheckOptions options;
    // A smaller step keeps relu's and elu's kink out of the difference quotient.
    if (std::string(activation) == "relu" || std::string(activation) == "elu") options.epsilon = 1e-3f;
    EXPECT_TRUE(gradientsMatch(h, options));
  }
}

TEST(Dense, GradientsWithoutBiasOnRank1Input) {
  LayerHarness h(makeLayer("dense", {{"units", 1}, {"useBias", false}}), {Shape{8}}, 1);
  EXPECT_EQ(h.layer().countParams(), 8);
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(Dense, ParameterCountsMatchKeras) {
  LayerHarness h(makeLayer("dense", {{"units", 64}}), {Shape{32}}, 1);
  EXPECT_EQ(h.layer().countParams(), 32 * 64 + 64);
}

TEST(Dense, L2RegularizerAddsLossAndGradient) {
  LayerHarness h(makeLayer("dense", {{"units", 2}, {"kernelRegularizer", {{"l2", 0.5}}}}), {Shape{3}}, 1);
  ParamStore& store = h.store();
  store.zeroGrads();
  const Param& W = store.params()[0];
  double expected = 0;
  for (int i = 0; i < 6; ++i) expected += 0.5 * W.value[i] * W.value[i];
  EXPECT_NEAR(store.applyRegularization(), expected, 1e-6);
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(W.grad[i], 2 * 0.5 * W.value[i], 1e-6);
}

TEST(Dense, RejectsWrongInputAndBadOptions) {
  LayerHarness h(makeLayer("dense", {{"units", 2}, {"name", "dense_1"}}), {Shape{32}}, 1);
  h.inputs[0] = Tensor(Shape{1, 31});
  try {
    h.forward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "dense_1: expected input of shape (None, 32), got (1, 31)");
  }
  EXPECT_THROW(makeLayer("dense", {{"units", 0}}), Error);
  EXPECT_THROW(makeLayer("dense", {{"units", 2}, {"activation", "swish"}}), Error);
  try {
    makeLayer("dense", {{"unit", 2}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'units' is required"), std::string::npos) << e.what();
  }
  try {
    makeLayer("dense", {{"units", 2}, {"activaton", "relu"}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown option 'activaton'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace attn::dense_test

#include "layers/registry.h"

namespace attn::dense_test {
namespace {

TEST(Registry, SpecRoundTripsEveryOption) {
  auto layer = createLayer("dense", {{"units", 5}, {"activation", "relu"}, {"name", "d"}});
  Json spec = layerSpec(*layer);
  EXPECT_EQ(spec["className"], "Dense");
  EXPECT_EQ(spec["config"]["name"], "d");
  EXPECT_EQ(spec["config"]["units"], 5);
  EXPECT_EQ(spec["config"]["activation"], "relu");
  auto again = createLayer(spec);
  EXPECT_EQ(layerSpec(*again).dump(), spec.dump());
}

TEST(Registry, SnakeCaseNamesAsKeras) {
  EXPECT_EQ(snakeCase("Dense"), "dense");
  EXPECT_EQ(snakeCase("LSTM"), "lstm");
  EXPECT_EQ(snakeCase("SimpleRNN"), "simple_rnn");
  EXPECT_EQ(snakeCase("GlobalAveragePooling1D"), "global_average_pooling1d");
  EXPECT_EQ(snakeCase("MultiHeadAttention"), "multi_head_attention");
}

}  // namespace
}  // namespace attn::dense_test
