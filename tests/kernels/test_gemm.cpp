#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/random.h"
#include "kernels/kernels.h"
#include "kernels/reference.h"

namespace attn {
namespace {

using kernels::Trans;

// Every transpose combination over awkward sizes, with leading dimensions wider than the
// matrices, alpha/beta not 1/0, and C pre-filled so beta is exercised.
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

}  // namespace
}  // namespace attn
