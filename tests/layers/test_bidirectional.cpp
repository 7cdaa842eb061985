#include <gtest/gtest.h>

#include "core/check.h"
#include "layers/recurrent_checks.h"
#include "layers/registry.h"

namespace attn::bidirectional_test {
namespace {

using testing::LayerHarness;
using testing::makeLayer;

Json bidi(const Json& inner, const char* mode, const char* className = "LSTM") {
  return {{"layer", {{"className", className}, {"config", inner}}}, {"mergeMode", mode}};
}

TEST(Bidirectional, ParameterCountsNamesAndShapesMatchKeras) {
  LayerHarness h(makeLayer("bidirectional", bidi({{"units", 32}}, "concat")), {Shape{100, 64}}, 1);
  EXPECT_EQ(h.layer().countParams(), 24832);
  EXPECT_EQ(h.outputShapes(), (std::vector<Shape>{Shape{64}}));
  const auto& p = h.layer().params();
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[0]->name, "bidirectional/forward_lstm/kernel");
  EXPECT_EQ(p[2]->name, "bidirectional/forward_lstm/bias");
  EXPECT_EQ(p[3]->name, "bidirectional/backward_lstm/kernel");
  EXPECT_EQ(p[5]->name, "bidirectional/backward_lstm/bias");
  LayerHarness states(
      makeLayer("bidirectional", bidi({{"units", 4}, {"returnSequences", true}, {"returnState", true}}, "sum")),
      {Shape{6, 3}}, 1);
  EXPECT_EQ(states.outputShapes(), (std::vector<Shape>{Shape{6, 4}, Shape{4}, Shape{4}, Shape{4}, Shape{4}}));
}

// Concat of a forward LSTM and a goBackwards LSTM (reversed back) with the same weights.
TEST(Bidirectional, ConcatEqualsTheTwoDirectionsRunSeparately) {
  const int T = 5, D = 3, U = 4;
  LayerHarness h(makeLayer("bidirectional", bidi({{"units", U}, {"returnSequences", true}}, "concat")), {Shape{T, D}},
                 2);
  h.randomizeParams();
  h.forward();
  for (bool backwards : {false, true}) {
    LayerHarness one(makeLayer("lstm", {{"units", U}, {"returnSequences", true}, {"goBackwards", backwards}}),
                     {Shape{T, D}}, 2);
    for (int k = 0; k < 3; ++k) {
      const Param* from = h.layer().params()[(backwards ? 3 : 0) + k];
      std::copy(from->value, from->value + from->size(), one.layer().params()[k]->value);
    }
    one.inputs = h.inputs;
    one.forward();
    for (int b = 0; b < 2; ++b)
      for (int t = 0; t < T; ++t)
        for (int u = 0; u < U; ++u) {
          const int source = backwards ? T - 1 - t : t;
          EXPECT_EQ(h.layer().output()[(b * T + t) * 2 * U + (backwards ? U : 0) + u],
                    one.layer().output()[(b * T + source) * U + u]);
        }
  }
}

TEST(Bidirectional, GradientsForEveryMergeMode) {
  for (const char* mode : {"concat", "sum", "mul", "ave"})
    for (bool sequences : {false, true}) {
      testing::expectRecurrentGradients("bidirectional", bidi({{"units", 3}, {"returnSequences", sequences}}, mode), 4,
                                        2, {}, 0.5f);
      testing::expectRecurrentGradients("bidirectional", bidi({{"units", 3}, {"returnSequences", sequences}}, mode), 5,
                                        2, {0, 1, 3}, 0.5f);
    }
}

TEST(Bidirectional, GradientsWithStatesAndOtherCells) {
  testing::expectRecurrentGradients("bidirectional",
                                    bidi({{"units", 3}, {"returnSequences", true}, {"returnState", true}}, "concat"), 4,
                                    2, {0, 2}, 0.5f);
  testing::expectRecurrentGradients(
      "bidirectional", bidi({{"units", 3}, {"returnSequences", true}, {"resetAfter", false}}, "ave", "GRU"), 4, 2, {},
      0.5f);
  testing::expectRecurrentGradients(
      "bidirectional", bidi({{"units", 3}, {"goBackwards", true}, {"returnState", true}}, "mul", "SimpleRNN"), 4, 2,
      {1, 0}, 0.5f);
}

// Keras forces zero_output_for_mask under Bidirectional: masked steps output exactly zero.
TEST(Bidirectional, MaskedStepsOutputZero) {
  LayerHarness h(makeLayer("bidirectional", bidi({{"units", 3}, {"returnSequences", true}}, "sum")), {Shape{4, 2}}, 2);
  h.maskTail(0, {0, 2});
  h.forward();
  const Tensor& y = h.layer().output();
  for (int t = 0; t < 4; ++t)
    for (int u = 0; u < 3; ++u) {
      EXPECT_NE(y[(0 * 4 + t) * 3 + u], 0.f);
      if (t >= 2) {
        EXPECT_EQ(y[(1 * 4 + t) * 3 + u], 0.f);
      }
    }
  const Tensor* masks[] = {&h.masks[0]};
  const Tensor* inputs[] = {&h.inputs[0]};
  h.layer().forward(ForwardPass{inputs, masks});
  EXPECT_EQ(h.layer().outputMask(0), &h.masks[0]);
  testing::expectMaskedStepsIgnored("bidirectional", bidi({{"units", 3}, {"returnSequences", true}}, "concat"), 5, 2);
  testing::expectMaskedStepsIgnored("bidirectional", bidi({{"units", 3}, {"returnState", true}}, "ave", "GRU"), 5, 2);
}

TEST(Bidirectional, NoAllocationAfterTheFirstBatch) {
  LayerHarness h(
      makeLayer("bidirectional", bidi({{"units", 3}, {"returnSequences", true}, {"returnState", true}}, "mul")),
      {Shape{4, 2}}, 2);
  h.maskTail(0, {0, 2});
  testing::expectNoAllocationAfterFirstBatch(h);
}

TEST(Bidirectional, OptionsRoundTripTheInnerSpec) {
  auto layer = makeLayer("bidirectional", bidi({{"units", 5}, {"returnSequences", true}, {"name", "enc"}}, "ave"));
  const Json spec = layerSpec(*layer);
  EXPECT_EQ(spec["config"]["layer"]["className"], "LSTM");
  EXPECT_EQ(spec["config"]["layer"]["config"]["name"], "enc");
  EXPECT_EQ(spec["config"]["layer"]["config"]["goBackwards"], false);
  EXPECT_EQ(spec["config"]["mergeMode"], "ave");
  auto again = createLayer(spec);
  EXPECT_EQ(layerSpec(*again), spec);
  // Renamed before build (as a model does): parameters follow the new name.
  again->setName("bi_2");
  ParamStore store;
  again->build({Shape{3, 2}}, store);
  EXPECT_EQ(again->params()[3]->name, "bi_2/backward_enc/kernel");
  EXPECT_THROW(makeLayer("bidirectional", bidi({{"units", 2}}, "max")), Error);
  EXPECT_THROW(makeLayer("bidirectional", {{"layer", {{"className", "Dense"}, {"config", {{"units", 2}}}}}}), Error);
  EXPECT_THROW(makeLayer("bidirectional", {{"mergeMode", "sum"}}), Error);
}

}  // namespace
}  // namespace attn::bidirectional_test
