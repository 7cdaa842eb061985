#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/kernels.h"
#include "kernels/reference.h"

namespace attn::softmax_test {
namespace {

using testing_kernels::allClose;
using testing_kernels::randomVector;

struct Layout {
  int outer, axis, inner;
};
// Last-axis rows (inner == 1) of awkward widths, and middle axes with inner widths below, at and
// above each vector width.
const Layout kLayouts[] = {{1, 1, 1},  {3, 7, 1},  {2, 17, 1}, {4, 64, 1}, {2, 129, 1}, {2, 3, 5},
                           {3, 7, 8},  {2, 17, 17}, {1, 64, 3}, {2, 5, 33}, {1, 1, 7},  {3, 8, 64}};

int64_t count(const Layout& l) { return int64_t(l.outer) * l.axis * l.inner; }

TEST(Softmax, ForwardMatchesReference) {
  Rng rng(21);
  for (const Layout& l : kLayouts)
    for (float scale : {1.f, 30.f}) {
      const auto x = randomVector(count(l), rng, scale);
      std::vector<float> got(x.size()), want(x.size());
      kernels::softmax(x.data(), got.data(), l.outer, l.axis, l.inner);
      reference::softmax(x.data(), want.data(), l.outer, l.axis, l.inner);
      // x - max rounds in float, moving exp(x - max) by |x - max| * 6e-8 relative: below 1e-12
      // (|x - max| > 27) that exceeds 2e-6, and an absolute bound takes over.
      ASSERT_TRUE(allClose(got, want, 2e-6, 1e-12)) << l.outer << "," << l.axis << "," << l.inner << " s=" << scale;
    }
}

// Huge logits (far past exp's overflow) and -inf at masked positions: the max shift keeps every
// exponent <= 0, and -inf entries give exactly 0 while the row still sums to 1.
TEST(Softmax, ExtremeLogitsAndMaskedEntries) {
  Rng rng(22);
  const float inf = std::numeric_limits<float>::infinity();
  for (const Layout& l : kLayouts) {
    auto x = randomVector(count(l), rng, 1.f);
    for (int64_t i = 0; i < count(l); ++i) {
      if (i % 3 == 1) x[i] += 1e4f;
      if (i % 5 == 2) x[i] = -1e30f;
    }
    // Mask every other position along the axis, but never the first, so no slice is all -inf.
    for (int o = 0; o < l.outer; ++o)
      for (int k = 1; k < l.axis; k += 2)
        for (int j = 0; j < l.inner; ++j) x[(int64_t(o) * l.axis + k) * l.inner + j] = -inf;
    std::vector<float> got(x.size()), want(x.size());
    kernels::softmax(x.data(), got.data(), l.outer, l.axis, l.inner);
    reference::softmax(x.data(), want.data(), l.outer, l.axis, l.inner);
    ASSERT_TRUE(allClose(got, want, 2e-6, 1e-12)) << l.outer << "," << l.axis << "," << l.inner;
    for (int64_t i = 0; i < count(l); ++i) {
      ASSERT_TRUE(std::isfinite(got[i])) << i;
      if (x[i] == -inf) {
        ASSERT_EQ(got[i], 0.f) << i;
      }
    }
  }
}

TEST(Softmax, ForwardInPlace) {
  Rng rng(23);
  for (const Layout& l : kLayouts) {
    const auto x = randomVector(count(l), rng, 5.f);
    std::vector<float> got = x, want(x.size());
    kernels::softmax(got.data(), got.data(), l.outer, l.axis, l.inner);
    reference::softmax(x.data(), want.data(), l.outer, l.axis, l.inner);
    ASSERT_TRUE(allClose(got, want, 2e-6, 1e-12)) << l.outer << "," << l.axis << "," << l.inner;
  }
}

TEST(Softmax, BackwardMatchesReferenceAndAllowsAliasing) {
  Rng rng(24);
  for (const Layout& l : kLayouts) {
    const auto x = randomVector(count(l), rng, 3.f), dy = randomVector(count(l), rng);
    std::vector<float> y(x.size());
    reference::softmax(x.data(), y.data(), l.outer, l.axis, l.inner);
    std::vector<float> got(x.size()), want(x.size());
    kernels::softmaxBackward(y.data(), dy.data(), got.data(), l.outer, l.axis, l.inner);
    reference::softmaxBackward(y.data(), dy.data(), want.data(), l.outer, l.axis, l.inner);
    // dx = y (dy - <dy, y>) cancels where dy is close to <dy, y>, leaving float rounding of the
    // O(1) terms: the bound is absolute too.
    ASSERT_TRUE(allClose(got, want, 1e-5, 1e-6)) << l.outer << "," << l.axis << "," << l.inner;
    std::vector<float> inPlace = dy;
    kernels::softmaxBackward(y.data(), inPlace.data(), inPlace.data(), l.outer, l.axis, l.inner);
    ASSERT_TRUE(allClose(inPlace, want, 1e-5, 1e-6)) << "aliased " << l.outer << "," << l.axis << "," << l.inner;
  }
}

TEST(Reductions, SumAndMeanMatchReference) {
  Rng rng(25);
  for (const Layout& l : kLayouts) {
    const auto x = randomVector(count(l), rng);
    const int64_t outCount = int64_t(l.outer) * l.inner;
    std::vector<float> got(outCount, std::nanf("")), want(outCount);
    kernels::reduceSum(x.data(), got.data(), l.outer, l.axis, l.inner);
    reference::reduceSum(x.data(), want.data(), l.outer, l.axis, l.inner);
    ASSERT_TRUE(allClose(got, want, 1e-6, 1e-6 * l.axis)) << l.outer << "," << l.axis << "," << l.inner;
    std::fill(got.begin(), got.end(), std::nanf(""));
    kernels::reduceMean(x.data(), got.data(), l.outer, l.axis, l.inner);
    reference::reduceMean(x.data(), want.data(), l.outer, l.axis, l.inner);
    ASSERT_TRUE(allClose(got, want, 1e-6, 1e-6)) << l.outer << "," << l.axis << "," << l.inner;
  }
}

TEST(Architecture, NamesTheInstructionSet) {
  const std::string name = kernels::simdArchitecture();
#if defined(__AVX512BW__)
  EXPECT_EQ(name, "avx512bw");
#elif defined(__AVX2__) && defined(__FMA__)
  EXPECT_EQ(name, "fma3+avx2");
#elif defined(__SSE4_2__)
  EXPECT_EQ(name, "sse4.2");
#elif defined(__SSE4_1__)
  EXPECT_EQ(name, "sse4.1");
#else
  EXPECT_FALSE(name.empty());
#endif
}

// Whether the multiply-adds round once. The wasm test binaries run as the SIMD128 and as the
// relaxed-SIMD module, and ctest says which through ATTN_EXPECT_FUSED (relaxed madd fuses on this
// project's x86 machines, which all have FMA3). Natively it depends on the compiler too (xsimd
// 8.1 has no AVX-512 fma of its own: GCC contracts its a * b + c, clang does not), so there the
// probe is only checked against the kernels. A GEMM through the packed micro-kernel must agree.
TEST(Architecture, MultiplyAddsAreFusedExactlyWhereExpected) {
  const bool fused = kernels::fusedMultiplyAdd();
#if defined(__EMSCRIPTEN__)
  const char* expected = std::getenv("ATTN_EXPECT_FUSED");
  ASSERT_NE(expected, nullptr) << "ctest sets ATTN_EXPECT_FUSED for the wasm binaries";
  EXPECT_EQ(fused, std::string(expected) == "1");
#endif
  const bool expectFused = fused;
  // C[0][0] = 1 * -(1 + 2^-11) + x * x with x = 1 + 2^-12, x^2 = 1 + 2^-11 + 2^-24 (25 bits):
  // fused, the second step keeps 2^-24; unfused, it rounds the product first and gives 0.
  const int n = 64;
  const float x = 1.f + 0x1p-12f;
  std::vector<float> a(n * n, 0.f), b(n * n, 0.f), c(n * n, 1.f);
  a[0] = 1.f;
  a[1] = x;
  b[0] = -(1.f + 0x1p-11f);
  b[n] = x;
  kernels::gemm(kernels::Trans::No, kernels::Trans::No, n, n, n, 1.f, a.data(), n, b.data(), n, 0.f, c.data(), n);
  EXPECT_EQ(c[0] != 0.f, expectFused) << "C[0][0] = " << c[0];
}

}  // namespace
}  // namespace attn::softmax_test
