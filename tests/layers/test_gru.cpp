#include <gtest/gtest.h>

#include <cmath>

#include "core/check.h"
#include "layers/recurrent_checks.h"
#include "layers/registry.h"

namespace attn::gru_test {
namespace {

using testing::LayerHarness;
using testing::makeLayer;

TEST(Gru, ParameterCountsAndShapesMatchKeras) {
  LayerHarness h(makeLayer("gru", {{"units", 64}}), {Shape{20, 1}}, 1);
  EXPECT_EQ(h.layer().countParams(), 12864);
  const auto& p = h.layer().params();
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0]->shape, (Shape{1, 192}));
  EXPECT_EQ(p[1]->shape, (Shape{64, 192}));
  EXPECT_EQ(p[2]->shape, (Shape{2, 192}));
  EXPECT_EQ(p[2]->name, "gru/bias");
  LayerHarness before(makeLayer("gru", {{"units", 64}, {"resetAfter", false}}), {Shape{20, 1}}, 1);
  EXPECT_EQ(before.layer().countParams(), 3 * 64 * (1 + 64 + 1));
  EXPECT_EQ(before.layer().params()[2]->shape, (Shape{192}));
}

// One step from h_0 = 0 by hand: h = (1 - z) h~ with both reset modes (r multiplies only the
// recurrent bias when h_0 = 0 and the reset comes after the product).
TEST(Gru, SingleStepMatchesKerasFormula) {
  for (bool resetAfter : {true, false}) {
    LayerHarness h(makeLayer("gru", {{"units", 2}, {"resetAfter", resetAfter}}), {Shape{1, 3}}, 2);
    h.randomizeParams();
    h.forward();
    const auto& p = h.layer().params();
    auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
    for (int b = 0; b < 2; ++b)
      for (int u = 0; u < 2; ++u) {
        double a[3];
        for (int g = 0; g < 3; ++g) {
          a[g] = p[2]->value[g * 2 + u];
          for (int d = 0; d < 3; ++d) a[g] += double(h.inputs[0][b * 3 + d]) * p[0]->value[d * 6 + g * 2 + u];
        }
        double z = sig(a[0]), cand = std::tanh(a[2]);
        if (resetAfter) {
          z = sig(a[0] + p[2]->value[6 + u]);
          const double r = sig(a[1] + p[2]->value[6 + 2 + u]);
          cand = std::tanh(a[2] + r * p[2]->value[6 + 4 + u]);
        }
        EXPECT_NEAR(h.layer().output()[b * 2 + u], (1 - z) * cand, 1e-5) << resetAfter;
      }
  }
}

TEST(Gru, GradientsAcrossModes) {
  for (bool resetAfter : {true, false})
    for (bool sequences : {false, true})
      for (bool backwards : {false, true})
        testing::expectRecurrentGradients("gru",
                                          {{"units", 3},
                                           {"resetAfter", resetAfter},
                                           {"returnSequences", sequences},
                                           {"returnState", true},
                                           {"goBackwards", backwards}},
                                          4, 3, {}, 0.5f);
  testing::expectRecurrentGradients("gru", {{"units", 4}, {"useBias", false}}, 3, 2, {}, 0.5f);
  testing::expectRecurrentGradients("gru", {{"units", 4}, {"useBias", false}, {"resetAfter", false}}, 3, 2, {}, 0.5f);
}

TEST(Gru, GradientsThroughThePackedRecurrentKernel) {
  for (bool resetAfter : {true, false})
    testing::expectRecurrentGradients("gru", {{"units", 8}, {"resetAfter", resetAfter}, {"returnSequences", true}}, 4,
                                      3, testing::packedBatchPadding(4), 0.5f);
}

TEST(Gru, GradientsWithHardSigmoidGates) {
  for (bool resetAfter : {true, false})
    testing::expectRecurrentGradients(
        "gru",
        {{"units", 3}, {"recurrentActivation", "hardSigmoid"}, {"resetAfter", resetAfter}, {"returnSequences", true}},
        4, 3, {0, 2});
}

TEST(Gru, MaskedGradientsAreZeroAtPaddedSteps) {
  for (bool resetAfter : {true, false})
    for (bool sequences : {false, true})
      for (bool backwards : {false, true})
        testing::expectRecurrentGradients(
            "gru",
            {{"units", 3}, {"resetAfter", resetAfter}, {"returnSequences", sequences}, {"goBackwards", backwards}}, 5,
            2, {0, 2, 4}, 0.5f);
}

TEST(Gru, MaskedStepsAreIgnored) {
  for (bool resetAfter : {true, false})
    for (bool sequences : {false, true})
      testing::expectMaskedStepsIgnored(
          "gru", {{"units", 4}, {"resetAfter", resetAfter}, {"returnSequences", sequences}, {"returnState", true}}, 5,
          3);
}

TEST(Gru, NoAllocationAfterTheFirstBatch) {
  for (bool resetAfter : {true, false}) {
    LayerHarness h(makeLayer("gru", {{"units", 5}, {"resetAfter", resetAfter}, {"returnSequences", true}}),
                   {Shape{6, 3}}, 2);
    h.maskTail(0, {0, 2});
    testing::expectNoAllocationAfterFirstBatch(h);
  }
}

TEST(Gru, OptionsRoundTripAndErrors) {
  auto layer = makeLayer("gru", {{"units", 4}, {"resetAfter", false}, {"returnSequences", true}});
  EXPECT_EQ(layerSpec(*createLayer(layerSpec(*layer))), layerSpec(*layer));
  EXPECT_THROW(makeLayer("gru", {{"units", 4}, {"activation", "relu"}}), Error);
  EXPECT_THROW(makeLayer("gru", {{"units", 4}, {"resetafter", true}}), Error);
}

}  // namespace
}  // namespace attn::gru_test
