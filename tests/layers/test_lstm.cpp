#include <gtest/gtest.h>

#include <cmath>

#include "core/check.h"
#include "layers/recurrent_checks.h"
#include "layers/registry.h"

namespace attn::lstm_test {
namespace {

using testing::LayerHarness;
using testing::makeLayer;

TEST(Lstm, ParameterCountsAndShapesMatchKeras) {
  LayerHarness h(makeLayer("lstm", {{"units", 64}}), {Shape{20, 1}}, 1);
  EXPECT_EQ(h.layer().countParams(), 16896);
  EXPECT_EQ(h.outputShapes(), (std::vector<Shape>{Shape{64}}));
  const auto& p = h.layer().params();
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0]->name, "lstm/kernel");
  EXPECT_EQ(p[0]->shape, (Shape{1, 256}));
  EXPECT_EQ(p[1]->name, "lstm/recurrent_kernel");
  EXPECT_EQ(p[1]->shape, (Shape{64, 256}));
  EXPECT_EQ(p[2]->name, "lstm/bias");
  // unit_forget_bias: zeros except the forget block [U, 2U).
  for (int i = 0; i < 256; ++i) EXPECT_EQ(p[2]->value[i], i >= 64 && i < 128 ? 1.f : 0.f) << i;
  LayerHarness seq(makeLayer("lstm", {{"units", 8}, {"returnSequences", true}, {"returnState", true}}), {Shape{5, 3}},
                   1);
  EXPECT_EQ(seq.outputShapes(), (std::vector<Shape>{Shape{5, 8}, Shape{8}, Shape{8}}));
}

// One step by hand from the Keras formulas (gates i, f, c, o).
TEST(Lstm, SingleStepMatchesKerasFormula) {
  LayerHarness h(makeLayer("lstm", {{"units", 2}, {"returnState", true}}), {Shape{1, 3}}, 2);
  h.randomizeParams();
  h.forward();
  const auto& p = h.layer().params();
  for (int b = 0; b < 2; ++b)
    for (int u = 0; u < 2; ++u) {
      double z[4];
      for (int g = 0; g < 4; ++g) {
        z[g] = p[2]->value[g * 2 + u];
        for (int d = 0; d < 3; ++d) z[g] += double(h.inputs[0][b * 3 + d]) * p[0]->value[d * 8 + g * 2 + u];
      }
      auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
      const double c = sig(z[0]) * std::tanh(z[2]);
      const double hv = sig(z[3]) * std::tanh(c);
      EXPECT_NEAR(h.layer().output(0)[b * 2 + u], hv, 1e-5);
      EXPECT_NEAR(h.layer().output(1)[b * 2 + u], hv, 1e-5);
      EXPECT_NEAR(h.layer().output(2)[b * 2 + u], c, 1e-5);
    }
}

TEST(Lstm, GradientsAcrossOutputModes) {
  for (bool sequences : {false, true})
    for (bool state : {false, true})
      for (bool backwards : {false, true})
        testing::expectRecurrentGradients(
            "lstm", {{"units", 3}, {"returnSequences", sequences}, {"returnState", state}, {"goBackwards", backwards}},
            4, 3);
}

TEST(Lstm, GradientsWithRandomizedWeightsAndNoBias) {
  testing::expectRecurrentGradients("lstm", {{"units", 5}, {"returnSequences", true}}, 6, 2, {}, 0.5f);
  testing::expectRecurrentGradients("lstm", {{"units", 4}, {"useBias", false}}, 3, 3, {}, 0.5f);
}

TEST(Lstm, GradientsThroughThePackedRecurrentKernel) {
  for (bool backwards : {false, true})
    testing::expectRecurrentGradients("lstm", {{"units", 8}, {"returnSequences", true}, {"goBackwards", backwards}}, 4,
                                      3, testing::packedBatchPadding(4), 0.5f);
}

// TF.js' default gate activation: clip(0.2 x + 0.5, 0, 1).
TEST(Lstm, GradientsWithHardSigmoidGates) {
  for (bool sequences : {false, true})
    testing::expectRecurrentGradients(
        "lstm", {{"units", 3}, {"recurrentActivation", "hardSigmoid"}, {"returnSequences", sequences}}, 4, 3);
  testing::expectRecurrentGradients("lstm", {{"units", 3}, {"recurrentActivation", "hardSigmoid"}}, 5, 2, {0, 3});
}

TEST(Lstm, MaskedGradientsAreZeroAtPaddedSteps) {
  for (bool sequences : {false, true})
    for (bool backwards : {false, true})
      testing::expectRecurrentGradients(
          "lstm", {{"units", 3}, {"returnSequences", sequences}, {"returnState", true}, {"goBackwards", backwards}}, 5,
          2, {0, 2, 4});
}

TEST(Lstm, MaskedStepsAreIgnored) {
  for (bool sequences : {false, true})
    for (bool backwards : {false, true})
      testing::expectMaskedStepsIgnored(
          "lstm", {{"units", 4}, {"returnSequences", sequences}, {"returnState", true}, {"goBackwards", backwards}}, 5,
          3);
}

// Keras: with a mask, the output at a masked step repeats the previous output (zeros before the
// first kept step), so goBackwards over tail padding starts with zero outputs.
TEST(Lstm, MaskedOutputsRepeatThePreviousStep) {
  LayerHarness h(makeLayer("lstm", {{"units", 3}, {"returnSequences", true}}), {Shape{5, 2}}, 1);
  h.maskTail(0, {2});
  h.forward();
  const Tensor& y = h.layer().output();
  for (int u = 0; u < 3; ++u) {
    EXPECT_EQ(y[3 * 3 + u], y[2 * 3 + u]);
    EXPECT_EQ(y[4 * 3 + u], y[2 * 3 + u]);
    EXPECT_NE(y[2 * 3 + u], y[1 * 3 + u]);
  }
  LayerHarness back(makeLayer("lstm", {{"units", 3}, {"returnSequences", true}, {"goBackwards", true}}), {Shape{5, 2}},
                    1);
  back.maskTail(0, {2});
  back.forward();
  for (int u = 0; u < 6; ++u) EXPECT_EQ(back.layer().output()[u], 0.f);
  EXPECT_NE(back.layer().output()[6], 0.f);
}

TEST(Lstm, NoAllocationAfterTheFirstBatch) {
  LayerHarness h(makeLayer("lstm", {{"units", 6}, {"returnSequences", true}, {"returnState", true}}), {Shape{7, 4}}, 3);
  h.maskTail(0, {0, 1, 3});
  testing::expectNoAllocationAfterFirstBatch(h);
}

TEST(Lstm, OptionsRoundTripAndErrors) {
  auto layer = makeLayer("lstm", {{"units", 4}, {"returnSequences", true}, {"goBackwards", true}, {"name", "enc"}});
  auto again = createLayer(layerSpec(*layer));
  EXPECT_EQ(layerSpec(*again), layerSpec(*layer));
  EXPECT_THROW(makeLayer("lstm", {{"units", 4}, {"recurrentActivation", "relu"}}), Error);
  EXPECT_THROW(makeLayer("lstm", {{"unit", 4}}), Error);
  LayerHarness h(makeLayer("lstm", {{"units", 2}, {"name", "lstm_1"}}), {Shape{3, 4}}, 1);
  h.inputs[0] = Tensor(Shape{1, 3, 5});
  try {
    h.forward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "lstm_1: expected input of shape (None, 3, 4), got (1, 3, 5)");
  }
}

}  // namespace
}  // namespace attn::lstm_test
