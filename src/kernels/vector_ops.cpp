// Elementwise vector ops, dot/sum and the row/column helpers: full batches through xsimd, the
// ragged tail in scalar code.
#include <algorithm>

#include "kernels/kernels.h"
#include "kernels/simd.h"

namespace attn::kernels {
namespace {

using simd::Batch;
using simd::kWidth;

// Runs `vector(offset)` for every whole batch of n elements (4x unrolled) and its scalar twin
// `tail(offset)` for each element of the ragged end.
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

namespace {

// Sum and dot accumulate in float batches over blocks of kBlock elements (four independent
// accumulators hide the add latency), then add the block totals in double: the rounding error
// stays that of a short float sum however long the vector.
constexpr int64_t kBlock = 1024;

template <class Term, class ScalarTerm>
ATTN_INLINE float blockedSum(int64_t n, Term term, ScalarTerm scalarTerm) {
  double total = 0;
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t end = std::min(n, start + kBlock);
    Batch acc[4] = {Batch(0.f), Batch(0.f), Batch(0.f), Batch(0.f)};
    int64_t i = start;
    for (; i + 4 * kWidth <= end; i += 4 * kWidth)
      for (int u = 0; u < 4; ++u) acc[u] = term(i + u * kWidth, acc[u]);
    for (; i + kWidth <= end; i += kWidth) acc[0] = term(i, acc[0]);
    float block = xsimd::hadd((acc[0] + acc[1]) + (acc[2] + acc[3]));
    for (; i < end; ++i) block += scalarTerm(i);
    total += block;
  }
  return static_cast<float>(total);
}

}  // namespace

float sum(const float* x, int64_t n) {
  return blockedSum(
      n, [&](int64_t i, Batch acc) { return acc + load(x + i); }, [&](int64_t i) { return x[i]; });
}

float dot(const float* a, const float* b, int64_t n) {
  return blockedSum(
      n, [&](int64_t i, Batch acc) { return xsimd::fma(load(a + i), load(b + i), acc); },
      [&](int64_t i) { return a[i] * b[i]; });
}

void addRowVector(const float* bias, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) addInPlace(bias, y + static_cast<int64_t>(r) * cols, cols);
}

// out[c] += sum_r x[r, c]: a few columns' worth of batches accumulate in registers down all the
// rows, so out is read and written once however many rows there are (bias gradients sum over
// batch * time rows of often narrow width).
void sumRows(const float* x, float* out, int rows, int cols) {
  int c = 0;
  for (; c + 4 * kWidth <= cols; c += 4 * kWidth) {
    Batch acc[4] = {Batch(0.f), Batch(0.f), Batch(0.f), Batch(0.f)};
    for (int r = 0; r < rows; ++r) {
      const float* row = x + static_cast<int64_t>(r) * cols + c;
      for (int u = 0; u < 4; ++u) acc[u] += load(row + u * kWidth);
    }
    for (int u = 0; u < 4; ++u) (load(out + c + u * kWidth) + acc[u]).store_unaligned(out + c + u * kWidth);
  }
  for (; c + kWidth <= cols; c += kWidth) {
    Batch acc(0.f);
    for (int r = 0; r < rows; ++r) acc += load(x + static_cast<int64_t>(r) * cols + c);
    (load(out + c) + acc).store_unaligned(out + c);
  }
  for (; c < cols; ++c) {
    float acc = 0.f;
    for (int r = 0; r < rows; ++r) acc += x[static_cast<int64_t>(r) * cols + c];
    out[c] += acc;
  }
}

}  // namespace attn::kernels
