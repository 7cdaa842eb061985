#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/random.h"
#include "kernels/kernels.h"
#include "kernels/reference.h"

namespace attn::gemm_test {
namespace {

using kernels::Trans;

// Every transpose combination over awkward sizes, with leading dimensions wider than the
// matrices, alpha/beta not 1/0, and C pre-filled so beta is exercised.
// One case against the reference, C pre-filled (or NaN when beta == 0, which must not be read).
void checkGemm(Trans ta, Trans tb, int M, int N, int K, float alpha, float beta, int pad, Rng& rng) {
  const int aRows = ta == Trans::No ? M : K, aCols = ta == Trans::No ? K : M;
  const int bRows = tb == Trans::No ? K : N, bCols = tb == Trans::No ? N : K;
  const int lda = aCols + pad, ldb = bCols + pad, ldc = N + pad;
  std::vector<float> A(size_t(aRows) * lda), B(size_t(bRows) * ldb), C(size_t(M) * ldc);
  for (auto& v : A) v = rng.normal();
  for (auto& v : B) v = rng.normal();
  for (auto& v : C) v = beta == 0.f ? std::nanf("") : rng.normal();
  std::vector<float> got = C, want = C;
  kernels::gemm(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, got.data(), ldc);
  reference::gemm(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, want.data(), ldc);
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j)
      ASSERT_NEAR(got[size_t(i) * ldc + j], want[size_t(i) * ldc + j], 2e-5f * std::sqrt(float(K)) * 4 + 1e-6f)
          << "M=" << M << " N=" << N << " K=" << K << " ta=" << int(ta) << " tb=" << int(tb) << " alpha=" << alpha
          << " beta=" << beta << " at " << i << "," << j;
    for (int j = N; j < ldc; ++j)
      ASSERT_TRUE(std::isnan(C[size_t(i) * ldc + j]) ? std::isnan(got[size_t(i) * ldc + j])
                                                      : got[size_t(i) * ldc + j] == C[size_t(i) * ldc + j])
          << "padding written at " << i << "," << j;
  }
}

// Sizes past every cache block (K beyond one depth block, M beyond one row block, N beyond one
// column block) so the blocked loops, the per-block beta and the edge tiles all run.
TEST(Gemm, MatchesReferenceAcrossCacheBlocks) {
  Rng rng(5);
  struct Case {
    int M, N, K;
  };
  for (Case c : {Case{200, 150, 450}, Case{301, 67, 300}, Case{9, 4200, 20}, Case{150, 1100, 33}})
    for (Trans ta : {Trans::No, Trans::Yes})
      for (Trans tb : {Trans::No, Trans::Yes})
        for (float beta : {0.f, 1.f, -0.5f}) checkGemm(ta, tb, c.M, c.N, c.K, 1.25f, beta, 3, rng);
}

// Widths that are whole vectors but narrower than the register tile (4, 8, 16, 24, 32, 48, 80
// cover every vector width's narrow kernels), with row counts that are whole tiles and not.
TEST(Gemm, NarrowColumnSlivers) {
  Rng rng(8);
  for (int M : {12, 24, 37})
    for (int N : {4, 8, 16, 24, 32, 48, 80})
      for (int K : {5, 300})
        for (float beta : {0.f, 1.f, 0.25f}) {
          checkGemm(Trans::No, Trans::No, M, N, K, 0.5f, beta, 0, rng);
          checkGemm(Trans::Yes, Trans::Yes, M, N, K, -2.f, beta, 1, rng);
        }
}

// beta == 0 overwrites a C full of NaN; leading dimensions exactly equal to the widths.
TEST(Gemm, BetaZeroNeverReadsC) {
  Rng rng(6);
  for (Trans ta : {Trans::No, Trans::Yes})
    for (Trans tb : {Trans::No, Trans::Yes})
      for (int n : {1, 2, 5, 16, 33, 100}) checkGemm(ta, tb, n, n + 1, n + 2, 1.f, 0.f, 0, rng);
}

// K == 0 or alpha == 0: C = beta * C, and zeros (not NaN) when beta == 0.
TEST(Gemm, EmptyProductScalesC) {
  for (int K : {0, 4}) {
    for (float beta : {0.f, 1.f, 2.f}) {
      const int M = 3, N = 19, ldc = 21;
      std::vector<float> A(64, 1.f), B(64, 1.f), C(size_t(M) * ldc);
      for (size_t i = 0; i < C.size(); ++i) C[i] = beta == 0.f ? std::nanf("") : float(i);
      const float alpha = K == 0 ? 1.f : 0.f;
      kernels::gemm(Trans::No, Trans::No, M, N, K, alpha, A.data(), 4, B.data(), N, beta, C.data(), ldc);
      for (int i = 0; i < M; ++i)
        for (int j = 0; j < N; ++j)
          ASSERT_EQ(C[size_t(i) * ldc + j], beta == 0.f ? 0.f : beta * float(i * ldc + j)) << K << " " << beta;
    }
  }
  // M == 0 or N == 0 touch nothing.
  float sentinel = 42.f;
  kernels::gemm(Trans::No, Trans::No, 0, 5, 5, 1.f, nullptr, 5, nullptr, 5, 0.f, &sentinel, 5);
  kernels::gemm(Trans::No, Trans::No, 5, 0, 5, 1.f, nullptr, 5, nullptr, 5, 0.f, &sentinel, 5);
  EXPECT_EQ(sentinel, 42.f);
}

// The same call twice gives bitwise the same result (no state leaks between calls through the
// reused packing buffers), and a smaller call after a bigger one is unaffected by stale data.
TEST(Gemm, RepeatableAcrossCallsOfDifferentSizes) {
  Rng rng(7);
  const int n = 70;
  std::vector<float> A(n * n), B(n * n), first(n * n), second(n * n);
  for (auto& v : A) v = rng.normal();
  for (auto& v : B) v = rng.normal();
  kernels::gemm(Trans::No, Trans::Yes, n, n, n, 1.f, A.data(), n, B.data(), n, 0.f, first.data(), n);
  std::vector<float> bigA(300 * 300, 1.f), bigB(300 * 300, 1.f), bigC(300 * 300);
  kernels::gemm(Trans::No, Trans::No, 300, 300, 300, 1.f, bigA.data(), 300, bigB.data(), 300, 0.f, bigC.data(), 300);
  kernels::gemm(Trans::No, Trans::Yes, n, n, n, 1.f, A.data(), n, B.data(), n, 0.f, second.data(), n);
  EXPECT_EQ(first, second);
}

// Shapes one below, at and one above each boundary of the compiled architecture's tiling (the
// register tile, a vector, the cache blocks), as XNNPACK's GEMM tester sweeps around its tiles:
// edge tiles, partial vectors and block seams all run, whatever the target (SSE, AVX2, AVX-512,
// NEON, wasm SIMD128).
std::vector<int> around(std::initializer_list<int> edges) {
  std::vector<int> sizes;
  for (int e : edges)
    for (int d : {e - 1, e, e + 1})
      if (d >= 1 && std::find(sizes.begin(), sizes.end(), d) == sizes.end()) sizes.push_back(d);
  return sizes;
}

TEST(Gemm, SweepsAroundTheArchitecturesTiles) {
  const kernels::GemmTiling t = kernels::gemmTiling();
  const int width = t.cols / 2;  // two vectors per tile row on every target
  SCOPED_TRACE(::testing::Message() << kernels::simdArchitecture() << " tile " << t.rows << "x" << t.cols << " depth "
                                    << t.depth << " blocks " << t.blockRows << "x" << t.blockCols);
  Rng rng(21);
  for (Trans ta : {Trans::No, Trans::Yes})
    for (Trans tb : {Trans::No, Trans::Yes}) {
      // The register tile and its vectors, at a depth on each side of one K block.
      for (int M : around({1, t.rows, 2 * t.rows}))
        for (int N : around({1, width, t.cols, 2 * t.cols}))
          for (int K : around({1, t.depth})) checkGemm(ta, tb, M, N, K, 0.5f, K % 2 ? 1.f : 0.f, 2, rng);
      // The cache blocks: rows of A and columns of B on each side of one block.
      for (int M : around({t.blockRows})) checkGemm(ta, tb, M, t.cols + 1, 9, 1.f, 0.5f, 1, rng);
      for (int N : around({t.blockCols})) checkGemm(ta, tb, t.rows + 1, N, 9, 1.f, 0.5f, 1, rng);
    }
}

TEST(Gemm, MatchesReferenceOverAwkwardShapes) {
  const int sizes[] = {1, 3, 7, 8, 17, 64, 129};
  Rng rng(3);
  for (Trans ta : {Trans::No, Trans::Yes})
    for (Trans tb : {Trans::No, Trans::Yes})
      for (int M : sizes)
        for (int N : sizes)
          for (int K : {1, 3, 8, 17, 129}) {
            const int aRows = ta == Trans::No ? M : K, aCols = ta == Trans::No ? K : M;
            const int bRows = tb == Trans::No ? K : N, bCols = tb == Trans::No ? N : K;
            const int lda = aCols + 3, ldb = bCols + 5, ldc = N + 2;
            std::vector<float> A(aRows * lda), B(bRows * ldb), C(M * ldc), expected;
            for (auto& v : A) v = rng.normal();
            for (auto& v : B) v = rng.normal();
            for (auto& v : C) v = rng.normal();
            expected = C;
            for (float beta : {0.f, 1.f, 0.5f}) {
              std::vector<float> got = C;
              kernels::gemm(ta, tb, M, N, K, 0.75f, A.data(), lda, B.data(), ldb, beta, got.data(), ldc);
              std::vector<float> want = C;
              reference::gemm(ta, tb, M, N, K, 0.75f, A.data(), lda, B.data(), ldb, beta, want.data(), ldc);
              for (int i = 0; i < M; ++i)
                for (int j = 0; j < N; ++j)
                  ASSERT_NEAR(got[i * ldc + j], want[i * ldc + j], 1e-4f * std::sqrt(float(K)) * 4)
                      << "M=" << M << " N=" << N << " K=" << K << " ta=" << int(ta) << " tb=" << int(tb)
                      << " beta=" << beta << " at " << i << "," << j;
              // Padding between rows is never written.
              for (int i = 0; i < M; ++i)
                for (int j = N; j < ldc; ++j) ASSERT_EQ(got[i * ldc + j], C[i * ldc + j]);
            }
          }
}

// A one-row C (an LSTM step at batch 1) is built in register chunks of its columns, with the
// multiply-adds of axpys over B's rows in the same order: bitwise the axpys' numbers, for widths
// on each side of a chunk (8 vectors) and beta 0, 1 and neither.
TEST(Gemm, OneRowIsBitwiseItsAxpys) {
  Rng rng(41);
  const int chunk = 8 * kernels::gemmTiling().cols / 2;  // 8 vectors: the tile's rows are 2 vectors wide
  for (int N : {2, 5, chunk - 1, chunk, chunk + 3, 3 * chunk + 7})  // N = 1 is a gemv
    for (int K : {1, 2, 17, 64})
      for (float beta : {0.f, 1.f, 0.5f}) {
        const int ldb = N + 3;
        std::vector<float> a(K), B(size_t(K) * ldb), c(N);
        for (auto& v : a) v = rng.normal();
        for (auto& v : B) v = rng.normal();
        for (auto& v : c) v = rng.normal();
        std::vector<float> got = c, want = c;
        kernels::gemm(Trans::No, Trans::No, 1, N, K, 0.75f, a.data(), K, B.data(), ldb, beta, got.data(), N);
        if (beta == 0.f)
          kernels::fill(want.data(), 0.f, N);
        else if (beta != 1.f)
          kernels::scale(beta, want.data(), N);
        for (int k = 0; k < K; ++k) kernels::axpy(0.75f * a[k], B.data() + size_t(k) * ldb, want.data(), N);
        ASSERT_EQ(got, want) << "N=" << N << " K=" << K << " beta=" << beta;
      }
}

// gemmPackedB gives bitwise gemm's numbers for every shape (packed or not, across cache blocks and
// around the tiles), transpose, alpha and beta: a recurrent layer may use either. Packing a
// second B of the same shape reuses the storage, and the product follows the new B.
TEST(GemmPackedB, BitwiseEqualToGemm) {
  const kernels::GemmTiling t = kernels::gemmTiling();
  Rng rng(31);
  struct Case {
    int M, N, K;
  };
  std::vector<Case> cases = {{1, 1, 1},     {2, 3, 4},      {8, 8, 8},   {32, 256, 64}, {64, 128, 128},
                             {33, 200, 17}, {5, 4200, 20},  {301, 67, 300}, {1, 64, 64}, {16, 1, 16},
                             {t.rows + 1, t.blockCols + 1, t.depth + 1}};
  for (Case c : cases)
    for (Trans ta : {Trans::No, Trans::Yes})
      for (Trans tb : {Trans::No, Trans::Yes})
        for (float alpha : {1.f, -0.75f})
          for (float beta : {0.f, 1.f, 0.5f}) {
            const int aCols = ta == Trans::No ? c.K : c.M, aRows = ta == Trans::No ? c.M : c.K;
            const int bCols = tb == Trans::No ? c.N : c.K, bRows = tb == Trans::No ? c.K : c.N;
            const int lda = aCols + 1, ldb = bCols + 2, ldc = c.N + 3;
            std::vector<float> A(size_t(aRows) * lda), B(size_t(bRows) * ldb), C(size_t(c.M) * ldc);
            for (auto& v : A) v = rng.normal();
            for (auto& v : B) v = rng.normal();
            for (auto& v : C) v = rng.normal();
            std::vector<float> viaGemm = C, viaPacked = C;
            kernels::gemm(ta, tb, c.M, c.N, c.K, alpha, A.data(), lda, B.data(), ldb, beta, viaGemm.data(), ldc);
            kernels::PackedB packed;
            kernels::packB(tb, c.K, c.N, B.data(), ldb, packed);
            kernels::gemmPackedB(ta, c.M, alpha, A.data(), lda, packed, beta, viaPacked.data(), ldc);
            ASSERT_EQ(viaGemm, viaPacked) << "M=" << c.M << " N=" << c.N << " K=" << c.K << " ta=" << int(ta)
                                          << " tb=" << int(tb) << " alpha=" << alpha << " beta=" << beta;
          }
}

// A bias given to gemm / gemmPackedB gives bitwise the numbers of the product followed by
// addRowVector (Dense, Conv1D and the recurrent input projection rely on it): on packed, edge and
// unpacked shapes, across depth blocks (the bias lands once, on the finished sum), every
// transpose and beta; the padding between rows (ldc > N) stays untouched.
TEST(Gemm, BiasIsTheProductThenAddRowVector) {
  const kernels::GemmTiling t = kernels::gemmTiling();
  Rng rng(43);
  struct Case {
    int M, N, K;
  };
  const std::vector<Case> cases = {{1, 1, 3},  {1, 40, 9},  {2, 3, 4},      {7, 5, 1},     {64, 256, 1},
                                   {64, 256, 64}, {33, 200, 17}, {16, 1, 16}, {t.rows + 1, 2 * t.cols + 3, t.depth + 5},
                                   {2 * t.rows, t.cols, 2 * t.depth + 1}};
  for (Case c : cases)
    for (Trans ta : {Trans::No, Trans::Yes})
      for (Trans tb : {Trans::No, Trans::Yes})
        for (float beta : {0.f, 1.f, 0.5f}) {
          const int lda = (ta == Trans::No ? c.K : c.M) + 1, ldb = (tb == Trans::No ? c.N : c.K) + 2, ldc = c.N + 3;
          std::vector<float> A(size_t(ta == Trans::No ? c.M : c.K) * lda), B(size_t(tb == Trans::No ? c.K : c.N) * ldb);
          std::vector<float> C(size_t(c.M) * ldc), bias(c.N);
          for (auto& v : A) v = rng.normal();
          for (auto& v : B) v = rng.normal();
          for (auto& v : C) v = rng.normal();
          for (auto& v : bias) v = rng.normal();
          std::vector<float> want = C, viaGemm = C, viaPacked = C;
          kernels::gemm(ta, tb, c.M, c.N, c.K, 0.75f, A.data(), lda, B.data(), ldb, beta, want.data(), ldc);
          for (int i = 0; i < c.M; ++i) kernels::addRowVector(bias.data(), want.data() + size_t(i) * ldc, 1, c.N);
          kernels::gemm(ta, tb, c.M, c.N, c.K, 0.75f, A.data(), lda, B.data(), ldb, beta, viaGemm.data(), ldc,
                        bias.data());
          kernels::PackedB packed;
          kernels::packB(tb, c.K, c.N, B.data(), ldb, packed);
          kernels::gemmPackedB(ta, c.M, 0.75f, A.data(), lda, packed, beta, viaPacked.data(), ldc, bias.data());
          ASSERT_EQ(viaGemm, want) << "M=" << c.M << " N=" << c.N << " K=" << c.K << " ta=" << int(ta)
                                   << " tb=" << int(tb) << " beta=" << beta;
          ASSERT_EQ(viaPacked, want) << "packed: M=" << c.M << " N=" << c.N << " K=" << c.K << " ta=" << int(ta)
                                     << " tb=" << int(tb) << " beta=" << beta;
        }
}

TEST(GemmPackedB, RepackingTheSameShapeReusesStorageAndFollowsTheNewB) {
  Rng rng(32);
  const int M = 32, N = 256, K = 64;
  std::vector<float> A(size_t(M) * K), B1(size_t(K) * N), B2(size_t(K) * N), got(size_t(M) * N), want(got);
  for (auto& v : A) v = rng.normal();
  for (auto& v : B1) v = rng.normal();
  for (auto& v : B2) v = rng.normal();
  kernels::PackedB packed;
  kernels::packB(Trans::No, K, N, B1.data(), N, packed);
  const float* storage = packed.storage.data();
  const size_t capacity = packed.storage.capacity();
  kernels::packB(Trans::No, K, N, B2.data(), N, packed);
  EXPECT_EQ(packed.storage.data(), storage);
  EXPECT_EQ(packed.storage.capacity(), capacity);
  kernels::gemmPackedB(Trans::No, M, 1.f, A.data(), K, packed, 0.f, got.data(), N);
  kernels::gemm(Trans::No, Trans::No, M, N, K, 1.f, A.data(), K, B2.data(), N, 0.f, want.data(), N);
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace attn::gemm_test
