// Elementwise vector ops, dot/sum and the row/column helpers: full batches through xsimd, the
// ragged tail in scalar code.
#include "kernels/kernels.h"
#include "kernels/simd.h"

namespace attn::kernels {
namespace {

using simd::Batch;
using simd::kWidth;

// y[i] = f(i-th batch) over n elements; `f` gets a batch and the offset, and its scalar twin
// `tail` handles the remainder.
template <class Vector, class Scalar>
ATTN_INLINE void forEach(int64_t n, Vector vector, Scalar tail) {
  int64_t i = 0;
  for (; i + 4 * kWidth <= n; i += 4 * kWidth) {
    vector(i);
    vector(i + kWidth);
    vector(i + 2 * kWidth);
    vector(i + 3 * kWidth);
  }
  for (; i + kWidth <= n; i += kWidth) vector(i);
  for (; i < n; ++i) tail(i);
}

Batch load(const float* p) { return Batch::load_unaligned(p); }

}  // namespace

void fill(float* y, float value, int64_t n) {
  const Batch v(value);
  forEach(n, [&](int64_t i) { v.store_unaligned(y + i); }, [&](int64_t i) { y[i] = value; });
}

void copy(const float* x, float* y, int64_t n) {
  forEach(n, [&](int64_t i) { load(x + i).store_unaligned(y + i); }, [&](int64_t i) { y[i] = x[i]; });
}

void add(const float* a, const float* b, float* y, int64_t n) {
  forEach(n, [&](int64_t i) { (load(a + i) + load(b + i)).store_unaligned(y + i); },
          [&](int64_t i) { y[i] = a[i] + b[i]; });
}

void addInPlace(const float* x, float* y, int64_t n) {
  forEach(n, [&](int64_t i) { (load(y + i) + load(x + i)).store_unaligned(y + i); },
          [&](int64_t i) { y[i] += x[i]; });
}

void axpy(float alpha, const float* x, float* y, int64_t n) {
  const Batch a(alpha);
  forEach(n, [&](int64_t i) { xsimd::fma(a, load(x + i), load(y + i)).store_unaligned(y + i); },
          [&](int64_t i) { y[i] += alpha * x[i]; });
}

void mul(const float* a, const float* b, float* y, int64_t n) {
  forEach(n, [&](int64_t i) { (load(a + i) * load(b + i)).store_unaligned(y + i); },
          [&](int64_t i) { y[i] = a[i] * b[i]; });
}

void mulAdd(const float* a, const float* b, float* y, int64_t n) {
  forEach(n, [&](int64_t i) { xsimd::fma(load(a + i), load(b + i), load(y + i)).store_unaligned(y + i); },
          [&](int64_t i) { y[i] += a[i] * b[i]; });
}

void scale(float alpha, float* y, int64_t n) {
  const Batch a(alpha);
  forEach(n, [&](int64_t i) { (load(y + i) * a).store_unaligned(y + i); }, [&](int64_t i) { y[i] *= alpha; });
}

// Four independent accumulators: hides add latency and halves the rounding error's growth.
float sum(const float* x, int64_t n) {
  Batch acc[4] = {Batch(0.f), Batch(0.f), Batch(0.f), Batch(0.f)};
  int64_t i = 0;
  for (; i + 4 * kWidth <= n; i += 4 * kWidth)
    for (int u = 0; u < 4; ++u) acc[u] += load(x + i + u * kWidth);
  for (; i + kWidth <= n; i += kWidth) acc[0] += load(x + i);
  float total = xsimd::hadd((acc[0] + acc[1]) + (acc[2] + acc[3]));
  for (; i < n; ++i) total += x[i];
  return total;
}

float dot(const float* a, const float* b, int64_t n) {
  Batch acc[4] = {Batch(0.f), Batch(0.f), Batch(0.f), Batch(0.f)};
  int64_t i = 0;
  for (; i + 4 * kWidth <= n; i += 4 * kWidth)
    for (int u = 0; u < 4; ++u) acc[u] = xsimd::fma(load(a + i + u * kWidth), load(b + i + u * kWidth), acc[u]);
  for (; i + kWidth <= n; i += kWidth) acc[0] = xsimd::fma(load(a + i), load(b + i), acc[0]);
  float total = xsimd::hadd((acc[0] + acc[1]) + (acc[2] + acc[3]));
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}

void addRowVector(const float* bias, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) addInPlace(bias, y + static_cast<int64_t>(r) * cols, cols);
}

void sumRows(const float* x, float* out, int rows, int cols) {
  for (int r = 0; r < rows; ++r) addInPlace(x + static_cast<int64_t>(r) * cols, out, cols);
}

}  // namespace attn::kernels
