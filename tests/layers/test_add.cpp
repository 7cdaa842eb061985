#include <gtest/gtest.h>

#include "layer_test_util.h"

namespace attn::add_test {
namespace {

using namespace testing;

TEST(Add, SumsThreeInputs) {
  LayerHarness h(makeLayer("add", Json::object()), {Shape{3, 2}, Shape{3, 2}, Shape{3, 2}}, 2);
  h.forward();
  const Tensor& y = h.layer().output();
  for (int64_t i = 0; i < y.size(); ++i)
    EXPECT_NEAR(y[i], h.inputs[0][i] + h.inputs[1][i] + h.inputs[2][i], 1e-6);
  EXPECT_TRUE(gradientsMatch(h));
  EXPECT_EQ(h.layer().countParams(), 0);
}

TEST(Add, MaskIsTheAndOfPresentMasks) {
  LayerHarness h(makeLayer("add", Json::object()), {Shape{4, 2}, Shape{4, 2}, Shape{4, 2}}, 2);
  EXPECT_EQ(forwardMask(h), nullptr);
  h.maskTail(1, {1, 2});
  EXPECT_EQ(forwardMask(h), &h.masks[1]);  // one mask: passed on as is
  h.masks[0] = Tensor(Shape{2, 4}, {0, 1, 1, 1, 1, 1, 1, 1});
  const Tensor* mask = forwardMask(h);
  ASSERT_NE(mask, nullptr);
  const float expected[] = {0, 1, 1, 0, 1, 1, 0, 0};
  for (int i = 0; i < 8; ++i) EXPECT_EQ((*mask)[i], expected[i]) << i;
  // Masks do not change values (Keras' Add only combines them), so the gradients are plain.
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(Add, RejectsMismatchedInputs) {
  EXPECT_TRUE(throwsWith([] { buildLayer("add", {{"name", "add_1"}}, {Shape{3}}); },
                         {"add_1: expected at least 2 inputs, got 1"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("add", {{"name", "add_1"}}, {Shape{3}, Shape{4}}); },
                         {"add_1: expected inputs of one shape, got (None, 3) and (None, 4)"}));
  LayerHarness h(makeLayer("add", {{"name", "add_1"}}), {Shape{3}, Shape{3}}, 2);
  h.inputs[1] = Tensor(Shape{3, 3});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"add_1: inputs disagree on the batch size"}));
  h.inputs[1] = Tensor(Shape{2, 4});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"add_1: expected input 1 of shape (None, 3), got (2, 4)"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("add", {{"axis", 1}}); }, {"unknown option 'axis'"}));
}

TEST(Add, OptionsRoundTripAndNoAllocationAfterFirstBatch) {
  EXPECT_TRUE(optionsRoundTrip("add", Json::object()));
  LayerHarness h(makeLayer("add", Json::object()), {Shape{3, 4}, Shape{3, 4}}, 2);
  h.maskTail(0, {1, 0});
  h.maskTail(1, {0, 2});
  EXPECT_EQ(allocationsAfterFirstBatch(h), 0);
  EXPECT_TRUE(backwardAccumulates(h));
}

}  // namespace
}  // namespace attn::add_test
