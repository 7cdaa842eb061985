// Elementwise vector ops, dot/sum and the row/column helpers: each written once as a generic
// body over xsimd batches and, for the ragged tail, plain floats.
#include <algorithm>
#include <cmath>

#include "kernels/kernels.h"
#include "kernels/simd.h"

namespace attn::kernels {
namespace {

using simd::Batch;
using simd::kWidth;
using simd::load;
using simd::store;

// Each op is one generic body over V = Batch (whole batches, unrolled 4x) or float (the tail).
template <class Body>
ATTN_INLINE void forEach(int64_t n, Body&& body) {
  simd::forEachLane<4>(n, body);
}

}  // namespace

void fill(float* y, float value, int64_t n) {
  forEach(n, [&]<class V>(int64_t i) { store(y + i, V(value)); });
}

void copy(const float* x, float* y, int64_t n) {
  forEach(n, [&]<class V>(int64_t i) { store(y + i, load<V>(x + i)); });
}

void add(const float* a, const float* b, float* y, int64_t n) {
  forEach(n, [&]<class V>(int64_t i) { store(y + i, load<V>(a + i) + load<V>(b + i)); });
}

void addInPlace(const float* x, float* y, int64_t n) {
  forEach(n, [&]<class V>(int64_t i) { store(y + i, load<V>(y + i) + load<V>(x + i)); });
}

void axpy(float alpha, const float* x, float* y, int64_t n) {
  forEach(n, [&]<class V>(int64_t i) { store(y + i, simd::mulAdd(V(alpha), load<V>(x + i), load<V>(y + i))); });
}

void mul(const float* a, const float* b, float* y, int64_t n) {
  forEach(n, [&]<class V>(int64_t i) { store(y + i, load<V>(a + i) * load<V>(b + i)); });
}

void mulAdd(const float* a, const float* b, float* y, int64_t n) {
  forEach(n, [&]<class V>(int64_t i) { store(y + i, simd::mulAdd(load<V>(a + i), load<V>(b + i), load<V>(y + i))); });
}

void scale(float alpha, float* y, int64_t n) {
  forEach(n, [&]<class V>(int64_t i) { store(y + i, load<V>(y + i) * V(alpha)); });
}

namespace {

// Sum and dot accumulate in float batches over blocks of kBlock elements (four independent
// accumulators hide the add latency), then add the block totals in double: the rounding error
// stays that of a short float sum however long the vector.
constexpr int64_t kBlock = 1024;

// term.template operator()<V>(i, acc) adds element(s) i to the accumulator acc.
template <class Term>
ATTN_INLINE float blockedSum(int64_t n, Term&& term) {
  double total = 0;
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t end = std::min(n, start + kBlock);
    Batch acc[4] = {Batch(0.f), Batch(0.f), Batch(0.f), Batch(0.f)};
    int64_t i = start;
    for (; i + 4 * kWidth <= end; i += 4 * kWidth)
      for (int u = 0; u < 4; ++u) acc[u] = term.template operator()<Batch>(i + u * kWidth, acc[u]);
    for (; i + kWidth <= end; i += kWidth) acc[0] = term.template operator()<Batch>(i, acc[0]);
    float block = xsimd::hadd((acc[0] + acc[1]) + (acc[2] + acc[3]));
    for (; i < end; ++i) block = term.template operator()<float>(i, block);
    total += block;
  }
  return static_cast<float>(total);
}

}  // namespace

float sum(const float* x, int64_t n) {
  return blockedSum(n, [&]<class V>(int64_t i, V acc) { return acc + load<V>(x + i); });
}

bool allFinite(const float* x, int64_t n) {
  // x * 0 is 0 for a finite x and NaN for NaN or +-Infinity, and a sum with one NaN in it is NaN.
  return !std::isnan(blockedSum(n, [&]<class V>(int64_t i, V acc) { return acc + load<V>(x + i) * V(0.f); }));
}

float dot(const float* a, const float* b, int64_t n) {
  return blockedSum(n, [&]<class V>(int64_t i, V acc) { return simd::mulAdd(load<V>(a + i), load<V>(b + i), acc); });
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
      for (int u = 0; u < 4; ++u) acc[u] += load<Batch>(row + u * kWidth);
    }
    for (int u = 0; u < 4; ++u) store(out + c + u * kWidth, load<Batch>(out + c + u * kWidth) + acc[u]);
  }
  for (; c + kWidth <= cols; c += kWidth) {
    Batch acc(0.f);
    for (int r = 0; r < rows; ++r) acc += load<Batch>(x + static_cast<int64_t>(r) * cols + c);
    store(out + c, load<Batch>(out + c) + acc);
  }
  for (; c < cols; ++c) {
    float acc = 0.f;
    for (int r = 0; r < rows; ++r) acc += x[static_cast<int64_t>(r) * cols + c];
    out[c] += acc;
  }
}

}  // namespace attn::kernels
