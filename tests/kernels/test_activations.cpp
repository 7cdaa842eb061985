#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/kernels.h"
#include "kernels/reference.h"

namespace attn::activations_test {
namespace {

using testing_kernels::allClose;
using testing_kernels::randomVector;

const Activation kElementwise[] = {Activation::Linear, Activation::Relu, Activation::Sigmoid, Activation::Tanh,
                                   Activation::Elu,    Activation::Gelu, Activation::Softplus};

// The SIMD transcendental functions are accurate to a few ulp against the double reference.
constexpr double kRel = 2e-6;
// Below this magnitude the outputs are subnormal and a flush or an ulp there is noise.
constexpr double kAbs = 1e-37;
// gelu for x << 0: rounding x / sqrt 2 to float alone moves erfc by ~x^2 * 6e-8 relative, and
// gelu' = Phi(x) + x phi(x) cancels near x = -0.75 and in the tail; both are held to an absolute
// 2e-8 where the values are that small (the terms themselves are O(1)).
double absTolerance(Activation a) { return a == Activation::Gelu ? 2e-8 : kAbs; }

// Random values at several scales, then the extremes: tiny, around each saturation point and the
// exp overflow threshold, huge, and infinities.
std::vector<float> testInputs(Rng& rng) {
  std::vector<float> x;
  for (float s : {0.1f, 1.f, 4.f, 30.f}) {
    auto r = randomVector(203, rng, s);
    x.insert(x.end(), r.begin(), r.end());
  }
  const float inf = std::numeric_limits<float>::infinity();
  for (float v : {0.f, 1e-30f, 1e-8f, 1e-3f, 0.5f, 0.75f, 1.f, 3.f, 5.f, 9.f, 10.f, 15.f, 20.f, 40.f, 87.f, 88.5f,
                  89.f, 100.f, 1e4f, 1e30f, inf}) {
    x.push_back(v);
    x.push_back(-v);
  }
  return x;
}

TEST(Activations, ForwardMatchesReferenceIncludingExtremes) {
  Rng rng(11);
  const auto x = testInputs(rng);
  for (Activation a : kElementwise)
    for (int64_t n : {int64_t(1), int64_t(3), int64_t(17), static_cast<int64_t>(x.size())}) {
      std::vector<float> got(n), want(n);
      kernels::activationForward(a, x.data(), got.data(), n, 1);
      reference::activationForward(a, x.data(), want.data(), n, 1);
      ASSERT_TRUE(allClose(got, want, kRel, absTolerance(a))) << activationName(a) << " n=" << n;
    }
}

TEST(Activations, ForwardInPlace) {
  Rng rng(12);
  const auto x = testInputs(rng);
  const int64_t n = static_cast<int64_t>(x.size());
  for (Activation a : kElementwise) {
    std::vector<float> got = x, want(n);
    kernels::activationForward(a, got.data(), got.data(), n, 1);
    reference::activationForward(a, x.data(), want.data(), n, 1);
    ASSERT_TRUE(allClose(got, want, kRel, absTolerance(a))) << activationName(a);
  }
}

TEST(Activations, BackwardMatchesReferenceIncludingExtremes) {
  Rng rng(13);
  const auto x = testInputs(rng);
  const int64_t n = static_cast<int64_t>(x.size());
  const auto dy = randomVector(n, rng);
  for (Activation a : kElementwise) {
    std::vector<float> y(n);
    reference::activationForward(a, x.data(), y.data(), n, 1);
    for (int64_t len : {int64_t(1), int64_t(5), int64_t(31), n}) {
      std::vector<float> got(len, std::nanf("")), want(len);
      kernels::activationBackward(a, x.data(), y.data(), dy.data(), got.data(), len, 1);
      reference::activationBackward(a, x.data(), y.data(), dy.data(), want.data(), len, 1);
      ASSERT_TRUE(allClose(got, want, kRel, absTolerance(a))) << activationName(a) << " n=" << len;
    }
    // dx may alias dy.
    std::vector<float> inPlace = dy, want(n);
    kernels::activationBackward(a, x.data(), y.data(), inPlace.data(), inPlace.data(), n, 1);
    reference::activationBackward(a, x.data(), y.data(), dy.data(), want.data(), n, 1);
    ASSERT_TRUE(allClose(inPlace, want, kRel, absTolerance(a))) << activationName(a) << " aliased";
  }
}

// tanh is a rational function in the kernels (src/kernels/simd.h), held here to 5e-7 relative
// (3.8e-7, 6.4 ulp, measured over every float) at every 1021st float up to 10 and their negatives,
// subnormals included; beyond its clamp it gives +-1, and NaN stays NaN.
TEST(Activations, TanhIsAccurateAcrossTheFloatRange) {
  std::vector<float> x;
  for (uint32_t bits = 0;; bits += 1021) {
    float v;
    std::memcpy(&v, &bits, sizeof v);
    if (v > 10.f) break;
    x.push_back(v);
    x.push_back(-v);
  }
  const float inf = std::numeric_limits<float>::infinity();
  for (float v : {9.f, 9.5f, 100.f, 1e30f, inf}) {
    x.push_back(v);
    x.push_back(-v);
  }
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<float> got(n), want(n);
  kernels::activationForward(Activation::Tanh, x.data(), got.data(), n, 1);
  for (int64_t i = 0; i < n; ++i) want[i] = static_cast<float>(std::tanh(double(x[i])));
  ASSERT_TRUE(allClose(got, want, 5e-7, kAbs));
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(std::signbit(got[i]), std::signbit(x[i])) << x[i];
  // NaN in, NaN out, in the SIMD body and in a short call's tail alike.
  for (int64_t len : {int64_t(1), int64_t(3), int64_t(64)}) {
    std::vector<float> nan(len, std::nanf("")), out(len);
    kernels::activationForward(Activation::Tanh, nan.data(), out.data(), len, 1);
    for (float v : out) ASSERT_TRUE(std::isnan(v)) << len;
  }
}

// Softmax as an activation works over rows of width `cols`.
TEST(Activations, SoftmaxOverRows) {
  Rng rng(14);
  for (int cols : {1, 3, 8, 17, 129}) {
    const int rows = 5;
    const auto x = randomVector(rows * cols, rng, 3.f), dy = randomVector(rows * cols, rng);
    std::vector<float> got(x.size()), want(x.size());
    kernels::activationForward(Activation::Softmax, x.data(), got.data(), rows * cols, cols);
    reference::activationForward(Activation::Softmax, x.data(), want.data(), rows * cols, cols);
    ASSERT_TRUE(allClose(got, want, kRel, 1e-9)) << cols;
    std::vector<float> gotDx(x.size()), wantDx(x.size());
    kernels::activationBackward(Activation::Softmax, x.data(), want.data(), dy.data(), gotDx.data(), rows * cols, cols);
    reference::activationBackward(Activation::Softmax, x.data(), want.data(), dy.data(), wantDx.data(), rows * cols,
                                  cols);
    ASSERT_TRUE(allClose(gotDx, wantDx, 1e-5, 1e-6)) << cols;
  }
}

}  // namespace
}  // namespace attn::activations_test
