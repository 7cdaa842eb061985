// GEMM: C = alpha * op(A) * op(B) + beta * C, the Goto/BLIS way. Panels of op(A) and op(B) are
// packed into contiguous, zero-padded slivers (packing absorbs the transposes and alpha), and a
// register-blocked micro-kernel (tile shape in simd.h) runs over them with K blocked for L1.
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/simd.h"

namespace attn::kernels {
namespace {

using simd::Batch;
using simd::kWidth;
constexpr int MR = simd::kGemmRows;
constexpr int NV = simd::kGemmVectors;
constexpr int NR = simd::kGemmCols;
constexpr int KC = simd::kGemmDepth;
constexpr int MC = simd::kGemmBlockRows;
constexpr int NC = simd::kGemmBlockCols;
static_assert(MC % MR == 0 && NC % NR == 0);

// Grow-only packing buffers: one allocation per thread for the life of the program.
struct PackBuffers {
  std::vector<float, xsimd::aligned_allocator<float, 64>> a, b;
};
PackBuffers& packBuffers() {
  thread_local PackBuffers buffers;
  return buffers;
}

// The micro-kernel: an R x (V * kWidth) tile of C from kc steps over the first R rows of a packed
// MR-row sliver of A (a[k*MR + r]) and the first V vectors of a packed NR-column sliver of B
// (b[k*NR + c]); R < MR and V < NV serve C's last row and column slivers without multiplying
// padding (a batch of 64 cut into shards of 32 rows ends each shard's products on a 2-row tile
// of a 5-row kernel: 7 full tiles for 32 rows, 6 and a 2-row one with this).
// beta == 0 writes C without reading it; beta == 1 accumulates; then a bias (the tile's columns
// of it, or null) is added. Kept out of line so V8 tiers it up to optimized code after its first
// few calls even inside one long gemm call.
template <int R, int V>
ATTN_NOINLINE void microKernel(int kc, const float* __restrict a, const float* __restrict b, float* c, int ldc,
                               float beta, const float* bias) {
  Batch acc[R][V];
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[r][v] = Batch(0.f);

  // Unrolled natively (fewer loop instructions per tile step); not under wasm (simd.h).
ATTN_UNROLL(ATTN_GEMM_DEPTH_UNROLL)
  for (int k = 0; k < kc; ++k) {
    Batch bv[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) bv[v] = Batch::load_aligned(b + v * kWidth);
#pragma GCC unroll 32
    for (int r = 0; r < R; ++r) {
      const Batch ar(a[r]);
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[r][v] = simd::mulAdd(ar, bv[v], acc[r][v]);
    }
    a += MR;
    b += NR;
  }

  // C's tile as beta says (beta == 0: the product alone), then the bias: the numbers of
  // addRowVector after the product.
  if (beta == 1.f) {
#pragma GCC unroll 32
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[r][v] = acc[r][v] + Batch::load_unaligned(c + r * ldc + v * kWidth);
  } else if (beta != 0.f) {
    const Batch betaV(beta);
#pragma GCC unroll 32
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[r][v] = simd::mulAdd(betaV, Batch::load_unaligned(c + r * ldc + v * kWidth), acc[r][v]);
  }
  if (bias) {
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      const Batch biasV = Batch::load_unaligned(bias + v * kWidth);
#pragma GCC unroll 32
      for (int r = 0; r < R; ++r) acc[r][v] = acc[r][v] + biasV;
    }
  }
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[r][v].store_unaligned(c + r * ldc + v * kWidth);
}

// The kernel of exactly `rows` rows (<= MR) and the fewest vectors covering the columns
// (vectors = ceil(cols / kWidth) <= NV).
template <int R = MR, int V = NV>
void dispatchKernel(int rows, int vectors, int kc, const float* a, const float* b, float* c, int ldc, float beta,
                    const float* bias) {
  if constexpr (R > 1) {
    if (rows < R) return dispatchKernel<R - 1, V>(rows, vectors, kc, a, b, c, ldc, beta, bias);
  }
  if constexpr (V > 1) {
    if (vectors < V) return dispatchKernel<R, V - 1>(rows, vectors, kc, a, b, c, ldc, beta, bias);
  }
  microKernel<R, V>(kc, a, b, c, ldc, beta, bias);
}

// A tile of rows <= MR by cols <= NR. Whole vectors of columns go straight to C; a ragged column
// edge runs into a scratch tile that is then merged.
void tileKernel(int kc, const float* a, const float* b, float* c, int ldc, float beta, const float* bias, int rows,
                int cols) {
  const int vectors = (cols + kWidth - 1) / kWidth;
  if (cols == vectors * kWidth) {
    dispatchKernel(rows, vectors, kc, a, b, c, ldc, beta, bias);
    return;
  }
  alignas(64) float tile[MR * NR];
  dispatchKernel(rows, vectors, kc, a, b, tile, NR, 0.f, nullptr);
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < cols; ++j) {
      float& out = c[r * ldc + j];
      out = beta == 0.f ? tile[r * NR + j] : tile[r * NR + j] + beta * out;
      if (bias) out += bias[j];
    }
}

// Rows of a row-major source become columns of a k-major sliver: dst[k*stride + r] = scale *
// src[r*ld + k] for r < rows, k < kc. This is the transposing half of packing (A untransposed,
// B transposed). 4x4 blocks go through registers; the ragged rest is scalar.
void packTransposing(const float* src, int ld, int rows, int kc, float scale, float* dst, int stride) {
  using simd::Quad;
  int r = 0;
  const Quad s(scale);
  for (; r + 4 <= rows; r += 4) {
    const float* s0 = src + static_cast<int64_t>(r) * ld;
    const float* s1 = s0 + ld;
    const float* s2 = s1 + ld;
    const float* s3 = s2 + ld;
    int k = 0;
    for (; k + 4 <= kc; k += 4) {
      const Quad q0 = Quad::load_unaligned(s0 + k) * s, q1 = Quad::load_unaligned(s1 + k) * s;
      const Quad q2 = Quad::load_unaligned(s2 + k) * s, q3 = Quad::load_unaligned(s3 + k) * s;
      const Quad t0 = xsimd::zip_lo(q0, q2), t1 = xsimd::zip_hi(q0, q2);
      const Quad t2 = xsimd::zip_lo(q1, q3), t3 = xsimd::zip_hi(q1, q3);
      float* d = dst + k * stride + r;
      xsimd::zip_lo(t0, t2).store_unaligned(d);
      xsimd::zip_hi(t0, t2).store_unaligned(d + stride);
      xsimd::zip_lo(t1, t3).store_unaligned(d + 2 * stride);
      xsimd::zip_hi(t1, t3).store_unaligned(d + 3 * stride);
    }
    for (; k < kc; ++k) {
      float* d = dst + k * stride + r;
      d[0] = scale * s0[k];
      d[1] = scale * s1[k];
      d[2] = scale * s2[k];
      d[3] = scale * s3[k];
    }
  }
  for (; r < rows; ++r)
    for (int k = 0; k < kc; ++k) dst[k * stride + r] = scale * src[r * ld + k];
}

// Rows of the source are already k-major: dst[k*stride + c] = scale * src[k*ld + c], c < cols.
void packStraight(const float* src, int ld, int cols, int kc, float scale, float* dst, int stride) {
  const Batch s(scale);
  for (int k = 0; k < kc; ++k) {
    const float* from = src + static_cast<int64_t>(k) * ld;
    float* to = dst + k * stride;
    int c = 0;
    for (; c + kWidth <= cols; c += kWidth) (Batch::load_unaligned(from + c) * s).store_unaligned(to + c);
    for (; c < cols; ++c) to[c] = scale * from[c];
  }
}

// Zero the padding columns [used, width) of a k-major sliver so edge tiles add nothing.
void zeroPadding(float* dst, int kc, int used, int width) {
  if (used == width) return;
  for (int k = 0; k < kc; ++k) std::memset(dst + k * width + used, 0, sizeof(float) * (width - used));
}

// op(A)[row0 : row0+mc, col0 : col0+kc] * alpha -> MR-row slivers.
void packA(Trans t, const float* A, int lda, int row0, int col0, int mc, int kc, float alpha, float* out) {
  for (int s = 0; s < mc; s += MR) {
    const int rows = std::min(MR, mc - s);
    float* dst = out + s * kc;
    if (t == Trans::No)
      packTransposing(A + static_cast<int64_t>(row0 + s) * lda + col0, lda, rows, kc, alpha, dst, MR);
    else
      packStraight(A + static_cast<int64_t>(col0) * lda + row0 + s, lda, rows, kc, alpha, dst, MR);
    zeroPadding(dst, kc, rows, MR);
  }
}

// op(B)[row0 : row0+kc, col0 : col0+nc] -> NR-column slivers.
void packBlockOfB(Trans t, const float* B, int ldb, int row0, int col0, int kc, int nc, float* out) {
  for (int s = 0; s < nc; s += NR) {
    const int cols = std::min(NR, nc - s);
    float* dst = out + s * kc;
    if (t == Trans::No)
      packStraight(B + static_cast<int64_t>(row0) * ldb + col0 + s, ldb, cols, kc, 1.f, dst, NR);
    else
      packTransposing(B + static_cast<int64_t>(col0 + s) * ldb + row0, ldb, cols, kc, 1.f, dst, NR);
    zeroPadding(dst, kc, cols, NR);
  }
}

void macroKernel(int mc, int nc, int kc, const float* a, const float* b, float* c, int ldc, float beta,
                 const float* bias) {
  for (int j = 0; j < nc; j += NR) {
    const int cols = std::min(NR, nc - j);
    const float* bSliver = b + j * kc;
    const float* tileBias = bias ? bias + j : nullptr;
    for (int i = 0; i < mc; i += MR) {
      const int rows = std::min(MR, mc - i);
      float* tile = c + static_cast<int64_t>(i) * ldc + j;
      if (rows == MR && cols == NR)
        microKernel<MR, NV>(kc, a + i * kc, bSliver, tile, ldc, beta, tileBias);
      else
        tileKernel(kc, a + i * kc, bSliver, tile, ldc, beta, tileBias, rows, cols);
    }
  }
}

// C = beta * C for the degenerate cases (K == 0 or alpha == 0), never reading C when beta == 0.
void scaleOnly(int M, int N, float beta, float* C, int ldc) {
  for (int i = 0; i < M; ++i) {
    float* row = C + static_cast<int64_t>(i) * ldc;
    if (beta == 0.f)
      fill(row, 0.f, N);
    else if (beta != 1.f)
      scale(beta, row, N);
  }
}

// c[0, kRowVectors * kWidth) += sum over k of coefficient(k) * B[k, same columns], the columns
// held in registers across k: the multiply-adds of axpys over the row, in the same order (so the
// same numbers), without loading and storing C at every k. A one-row product (an LSTM step at
// batch 1) ran its axpys at ~1.6 cycles per vector, C's traffic as large as B's.
constexpr int kRowVectors = 8;
template <class Coefficient>
void rowChunk(int K, Coefficient&& coefficient, const float* B, int ldb, float* c) {
  Batch acc[kRowVectors];
#pragma GCC unroll 8
  for (int v = 0; v < kRowVectors; ++v) acc[v] = Batch::load_unaligned(c + v * kWidth);
  for (int k = 0; k < K; ++k) {
    const Batch a(coefficient(k));
    const float* b = B + static_cast<int64_t>(k) * ldb;
#pragma GCC unroll 8
    for (int v = 0; v < kRowVectors; ++v) acc[v] = simd::mulAdd(a, Batch::load_unaligned(b + v * kWidth), acc[v]);
  }
#pragma GCC unroll 8
  for (int v = 0; v < kRowVectors; ++v) acc[v].store_unaligned(c + v * kWidth);
}

// Tiny products and one- or two-row C, where packing would cost more than it saves: each row of
// C is scaled by beta and then built from multiply-adds over rows of B or dots with rows of B.
void smallGemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
               int ldb, float beta, float* C, int ldc) {
  scaleOnly(M, N, beta, C, ldc);
  auto opA = [&](int i, int k) {
    return ta == Trans::No ? A[static_cast<int64_t>(i) * lda + k] : A[static_cast<int64_t>(k) * lda + i];
  };
  for (int i = 0; i < M; ++i) {
    float* row = C + static_cast<int64_t>(i) * ldc;
    if (tb == Trans::No) {
      // C[i,:] += (alpha * op(A)[i,k]) * B[k,:]
      auto coefficient = [&](int k) { return alpha * opA(i, k); };
      constexpr int chunk = kRowVectors * kWidth;
      int j = 0;
      for (; j + chunk <= N; j += chunk) rowChunk(K, coefficient, B + j, ldb, row + j);
      if (j < N)
        for (int k = 0; k < K; ++k) axpy(coefficient(k), B + static_cast<int64_t>(k) * ldb + j, row + j, N - j);
    } else if (ta == Trans::No) {
      // C[i,j] += alpha * <A[i,:], B[j,:]>
      for (int j = 0; j < N; ++j)
        row[j] += alpha * dot(A + static_cast<int64_t>(i) * lda, B + static_cast<int64_t>(j) * ldb, K);
    } else {
      for (int j = 0; j < N; ++j) {
        float acc = 0.f;
        for (int k = 0; k < K; ++k) acc += opA(i, k) * B[static_cast<int64_t>(j) * ldb + k];
        row[j] += alpha * acc;
      }
    }
  }
}

// C with one column (a matrix times a vector, e.g. a Dense layer with one unit): op(B)'s column
// is gathered once, then C = alpha * (rows of A . b) for A, or alpha * sum_k b[k] A[k,:] for
// A^T, both along contiguous memory; packing would spend a whole tile on one column.
void gemv(Trans ta, Trans tb, int M, int K, float alpha, const float* A, int lda, const float* B, int ldb,
          float beta, float* C, int ldc) {
  PackBuffers& buffers = packBuffers();
  if (buffers.a.size() < static_cast<size_t>(M)) buffers.a.resize(M);
  if (buffers.b.size() < static_cast<size_t>(K)) buffers.b.resize(K);
  float* x = buffers.b.data();
  float* y = buffers.a.data();
  for (int k = 0; k < K; ++k) x[k] = tb == Trans::No ? B[static_cast<int64_t>(k) * ldb] : B[k];
  if (ta == Trans::No) {
    for (int i = 0; i < M; ++i) y[i] = dot(A + static_cast<int64_t>(i) * lda, x, K);
  } else {
    fill(y, 0.f, M);
    for (int k = 0; k < K; ++k) axpy(x[k], A + static_cast<int64_t>(k) * lda, y, M);
  }
  for (int i = 0; i < M; ++i) {
    float& out = C[static_cast<int64_t>(i) * ldc];
    out = beta == 0.f ? alpha * y[i] : alpha * y[i] + beta * out;
  }
}

// Packing pays for itself from about 8x8x8 up (measured: a 16x16x8 A·Bᵀ runs 8x faster packed
// than as dots). Below that, and for a C of one or two rows (a vector times a matrix), rows of C
// built from axpys or dots are cheaper than a mostly empty tile. Narrow C (few columns) stays
// packed: the one-vector kernel still beats scalar code.
bool packsFor(Trans transA, Trans transB, int M, int N, int K) {
  const bool tiny = static_cast<int64_t>(M) * N * K <= 8 * 8 * 8 && transB == Trans::No;
  const bool fewRowsVectorised = M < std::max(2, MR / 4) && (transB == Trans::No || transA == Trans::No);
  return !tiny && !fewRowsVectorised;
}

constexpr int roundUp(int n, int to) { return (n + to - 1) / to * to; }

// A PackedB's slivers: its storage from the first 64-byte boundary on (the micro-kernel loads
// B aligned), 16 floats of slack allocated for it.
constexpr size_t kAlignFloats = 64 / sizeof(float);
const float* sliversOf(const PackedB& p) {
  const auto address = reinterpret_cast<uintptr_t>(p.storage.data());
  return p.storage.data() + (((64 - address % 64) % 64) / sizeof(float));
}
float* sliversOf(PackedB& p) { return const_cast<float*>(sliversOf(static_cast<const PackedB&>(p))); }

// The blocked product over packed slivers; blockOfB(jc, pc, kc, nc) gives op(B)'s block of
// columns [jc, jc+nc) and depth [pc, pc+kc), packed, in this loop's order.
template <class BlockOfB>
void blockedGemm(Trans transA, int M, int N, int K, float alpha, const float* A, int lda, float beta, float* C, int ldc,
                 const float* bias, BlockOfB&& blockOfB) {
  PackBuffers& buffers = packBuffers();
  const size_t aSize = static_cast<size_t>(std::min(M, MC) + MR) * std::min(K, KC);
  if (buffers.a.size() < aSize) buffers.a.resize(aSize);
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = std::min(KC, K - pc);
      // Only the first K block applies the caller's beta; later blocks accumulate onto it.
      const float blockBeta = pc == 0 ? beta : 1.f;
      // and only the last adds the bias, onto the finished sum.
      const float* blockBias = bias && pc + kc == K ? bias + jc : nullptr;
      const float* b = blockOfB(jc, pc, kc, nc);
      for (int ic = 0; ic < M; ic += MC) {
        const int mc = std::min(MC, M - ic);
        packA(transA, A, lda, ic, pc, mc, kc, alpha, buffers.a.data());
        macroKernel(mc, nc, kc, buffers.a.data(), b, C + static_cast<int64_t>(ic) * ldc + jc, ldc, blockBeta,
                    blockBias);
      }
    }
  }
}

}  // namespace

bool gemmPacks(Trans transA, Trans transB, int M, int N, int K) {
  return M > 0 && N > 1 && K > 0 && packsFor(transA, transB, M, N, K);
}

namespace {

// The products gemmPacks turns away (empty, a vector, or too small to pay for packing), and any
// with alpha == 0, run here, bias included, for gemm and gemmPackedB alike; returns false for the
// ones the packed kernel takes.
bool unpackedGemm(Trans transA, Trans transB, int M, int N, int K, float alpha, const float* A, int lda,
                  const float* B, int ldb, float beta, float* C, int ldc, const float* bias) {
  if (alpha != 0.f && gemmPacks(transA, transB, M, N, K)) return false;
  if (M <= 0 || N <= 0) return true;
  if (K <= 0 || alpha == 0.f)
    scaleOnly(M, N, beta, C, ldc);
  else if (N == 1)
    gemv(transA, transB, M, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else
    smallGemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  if (bias)
    for (int i = 0; i < M; ++i) addInPlace(bias, C + static_cast<int64_t>(i) * ldc, N);
  return true;
}

}  // namespace

void gemm(Trans transA, Trans transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc, const float* bias) {
  if (unpackedGemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias)) return;
  PackBuffers& buffers = packBuffers();
  const size_t bSize = static_cast<size_t>(std::min(N, NC) + NR) * std::min(K, KC);
  if (buffers.b.size() < bSize) buffers.b.resize(bSize);
  blockedGemm(transA, M, N, K, alpha, A, lda, beta, C, ldc, bias, [&](int jc, int pc, int kc, int nc) -> const float* {
    packBlockOfB(transB, B, ldb, pc, jc, kc, nc, buffers.b.data());
    return buffers.b.data();
  });
}

void packB(Trans transB, int K, int N, const float* B, int ldb, PackedB& out) {
  out.trans = transB;
  out.K = K;
  out.N = N;
  out.ldb = ldb;
  out.source = B;
  size_t total = 0;
  for (int jc = 0; jc < N; jc += NC)
    for (int pc = 0; pc < K; pc += KC) total += static_cast<size_t>(roundUp(std::min(NC, N - jc), NR)) * std::min(KC, K - pc);
  if (out.storage.size() < total + kAlignFloats) out.storage.resize(total + kAlignFloats);
  float* slivers = sliversOf(out);
  size_t at = 0;
  for (int jc = 0; jc < N; jc += NC)
    for (int pc = 0; pc < K; pc += KC) {
      const int nc = std::min(NC, N - jc), kc = std::min(KC, K - pc);
      packBlockOfB(transB, B, ldb, pc, jc, kc, nc, slivers + at);
      at += static_cast<size_t>(roundUp(nc, NR)) * kc;
    }
}

void gemmPackedB(Trans transA, int M, float alpha, const float* A, int lda, const PackedB& B, float beta, float* C,
                 int ldc, const float* bias) {
  const int N = B.N, K = B.K;
  // The shapes gemm would not pack go the same unpacked way, so both give the same numbers.
  if (unpackedGemm(transA, B.trans, M, N, K, alpha, A, lda, B.source, B.ldb, beta, C, ldc, bias)) return;
  const float* slivers = sliversOf(B);
  size_t at = 0;
  blockedGemm(transA, M, N, K, alpha, A, lda, beta, C, ldc, bias, [&](int /*jc*/, int /*pc*/, int kc, int nc) -> const float* {
    const float* block = slivers + at;
    at += static_cast<size_t>(roundUp(nc, NR)) * kc;
    return block;
  });
}

GemmTiling gemmTiling() { return {MR, NR, KC, MC, NC}; }

}  // namespace attn::kernels
