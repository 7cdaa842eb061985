#include <gtest/gtest.h>

#include "layer_test_util.h"

namespace attn::reshape_test {
namespace {

using namespace testing;

TEST(Reshape, InfersTheMinusOneEntryAndKeepsLayout) {
  LayerHarness h(makeLayer("reshape", {{"targetShape", {2, -1}}}), {Shape{3, 4}}, 2);
  ASSERT_EQ(h.outputShapes()[0], (Shape{2, 6}));
  h.forward();
  const Tensor& y = h.layer().output();
  ASSERT_EQ(y.shape(), (Shape{2, 2, 6}));
  // Row-major: y[b, i, j] is element i*6 + j of sample b.
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 6; ++j) EXPECT_EQ(y[(b * 2 + i) * 6 + j], h.inputs[0][b * 12 + i * 6 + j]);
}

TEST(Reshape, GradientsAndNoMask) {
  LayerHarness h(makeLayer("reshape", {{"targetShape", {12}}}), {Shape{4, 3}}, 3);
  h.maskTail(0, {0, 1, 2});
  EXPECT_TRUE(gradientsMatch(h));
  EXPECT_EQ(forwardMask(h), nullptr);
}

TEST(Reshape, RejectsBadTargets) {
  EXPECT_TRUE(throwsWith([] { makeLayer("reshape", {{"targetShape", {-1, -1}}}); }, {"-1 only once"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("reshape", {{"targetShape", {0, 2}}}); }, {"positive or -1"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("reshape", Json::object()); }, {"'targetShape' is required"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("reshape", {{"targetShape", {5}}, {"name", "r"}}, {Shape{2, 3}}); },
                         {"r: cannot reshape input of shape (None, 2, 3)", "(None, 5)"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("reshape", {{"targetShape", {4, -1}}, {"name", "r"}}, {Shape{2, 3}}); },
                         {"r: cannot reshape"}));
  LayerHarness h(makeLayer("reshape", {{"targetShape", {6}}, {"name", "r"}}), {Shape{2, 3}}, 2);
  h.inputs[0] = Tensor(Shape{2, 3, 2});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"r: expected input of shape (None, 2, 3), got (2, 3, 2)"}));
}

TEST(Reshape, OptionsRoundTripAndNoAllocationAfterFirstBatch) {
  EXPECT_TRUE(optionsRoundTrip("reshape", {{"targetShape", {-1, 2}}}));
  LayerHarness h(makeLayer("reshape", {{"targetShape", {-1, 2}}}), {Shape{3, 4}}, 2);
  EXPECT_EQ(allocationsAfterFirstBatch(h), 0);
  EXPECT_TRUE(backwardAccumulates(h));
}

}  // namespace
}  // namespace attn::reshape_test
