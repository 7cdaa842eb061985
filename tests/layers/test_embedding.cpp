#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_util.h"

namespace attn::embedding_test {
namespace {

using namespace testing;

TEST(Embedding, LooksUpRows) {
  LayerHarness h(makeLayer("embedding", {{"inputDim", 7}, {"outputDim", 3}}), {Shape{5}}, 2);
  h.fillIds(0, 0, 7);
  h.forward();
  const Tensor& y = h.layer().output();
  ASSERT_EQ(y.shape(), (Shape{2, 5, 3}));
  const Param& E = h.store().params()[0];
  EXPECT_EQ(E.name, "embedding/embeddings");
  EXPECT_EQ(E.shape, (Shape{7, 3}));
  for (int i = 0; i < 10; ++i) {
    const int id = static_cast<int>(h.inputs[0][i]);
    for (int d = 0; d < 3; ++d) EXPECT_EQ(y[i * 3 + d], E.value[id * 3 + d]);
  }
}

TEST(Embedding, DefaultInitializerIsUniformFivePercent) {
  LayerHarness h(makeLayer("embedding", {{"inputDim", 50}, {"outputDim", 20}}), {Shape{2}}, 1);
  const Param& E = h.store().params()[0];
  float low = 1, high = -1;
  for (int64_t i = 0; i < E.size(); ++i) {
    low = std::min(low, E.value[i]);
    high = std::max(high, E.value[i]);
  }
  EXPECT_GE(low, -0.05f);
  EXPECT_LE(high, 0.05f);
  EXPECT_LT(low, -0.04f);  // 1000 draws reach near both ends
  EXPECT_GT(high, 0.04f);
}

TEST(Embedding, GradientScattersIntoRepeatedRows) {
  // Ids 0..2 of 5 over 18 positions: rows repeat, and rows 3 and 4 are never looked up.
  LayerHarness h(makeLayer("embedding", {{"inputDim", 5}, {"outputDim", 4}}), {Shape{6}}, 3);
  h.fillIds(0, 0, 3);
  h.randomizeParams();
  EXPECT_TRUE(gradientsMatch(h));
  // By hand: with dy = 1 everywhere, dE[r, :] counts the positions holding id r.
  h.forward();
  h.store().zeroGrads();
  Tensor ones(h.layer().output().shape());
  ones.fill(1.f);
  const Tensor* in[] = {&h.inputs[0]};
  const Tensor* dOut[] = {&ones};
  Tensor* dIn[] = {nullptr};
  h.layer().backward(BackwardPass{in, {}, dOut, dIn});
  const Param& E = h.store().params()[0];
  for (int r = 0; r < 5; ++r) {
    int count = 0;
    for (int i = 0; i < 18; ++i) count += static_cast<int>(h.inputs[0][i]) == r;
    if (r < 3) {
      EXPECT_GT(count, 1) << "row " << r << " should repeat";
    }
    for (int d = 0; d < 4; ++d) EXPECT_EQ(E.grad[r * 4 + d], float(count)) << "row " << r;
  }
}

TEST(Embedding, MaskZeroMarksPaddingAndFlowsOn) {
  LayerHarness h(makeLayer("embedding", {{"inputDim", 6}, {"outputDim", 2}, {"maskZero", true}}), {Shape{4}}, 2);
  h.fillIds(0, 0, 6);
  h.inputs[0] = Tensor(Shape{2, 4}, {3, 1, 0, 0, 0, 5, 2, 0});
  const Tensor* mask = forwardMask(h);
  ASSERT_NE(mask, nullptr);
  ASSERT_EQ(mask->shape(), (Shape{2, 4}));
  const float expected[] = {1, 1, 0, 0, 0, 1, 1, 0};
  for (int i = 0; i < 8; ++i) EXPECT_EQ((*mask)[i], expected[i]) << i;

  // The mask reaches the next layer: a masked average over the embedded steps.
  auto pool = makeLayer("globalAveragePooling1D", Json::object());
  ParamStore none;
  pool->build({Shape{4, 2}}, none);
  const Tensor* in[] = {&h.layer().output()};
  const Tensor* masks[] = {mask};
  pool->forward(ForwardPass{in, masks, false, nullptr});
  const Param& E = h.store().params()[0];
  for (int d = 0; d < 2; ++d) {
    EXPECT_NEAR(pool->output()[d], (E.value[3 * 2 + d] + E.value[1 * 2 + d]) / 2, 1e-6);
    EXPECT_NEAR(pool->output()[2 + d], (E.value[5 * 2 + d] + E.value[2 * 2 + d]) / 2, 1e-6);
  }
  // Gradient check with the padding ids in place.
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(Embedding, NoMaskWithoutMaskZeroAndIgnoresIncomingMasks) {
  LayerHarness h(makeLayer("embedding", {{"inputDim", 6}, {"outputDim", 2}}), {Shape{4}}, 2);
  h.fillIds(0, 0, 6);
  h.masks[0] = Tensor(Shape{2, 4});
  EXPECT_EQ(forwardMask(h), nullptr);
}

TEST(Embedding, ParameterCountsMatchKeras) {
  LayerHarness h(makeLayer("embedding", {{"inputDim", 1000}, {"outputDim", 64}}), {Shape{10}}, 1);
  EXPECT_EQ(h.layer().countParams(), 64000);
}

TEST(Embedding, RejectsIdsOutOfRangeOrNotIntegers) {
  LayerHarness h(makeLayer("embedding", {{"inputDim", 10}, {"outputDim", 2}, {"name", "emb"}}), {Shape{3}}, 1);
  h.inputs[0] = Tensor(Shape{1, 3}, {1, 10, 2});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"emb: expected integer ids in [0, 10), got 10"}));
  h.inputs[0] = Tensor(Shape{1, 3}, {1, -1, 2});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"emb:", "got -1"}));
  h.inputs[0] = Tensor(Shape{1, 3}, {1, 2.5f, 2});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"emb:", "got 2.5"}));
  h.inputs[0] = Tensor(Shape{1, 3}, {1, NAN, 2});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"emb:", "got nan"}));
  h.inputs[0] = Tensor(Shape{1, 4}, {1, 2, 3, 4});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"emb: expected input of shape (None, 3), got (1, 4)"}));
}

TEST(Embedding, RejectsBadOptions) {
  EXPECT_TRUE(throwsWith([] { makeLayer("embedding", {{"outputDim", 2}}); }, {"'inputDim' is required"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("embedding", {{"inputDim", 2}, {"outputDim", 0}}); }, {"'outputDim'"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("embedding", {{"inputDim", 2}, {"outputDim", 2}, {"weights", {1, 2, 3, 4}}}); },
                         {"'weights' is not supported"}));
  EXPECT_TRUE(throwsWith(
      [] { buildLayer("embedding", {{"inputDim", 2}, {"outputDim", 2}, {"inputLength", 5}, {"name", "e"}}, {Shape{4}}); },
      {"e: expected input of shape (None, 5)"}));
}

TEST(Embedding, OptionsRoundTripAndNoAllocationAfterFirstBatch) {
  EXPECT_TRUE(optionsRoundTrip("embedding", {{"inputDim", 9}, {"outputDim", 4}, {"maskZero", true}, {"inputLength", 3}}));
  EXPECT_TRUE(optionsRoundTrip("embedding", {{"inputDim", 9}, {"outputDim", 4}, {"embeddingsInitializer", "glorotUniform"}}));
  LayerHarness h(makeLayer("embedding", {{"inputDim", 9}, {"outputDim", 4}, {"maskZero", true}}), {Shape{3}}, 2);
  h.fillIds(0, 0, 9);
  EXPECT_EQ(allocationsAfterFirstBatch(h), 0);
  EXPECT_TRUE(backwardAccumulates(h));
}

}  // namespace
}  // namespace attn::embedding_test
