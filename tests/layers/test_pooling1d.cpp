// The pooling layers beyond the table (tests/layer_cases.json runs their gradients and TF.js
// parity): which step wins and gets the gradient, edge windows of 'same', masks.
#include <gtest/gtest.h>

#include "layer_test_util.h"

namespace attn::pooling1d_test {
namespace {

using namespace testing;

void setSequence(Tensor& x, std::initializer_list<float> values) {
  int64_t i = 0;
  for (float v : values) x[i++] = v;
}

// dL/dx of L = the sum of the outputs, after the harness' last forward.
Tensor gradientOfSum(LayerHarness& h) {
  Tensor dy(h.layer().output().shape());
  dy.fill(1.f);
  Tensor dx(h.inputs[0].shape());
  dx.zero();
  const Tensor* inputs[] = {&h.inputs[0]};
  const Tensor* masks[] = {h.masks[0].empty() ? nullptr : &h.masks[0]};
  const Tensor* dOut[] = {&dy};
  Tensor* dIn[] = {&dx};
  h.layer().backward(BackwardPass(inputs, masks, dOut, dIn));
  return dx;
}

TEST(MaxPooling1D, TheMaximumWinsAndTakesTheWholeGradient) {
  // same, T = 5, pool 3, strides 2: T' = 3 and 2 steps of padding, the smaller half (1) on the
  // left: windows {pad, 1, -2}, {-2, 5, -3}, {-3, -1, pad}.
  LayerHarness h(makeLayer("maxPooling1D", {{"poolSize", 3}, {"strides", 2}, {"padding", "same"}}), {Shape{5, 1}}, 1);
  setSequence(h.inputs[0], {1, -2, 5, -3, -1});
  h.forward();
  const Tensor& y = h.layer().output();
  EXPECT_EQ(y[0], 1.f);
  EXPECT_EQ(y[1], 5.f);
  EXPECT_EQ(y[2], -1.f);  // padding never wins, even over negative values
  const Tensor dx = gradientOfSum(h);
  EXPECT_EQ((std::vector<float>(dx.data(), dx.data() + 5)), (std::vector<float>{1, 0, 1, 0, 1}));
  // stride 1, valid: step 2 wins all three windows and takes three gradients.
  LayerHarness g(makeLayer("maxPooling1D", {{"poolSize", 3}, {"strides", 1}}), {Shape{5, 1}}, 1);
  setSequence(g.inputs[0], {1, -2, 5, -3, -1});
  g.forward();
  EXPECT_EQ(gradientOfSum(g)[2], 3.f);
}

TEST(AveragePooling1D, EdgeWindowsOfSameAverageOnlyTheStepsTheyCover) {
  LayerHarness h(makeLayer("averagePooling1D", {{"poolSize", 2}, {"padding", "same"}}), {Shape{3, 1}}, 1);
  setSequence(h.inputs[0], {1, 3, 8});
  h.forward();
  EXPECT_FLOAT_EQ(h.layer().output()[0], 2.f);
  EXPECT_FLOAT_EQ(h.layer().output()[1], 8.f);  // not 4: the padding is not counted
}

TEST(Pooling1D, ConsumeTheMaskAndRefuseCausal) {
  for (const char* type : {"maxPooling1D", "averagePooling1D"}) {
    LayerHarness h(makeLayer(type, Json::object()), {Shape{6, 2}}, 2);
    h.maskTail(0, {2, 0});
    EXPECT_EQ(forwardMask(h), nullptr) << type;
    EXPECT_TRUE(throwsWith([&] { makeLayer(type, {{"padding", "causal"}}); }, {"option 'padding'", "'causal'"}));
    EXPECT_TRUE(throwsWith([&] { makeLayer(type, {{"poolSize", 0}}); }, {"option 'poolSize' must be a positive integer"}));
    // strides default to poolSize, as in Keras.
    EXPECT_EQ(makeLayer(type, {{"poolSize", 3}})->options()["strides"], 3);
  }
}

TEST(GlobalMaxPooling1D, MaskedStepsNeverWinAndAFullyMaskedRowGivesZero) {
  LayerHarness h(makeLayer("globalMaxPooling1D", Json::object()), {Shape{3, 1}}, 2);
  setSequence(h.inputs[0], {1, 2, 9, -5, -4, -3});
  h.maskTail(0, {1, 3});  // row 0 keeps steps 0-1, row 1 keeps none
  h.forward();
  EXPECT_EQ(h.layer().output()[0], 2.f);  // 9 is masked
  EXPECT_EQ(h.layer().output()[1], 0.f);
  const Tensor dx = gradientOfSum(h);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(dx[i], i == 1 ? 1.f : 0.f) << i;
  EXPECT_EQ(forwardMask(h), nullptr);
}

}  // namespace
}  // namespace attn::pooling1d_test
