#include <gtest/gtest.h>

#include "layer_test_util.h"

namespace attn::flatten_test {
namespace {

using namespace testing;

TEST(Flatten, KeepsRowMajorOrder) {
  LayerHarness h(makeLayer("flatten", Json::object()), {Shape{3, 2, 2}}, 2);
  ASSERT_EQ(h.outputShapes()[0], (Shape{12}));
  h.forward();
  const Tensor& y = h.layer().output();
  ASSERT_EQ(y.shape(), (Shape{2, 12}));
  for (int b = 0; b < 2; ++b)
    for (int t = 0; t < 3; ++t)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j)
          EXPECT_EQ(y[b * 12 + t * 4 + i * 2 + j], h.inputs[0][((b * 3 + t) * 2 + i) * 2 + j]);
}

TEST(Flatten, GradientsAndNoMask) {
  LayerHarness h(makeLayer("flatten", Json::object()), {Shape{4, 3}}, 2);
  h.maskTail(0, {1, 2});
  EXPECT_TRUE(gradientsMatch(h));
  EXPECT_EQ(forwardMask(h), nullptr);
  EXPECT_EQ(h.layer().countParams(), 0);
}

TEST(Flatten, RejectsBadShapes) {
  EXPECT_TRUE(throwsWith([] { buildLayer("flatten", {{"name", "f"}}, {Shape{}}); }, {"f: expected input of rank >= 1"}));
  LayerHarness h(makeLayer("flatten", {{"name", "f"}}), {Shape{4, 3}}, 2);
  h.inputs[0] = Tensor(Shape{2, 3, 4});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"f: expected input of shape (None, 4, 3), got (2, 3, 4)"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("flatten", {{"dataFormat", "channelsFirst"}}); }, {"dataFormat"}));
}

TEST(Flatten, OptionsRoundTripAndNoAllocationAfterFirstBatch) {
  EXPECT_TRUE(optionsRoundTrip("flatten", Json::object()));
  LayerHarness h(makeLayer("flatten", Json::object()), {Shape{3, 4}}, 2);
  EXPECT_EQ(allocationsAfterFirstBatch(h), 0);
  EXPECT_TRUE(backwardAccumulates(h));
}

}  // namespace
}  // namespace attn::flatten_test
