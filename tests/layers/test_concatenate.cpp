#include <gtest/gtest.h>

#include "layer_test_util.h"

namespace attn::concatenate_test {
namespace {

using namespace testing;

TEST(Concatenate, LastAxisByDefault) {
  LayerHarness h(makeLayer("concatenate", Json::object()), {Shape{3, 2}, Shape{3, 4}}, 2);
  ASSERT_EQ(h.outputShapes()[0], (Shape{3, 6}));
  h.forward();
  const Tensor& y = h.layer().output();
  for (int r = 0; r < 6; ++r) {
    for (int d = 0; d < 2; ++d) EXPECT_EQ(y[r * 6 + d], h.inputs[0][r * 2 + d]);
    for (int d = 0; d < 4; ++d) EXPECT_EQ(y[r * 6 + 2 + d], h.inputs[1][r * 4 + d]);
  }
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(Concatenate, TimeAxisJoinsStepsAndMasks) {
  LayerHarness h(makeLayer("concatenate", {{"axis", 1}}), {Shape{2, 3}, Shape{3, 3}}, 2);
  ASSERT_EQ(h.outputShapes()[0], (Shape{5, 3}));
  h.maskTail(1, {1, 2});
  const Tensor* mask = forwardMask(h);
  const Tensor& y = h.layer().output();
  for (int b = 0; b < 2; ++b) {
    for (int i = 0; i < 6; ++i) EXPECT_EQ(y[b * 15 + i], h.inputs[0][b * 6 + i]);
    for (int i = 0; i < 9; ++i) EXPECT_EQ(y[b * 15 + 6 + i], h.inputs[1][b * 9 + i]);
  }
  ASSERT_NE(mask, nullptr);
  ASSERT_EQ(mask->shape(), (Shape{2, 5}));
  const float expected[] = {1, 1, 1, 1, 0, 1, 1, 1, 0, 0};  // the unmasked input counts as all ones
  for (int i = 0; i < 10; ++i) EXPECT_EQ((*mask)[i], expected[i]) << i;
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(Concatenate, FeatureAxisAndsMasksAndThreeInputs) {
  LayerHarness h(makeLayer("concatenate", {{"axis", -1}}), {Shape{3, 1}, Shape{3, 2}, Shape{3, 3}}, 2);
  h.maskTail(0, {1, 0});
  h.maskTail(2, {0, 2});
  const Tensor* mask = forwardMask(h);
  ASSERT_NE(mask, nullptr);
  const float expected[] = {1, 1, 0, 1, 0, 0};
  for (int i = 0; i < 6; ++i) EXPECT_EQ((*mask)[i], expected[i]) << i;
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(Concatenate, MiddleAxisOfRank4) {
  LayerHarness h(makeLayer("concatenate", {{"axis", 2}}), {Shape{2, 1, 3}, Shape{2, 2, 3}}, 2);
  ASSERT_EQ(h.outputShapes()[0], (Shape{2, 3, 3}));
  h.forward();
  const Tensor& y = h.layer().output();
  for (int o = 0; o < 4; ++o) {
    for (int i = 0; i < 3; ++i) EXPECT_EQ(y[o * 9 + i], h.inputs[0][o * 3 + i]);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(y[o * 9 + 3 + i], h.inputs[1][o * 6 + i]);
  }
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(Concatenate, RejectsMismatchedInputs) {
  EXPECT_TRUE(throwsWith([] { buildLayer("concatenate", {{"name", "c"}}, {Shape{3, 2}, Shape{4, 2}}); },
                         {"c: inputs must match except on the concatenation axis -1, got (None, 3, 2) and (None, 4, 2)"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("concatenate", {{"name", "c"}, {"axis", 0}}, {Shape{3}, Shape{3}}); },
                         {"c: option 'axis' cannot be the batch axis"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("concatenate", {{"name", "c"}}, {Shape{3}}); },
                         {"c: expected at least 2 inputs"}));
  LayerHarness h(makeLayer("concatenate", {{"name", "c"}}), {Shape{3}, Shape{2}}, 2);
  h.inputs[1] = Tensor(Shape{2, 3});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"c: expected input 1 of shape (None, 2), got (2, 3)"}));
}

TEST(Concatenate, OptionsRoundTripAndNoAllocationAfterFirstBatch) {
  EXPECT_TRUE(optionsRoundTrip("concatenate", {{"axis", 1}}));
  LayerHarness h(makeLayer("concatenate", {{"axis", 1}}), {Shape{3, 4}, Shape{2, 4}}, 2);
  h.maskTail(0, {1, 0});
  EXPECT_EQ(allocationsAfterFirstBatch(h), 0);
  EXPECT_TRUE(backwardAccumulates(h));
}

}  // namespace
}  // namespace attn::concatenate_test
