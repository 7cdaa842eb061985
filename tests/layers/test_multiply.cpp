#include <gtest/gtest.h>

#include "layer_test_util.h"

namespace attn::multiply_test {
namespace {

using namespace testing;

TEST(Multiply, ElementwiseProduct) {
  LayerHarness h(makeLayer("multiply", Json::object()), {Shape{3, 2}, Shape{3, 2}, Shape{3, 2}}, 2);
  h.forward();
  const Tensor& y = h.layer().output();
  for (int64_t i = 0; i < y.size(); ++i)
    EXPECT_NEAR(y[i], h.inputs[0][i] * h.inputs[1][i] * h.inputs[2][i], 1e-6);
}

TEST(Multiply, GradientsForTwoAndThreeInputsWithZeros) {
  LayerHarness two(makeLayer("multiply", Json::object()), {Shape{4}, Shape{4}}, 3);
  EXPECT_TRUE(gradientsMatch(two));
  LayerHarness three(makeLayer("multiply", Json::object()), {Shape{2, 3}, Shape{2, 3}, Shape{2, 3}}, 2);
  three.inputs[1][0] = 0.f;  // a zero factor must not break the other inputs' gradients
  EXPECT_TRUE(gradientsMatch(three));
  three.forwardBackward();
  EXPECT_EQ(three.inputGrads[0][0], 0.f);
  EXPECT_NE(three.inputGrads[1][0], 0.f);
}

TEST(Multiply, MaskIsTheAndOfMasks) {
  LayerHarness h(makeLayer("multiply", Json::object()), {Shape{3, 2}, Shape{3, 2}}, 2);
  h.maskTail(0, {1, 0});
  h.maskTail(1, {0, 2});
  const Tensor* mask = forwardMask(h);
  ASSERT_NE(mask, nullptr);
  const float expected[] = {1, 1, 0, 1, 0, 0};
  for (int i = 0; i < 6; ++i) EXPECT_EQ((*mask)[i], expected[i]) << i;
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(Multiply, RejectsMismatchedInputs) {
  EXPECT_TRUE(throwsWith([] { buildLayer("multiply", {{"name", "m"}}, {Shape{2, 3}, Shape{3, 2}}); },
                         {"m: expected inputs of one shape, got (None, 2, 3) and (None, 3, 2)"}));
  LayerHarness h(makeLayer("multiply", {{"name", "m"}}), {Shape{3}, Shape{3}}, 2);
  h.masks[0] = Tensor(Shape{2, 4});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"m: expected a mask of shape (2, 3) for input 0, got (2, 4)"}));
}

TEST(Multiply, OptionsRoundTripAndNoAllocationAfterFirstBatch) {
  EXPECT_TRUE(optionsRoundTrip("multiply", Json::object()));
  LayerHarness h(makeLayer("multiply", Json::object()), {Shape{3, 4}, Shape{3, 4}, Shape{3, 4}}, 2);
  h.maskTail(0, {1, 0});
  h.maskTail(1, {0, 2});
  EXPECT_EQ(allocationsAfterFirstBatch(h), 0);
  EXPECT_TRUE(backwardAccumulates(h));
}

}  // namespace
}  // namespace attn::multiply_test
