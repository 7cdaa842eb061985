#include <gtest/gtest.h>

#include <cmath>

#include "core/check.h"
#include "layers/recurrent_checks.h"
#include "layers/registry.h"

namespace attn::simple_rnn_test {
namespace {

using testing::LayerHarness;
using testing::makeLayer;

TEST(SimpleRnn, ParameterCountsMatchKeras) {
  LayerHarness h(makeLayer("simpleRNN", {{"units", 64}}), {Shape{20, 1}}, 1);
  EXPECT_EQ(h.layer().countParams(), 4224);
  EXPECT_EQ(h.layer().name(), "simple_rnn");
  EXPECT_EQ(h.layer().params()[1]->name, "simple_rnn/recurrent_kernel");
}

// Two steps by hand: h1 = tanh(x1 W + b), h2 = tanh(x2 W + h1 U + b).
TEST(SimpleRnn, TwoStepsMatchTheFormula) {
  LayerHarness h(makeLayer("simpleRNN", {{"units", 2}, {"returnSequences", true}}), {Shape{2, 3}}, 1);
  h.randomizeParams();
  h.forward();
  const auto& p = h.layer().params();
  double h1[2], h2[2];
  for (int u = 0; u < 2; ++u) {
    double a = p[2]->value[u];
    for (int d = 0; d < 3; ++d) a += double(h.inputs[0][d]) * p[0]->value[d * 2 + u];
    h1[u] = std::tanh(a);
  }
  for (int u = 0; u < 2; ++u) {
    double a = p[2]->value[u];
    for (int d = 0; d < 3; ++d) a += double(h.inputs[0][3 + d]) * p[0]->value[d * 2 + u];
    for (int k = 0; k < 2; ++k) a += h1[k] * p[1]->value[k * 2 + u];
    h2[u] = std::tanh(a);
  }
  for (int u = 0; u < 2; ++u) {
    EXPECT_NEAR(h.layer().output()[u], h1[u], 1e-5);
    EXPECT_NEAR(h.layer().output()[2 + u], h2[u], 1e-5);
  }
}

TEST(SimpleRnn, GradientsAcrossModesAndActivations) {
  for (bool sequences : {false, true})
    for (bool state : {false, true})
      for (bool backwards : {false, true})
        testing::expectRecurrentGradients(
            "simpleRNN",
            {{"units", 3}, {"returnSequences", sequences}, {"returnState", state}, {"goBackwards", backwards}}, 4, 3,
            {}, 0.5f);
  testing::expectRecurrentGradients("simpleRNN", {{"units", 4}, {"activation", "sigmoid"}, {"useBias", false}}, 3, 2);
}

TEST(SimpleRnn, GradientsThroughThePackedRecurrentKernel) {
  testing::expectRecurrentGradients("simpleRNN", {{"units", 8}, {"returnSequences", true}}, 4, 3,
                                    testing::packedBatchPadding(4), 0.5f);
}

TEST(SimpleRnn, MaskedGradientsAreZeroAtPaddedSteps) {
  for (bool sequences : {false, true})
    for (bool backwards : {false, true})
      testing::expectRecurrentGradients("simpleRNN",
                                        {{"units", 3}, {"returnSequences", sequences}, {"goBackwards", backwards}}, 5,
                                        2, {0, 2, 4}, 0.5f);
}

TEST(SimpleRnn, MaskedStepsAreIgnored) {
  for (bool sequences : {false, true})
    for (bool backwards : {false, true})
      testing::expectMaskedStepsIgnored(
          "simpleRNN",
          {{"units", 4}, {"returnSequences", sequences}, {"returnState", true}, {"goBackwards", backwards}}, 5, 3);
}

TEST(SimpleRnn, NoAllocationAfterTheFirstBatch) {
  LayerHarness h(makeLayer("simpleRNN", {{"units", 5}, {"returnSequences", true}, {"returnState", true}}),
                 {Shape{6, 3}}, 2);
  h.maskTail(0, {0, 2});
  testing::expectNoAllocationAfterFirstBatch(h);
}

TEST(SimpleRnn, OptionsRoundTripAndErrors) {
  auto layer = makeLayer("simpleRNN", {{"units", 4}, {"activation", "relu"}});
  EXPECT_EQ(layerSpec(*createLayer(layerSpec(*layer))), layerSpec(*layer));
  EXPECT_THROW(makeLayer("simpleRNN", {{"units", 4}, {"activation", "swish"}}), Error);
  LayerHarness h(makeLayer("simpleRNN", {{"units", 2}}), {Shape{3, 4}}, 1);
  h.inputs[0] = Tensor(Shape{1, 3});
  EXPECT_THROW(h.forward(), Error);
}

}  // namespace
}  // namespace attn::simple_rnn_test
