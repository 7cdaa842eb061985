#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/kernels.h"
#include "kernels/reference.h"

namespace attn::vector_ops_test {
namespace {

using testing_kernels::allClose;
using testing_kernels::randomVector;

// Lengths around every vector width (4, 8, 16) and the 4x unrolled main loop, plus empty.
const int64_t kLengths[] = {0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 129, 1000};

// Elementwise ops do one or two roundings per element, so they match the reference to an ulp
// (a fused multiply-add may round once where the reference rounds twice).
constexpr double kUlp = 1.2e-7;

TEST(VectorOps, FillAndCopyAreExactAndStayInBounds) {
  Rng rng(1);
  for (int64_t n : kLengths) {
    auto x = randomVector(n + 2, rng);
    std::vector<float> y(n + 2, -7.f);
    kernels::fill(y.data(), 2.5f, n);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], 2.5f) << n;
    ASSERT_EQ(y[n], -7.f) << "fill wrote past the end, n=" << n;
    kernels::copy(x.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], x[i]) << n;
    ASSERT_EQ(y[n], -7.f) << "copy wrote past the end, n=" << n;
  }
}

TEST(VectorOps, BinaryOpsMatchReference) {
  Rng rng(2);
  for (int64_t n : kLengths) {
    const auto a = randomVector(n, rng), b = randomVector(n, rng), y0 = randomVector(n, rng);
    auto got = y0, want = y0;
    kernels::add(a.data(), b.data(), got.data(), n);
    reference::add(a.data(), b.data(), want.data(), n);
    ASSERT_TRUE(allClose(got, want, kUlp, 0)) << "add n=" << n;

    got = y0, want = y0;
    kernels::addInPlace(a.data(), got.data(), n);
    reference::addInPlace(a.data(), want.data(), n);
    ASSERT_TRUE(allClose(got, want, kUlp, 0)) << "addInPlace n=" << n;

    got = y0, want = y0;
    kernels::axpy(-1.75f, a.data(), got.data(), n);
    reference::axpy(-1.75f, a.data(), want.data(), n);
    ASSERT_TRUE(allClose(got, want, 2 * kUlp, 1e-7)) << "axpy n=" << n;

    got = y0, want = y0;
    kernels::mul(a.data(), b.data(), got.data(), n);
    reference::mul(a.data(), b.data(), want.data(), n);
    ASSERT_TRUE(allClose(got, want, kUlp, 0)) << "mul n=" << n;

    got = y0, want = y0;
    kernels::mulAdd(a.data(), b.data(), got.data(), n);
    reference::mulAdd(a.data(), b.data(), want.data(), n);
    ASSERT_TRUE(allClose(got, want, 2 * kUlp, 1e-7)) << "mulAdd n=" << n;

    got = y0, want = y0;
    kernels::scale(0.3f, got.data(), n);
    reference::scale(0.3f, want.data(), n);
    ASSERT_TRUE(allClose(got, want, kUlp, 0)) << "scale n=" << n;
  }
}

// y = a + b with y aliasing a or b, and y = a * a: the documented-elementwise ops must allow it.
TEST(VectorOps, ElementwiseOpsAllowAliasing) {
  Rng rng(3);
  for (int64_t n : kLengths) {
    const auto a = randomVector(n, rng), b = randomVector(n, rng);
    std::vector<float> want(n), got = a;
    reference::add(a.data(), b.data(), want.data(), n);
    kernels::add(got.data(), b.data(), got.data(), n);
    ASSERT_TRUE(allClose(got, want, kUlp, 0)) << n;
    got = a;
    reference::mul(a.data(), a.data(), want.data(), n);
    kernels::mul(got.data(), got.data(), got.data(), n);
    ASSERT_TRUE(allClose(got, want, kUlp, 0)) << n;
  }
}

TEST(VectorOps, AllFiniteFindsANonFiniteValueAtAnyPositionAndReadsNoFurther) {
  Rng rng(9);
  const float bad[] = {NAN, INFINITY, -INFINITY};
  for (int64_t n : kLengths) {
    auto x = randomVector(n + 1, rng);
    if (n > 0) x[0] = 3.4e38f;  // huge but finite
    x[n] = NAN;                 // one past the end: must not be read
    ASSERT_TRUE(kernels::allFinite(x.data(), n)) << n;
    for (int64_t i = 0; i < n; ++i)
      for (float value : bad) {
        const float kept = x[i];
        x[i] = value;
        ASSERT_FALSE(kernels::allFinite(x.data(), n)) << "n=" << n << " at " << i << ": " << value;
        x[i] = kept;
      }
  }
}

TEST(VectorOps, SumAndDotMatchReference) {
  Rng rng(4);
  for (int64_t n : kLengths) {
    const auto a = randomVector(n, rng), b = randomVector(n, rng);
    double absSum = 0, absDot = 0;
    for (int64_t i = 0; i < n; ++i) absSum += std::fabs(a[i]), absDot += std::fabs(a[i] * b[i]);
    // Float accumulation: error grows with the magnitude summed, not with the (cancelling) result.
    EXPECT_NEAR(kernels::sum(a.data(), n), reference::sum(a.data(), n), 1e-6 * absSum + 1e-7) << n;
    EXPECT_NEAR(kernels::dot(a.data(), b.data(), n), reference::dot(a.data(), b.data(), n), 1e-6 * absDot + 1e-7)
        << n;
  }
  // A long sum of equal values, where rounding errors all lean the same way: a single float
  // accumulator drifts by ~1e-4 relative here; the kernels must stay within 1e-6.
  std::vector<float> tenths(100003, 0.1f);
  EXPECT_NEAR(kernels::sum(tenths.data(), 100003), reference::sum(tenths.data(), 100003), 1e-2);
  EXPECT_NEAR(kernels::dot(tenths.data(), tenths.data(), 100003),
              reference::dot(tenths.data(), tenths.data(), 100003), 1e-3);
}

TEST(VectorOps, RowHelpersMatchReference) {
  Rng rng(5);
  for (int rows : {0, 1, 3, 8, 17, 300})
    for (int cols : {1, 3, 7, 8, 17, 64, 129}) {
      const auto x = randomVector(int64_t(rows) * cols, rng), bias = randomVector(cols, rng);
      auto got = x, want = x;
      kernels::addRowVector(bias.data(), got.data(), rows, cols);
      reference::addRowVector(bias.data(), want.data(), rows, cols);
      ASSERT_TRUE(allClose(got, want, kUlp, 0)) << rows << "x" << cols;

      // sumRows accumulates into out.
      const auto out0 = randomVector(cols, rng);
      auto gotSum = out0, wantSum = out0;
      kernels::sumRows(x.data(), gotSum.data(), rows, cols);
      reference::sumRows(x.data(), wantSum.data(), rows, cols);
      ASSERT_TRUE(allClose(gotSum, wantSum, 1e-6, 1e-6 * (rows + 1))) << rows << "x" << cols;
    }
}

}  // namespace
}  // namespace attn::vector_ops_test
