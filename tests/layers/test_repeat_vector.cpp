#include <gtest/gtest.h>

#include "layer_test_util.h"

namespace attn::repeat_vector_test {
namespace {

using namespace testing;

TEST(RepeatVector, CopiesTheVectorNTimes) {
  LayerHarness h(makeLayer("repeatVector", {{"n", 3}}), {Shape{4}}, 2);
  ASSERT_EQ(h.outputShapes()[0], (Shape{3, 4}));
  h.forward();
  const Tensor& y = h.layer().output();
  for (int b = 0; b < 2; ++b)
    for (int t = 0; t < 3; ++t)
      for (int d = 0; d < 4; ++d) EXPECT_EQ(y[(b * 3 + t) * 4 + d], h.inputs[0][b * 4 + d]);
}

TEST(RepeatVector, GradientsSumOverCopies) {
  LayerHarness h(makeLayer("repeatVector", {{"n", 5}}), {Shape{3}}, 2);
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(RepeatVector, RejectsBadOptionsAndShapes) {
  EXPECT_TRUE(throwsWith([] { makeLayer("repeatVector", {{"n", 0}}); }, {"'n' must be a positive integer"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("repeatVector", {{"n", 2}, {"name", "rv"}}, {Shape{2, 3}}); },
                         {"rv: expected input of rank 2", "(None, 2, 3)"}));
  LayerHarness h(makeLayer("repeatVector", {{"n", 2}, {"name", "rv"}}), {Shape{3}}, 2);
  h.inputs[0] = Tensor(Shape{2, 4});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"rv: expected input of shape (None, 3), got (2, 4)"}));
}

TEST(RepeatVector, OptionsRoundTripAndNoAllocationAfterFirstBatch) {
  EXPECT_TRUE(optionsRoundTrip("repeatVector", {{"n", 4}}));
  LayerHarness h(makeLayer("repeatVector", {{"n", 4}}), {Shape{3}}, 2);
  EXPECT_EQ(allocationsAfterFirstBatch(h), 0);
  EXPECT_TRUE(backwardAccumulates(h));
}

}  // namespace
}  // namespace attn::repeat_vector_test
