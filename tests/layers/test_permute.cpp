#include <gtest/gtest.h>

#include "layer_test_util.h"

namespace attn::permute_test {
namespace {

using namespace testing;

TEST(Permute, SwapsTimeAndFeatures) {
  LayerHarness h(makeLayer("permute", {{"dims", {2, 1}}}), {Shape{3, 4}}, 2);
  ASSERT_EQ(h.outputShapes()[0], (Shape{4, 3}));
  h.forward();
  const Tensor& y = h.layer().output();
  for (int b = 0; b < 2; ++b)
    for (int t = 0; t < 3; ++t)
      for (int d = 0; d < 4; ++d) EXPECT_EQ(y[(b * 4 + d) * 3 + t], h.inputs[0][(b * 3 + t) * 4 + d]);
}

TEST(Permute, ThreeAxesFollowKerasDims) {
  // dims (3, 1, 2): output axis 1 is input axis 3, axis 2 is input axis 1, axis 3 is input axis 2.
  LayerHarness h(makeLayer("permute", {{"dims", {3, 1, 2}}}), {Shape{2, 3, 4}}, 2);
  ASSERT_EQ(h.outputShapes()[0], (Shape{4, 2, 3}));
  h.forward();
  const Tensor& y = h.layer().output();
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j)
        for (int k = 0; k < 4; ++k)
          EXPECT_EQ(y[((b * 4 + k) * 2 + i) * 3 + j], h.inputs[0][((b * 2 + i) * 3 + j) * 4 + k]);
}

TEST(Permute, Gradients) {
  LayerHarness h(makeLayer("permute", {{"dims", {2, 3, 1}}}), {Shape{2, 3, 4}}, 2);
  EXPECT_TRUE(gradientsMatch(h));
  LayerHarness h2(makeLayer("permute", {{"dims", {2, 1}}}), {Shape{5, 3}}, 3);
  h2.maskTail(0, {1, 0, 2});
  EXPECT_TRUE(gradientsMatch(h2));
  EXPECT_EQ(forwardMask(h2), nullptr);
}

TEST(Permute, RejectsBadDims) {
  EXPECT_TRUE(throwsWith([] { makeLayer("permute", {{"dims", {1, 1}}}); }, {"permutation of 1..2"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("permute", {{"dims", {0, 1}}}); }, {"permutation of 1..2"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("permute", {{"dims", {2, 1}}, {"name", "p"}}, {Shape{2, 3, 4}}); },
                         {"p: dims [2,1] need an input of rank 3", "(None, 2, 3, 4)"}));
  LayerHarness h(makeLayer("permute", {{"dims", {2, 1}}, {"name", "p"}}), {Shape{2, 3}}, 2);
  h.inputs[0] = Tensor(Shape{2, 3, 2});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"p: expected input of shape (None, 2, 3), got (2, 3, 2)"}));
}

TEST(Permute, OptionsRoundTripAndNoAllocationAfterFirstBatch) {
  EXPECT_TRUE(optionsRoundTrip("permute", {{"dims", {2, 1}}}));
  LayerHarness h(makeLayer("permute", {{"dims", {2, 1}}}), {Shape{3, 4}}, 2);
  EXPECT_EQ(allocationsAfterFirstBatch(h), 0);
  EXPECT_TRUE(backwardAccumulates(h));
}

}  // namespace
}  // namespace attn::permute_test
