// The numeric kernels: the only code that does arithmetic over whole buffers. Row-major
// float32 throughout; every matrix argument has a leading dimension (elements between rows)
// that may exceed its width. The SIMD implementations (xsimd) live in src/kernels/*.cpp and are
// the only files that include xsimd; each has a naive scalar twin in reference.h for tests.
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/activation.h"

namespace attn::kernels {

enum class Trans { No, Yes };

// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C.
// op(A) is A (M x K, lda >= K) or A^T (A stored K x M, lda >= M); likewise op(B).
// beta == 0 overwrites C without reading it (C may hold garbage or NaN). A bias (N floats) is
// then added to every row of C: addRowVector's numbers, without another pass over C.
void gemm(Trans transA, Trans transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc, const float* bias = nullptr);

// op(B) packed once for many products with it: a recurrent layer multiplies its recurrent
// kernel at every step, and packing it per step costs as much as a small product. packB lays out
// op(B) [K, N] in the micro-kernel's slivers (grow-only storage: repacking the same shape does not
// allocate); gemmPackedB then computes C[M,N] = alpha * op(A)[M,K] * op(B) + beta * C (+ bias),
// the same numbers as gemm. B itself must not change or move between the two (small products read it).
struct PackedB {
  Trans trans = Trans::No;
  int K = 0, N = 0, ldb = 0;
  const float* source = nullptr;
  std::vector<float> storage;  // the slivers start at its first 64-byte boundary (aligned loads)
};
void packB(Trans transB, int K, int N, const float* B, int ldb, PackedB& out);
void gemmPackedB(Trans transA, int M, float alpha, const float* A, int lda, const PackedB& B, float beta, float* C,
                 int ldc, const float* bias = nullptr);
// Whether gemm (and gemmPackedB) run a product of this shape on packed slivers. When they do not
// (a vector, a tiny product, one row of C: an LSTM step at batch 1), gemmPackedB reads B in place,
// and packing it first is work for nothing.
bool gemmPacks(Trans transA, Trans transB, int M, int N, int K);

// The register tile (rows x cols of C per micro-kernel call) and cache blocks (depth of K,
// rows of A, cols of B) the compiled architecture uses: tests sweep shapes around them.
struct GemmTiling {
  int rows, cols, depth, blockRows, blockCols;
};
GemmTiling gemmTiling();

// ---- vector ops over n contiguous floats ----
void fill(float* y, float value, int64_t n);
void copy(const float* x, float* y, int64_t n);
void add(const float* a, const float* b, float* y, int64_t n);        // y = a + b
void addInPlace(const float* x, float* y, int64_t n);                  // y += x
void axpy(float alpha, const float* x, float* y, int64_t n);           // y += alpha * x
void mul(const float* a, const float* b, float* y, int64_t n);        // y = a * b
void mulAdd(const float* a, const float* b, float* y, int64_t n);     // y += a * b
void scale(float alpha, float* y, int64_t n);                          // y *= alpha
float sum(const float* x, int64_t n);
float dot(const float* a, const float* b, int64_t n);
bool allFinite(const float* x, int64_t n);                             // no NaN, no +-Infinity

// ---- row/column helpers for (rows x cols) matrices, contiguous ----
void addRowVector(const float* bias, float* y, int rows, int cols);    // y[r,:] += bias
void sumRows(const float* x, float* out, int rows, int cols);          // out[:] += sum_r x[r,:]

// ---- activations, elementwise over n floats (Softmax: over the last axis of width `cols`) ----
// y = f(x); x and y may alias.
void activationForward(Activation a, const float* x, float* y, int64_t n, int cols);
// dx = dy * f'(x), written (not accumulated). Needs x (pre-activation) and y (output); dx may
// alias dy.
void activationBackward(Activation a, const float* x, const float* y, const float* dy, float* dx, int64_t n,
                        int cols);

// ---- softmax over one axis of a tensor viewed as (outer, axis, inner) ----
// y = exp(x - max) / sum exp(x - max) along the axis; x and y may alias.
void softmax(const float* x, float* y, int outer, int axis, int inner);
// dx = y * (dy - sum_axis(dy * y)), written (not accumulated); dx may alias dy.
void softmaxBackward(const float* y, const float* dy, float* dx, int outer, int axis, int inner);

// ---- reductions over one axis of a tensor viewed as (outer, axis, inner) ----
void reduceSum(const float* x, float* out, int outer, int axis, int inner);    // out (outer, inner), written
void reduceMean(const float* x, float* out, int outer, int axis, int inner);
// ---- 1-D windows over time (convolution and pooling as dense work) ----
// Window t of a (steps, channels) sequence covers steps t*stride - padLeft + j*dilation for
// j < taps; steps outside [0, steps) are padding.
struct Windows1D {
  int steps, channels, taps, stride, dilation, padLeft, outSteps;
};
// cols (batch*outSteps, taps*channels), written: row (b, t) holds the taps of window t of
// sequence b side by side, zeros for padding (im2col).
void gatherWindows(const Windows1D& w, const float* x, float* cols, int batch);
// dx (batch, steps, channels) += the sum over windows of dcols (col2im: gatherWindows' transpose).
void scatterWindows(const Windows1D& w, const float* dcols, float* dx, int batch);

// Which instruction set the kernels were compiled for ("avx512bw", "fma3+avx2", "sse4.1", ...).
const char* simdArchitecture();
// Whether the kernels' multiply-adds round once (fused), measured on this machine: wasm's relaxed
// madd is fused or not as the CPU has FMA, so the build alone cannot say.
bool fusedMultiplyAdd();

}  // namespace attn::kernels
