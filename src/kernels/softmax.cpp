// Softmax and its backward over one axis of a tensor viewed as (outer, axis, inner).
// inner == 1 (the last axis, by far the common case) vectorises along the contiguous row;
// otherwise the batches run across `inner`, every lane its own independent softmax.
#include <cmath>
#include <cstring>

#include "kernels/kernels.h"
#include "kernels/simd.h"

namespace attn::kernels {
namespace {

using simd::Batch;
using simd::kWidth;

// Rotations of the lanes by S, S/2, ..., 1, each folded in with max: every lane ends up
// holding the maximum of all of them.
template <unsigned S>
struct RotateLanes {
  static constexpr unsigned get(unsigned i, unsigned n) { return (i + S) % n; }
};
template <unsigned S>
ATTN_INLINE Batch allLanesMax(Batch v) {
  if constexpr (S == 0) {
    return v;
  } else {
    using Indices = xsimd::batch<uint32_t, simd::Arch>;
    v = xsimd::max(v, xsimd::swizzle(v, xsimd::make_batch_constant<Indices, RotateLanes<S>>()));
    return allLanesMax<S / 2>(v);
  }
}

// One contiguous row: y = exp(x - max) / sum exp(x - max). Subtracting the max keeps exp <= 1, and
// -inf entries (masked positions) come out as exactly 0. The ragged tail runs as one batch padded
// with -inf, which adds nothing to the max or the sum.
void softmaxRow(const float* x, float* y, int n) {
  const int full = n - n % kWidth, rest = n - full;
  alignas(64) float tail[kWidth];
  if (rest) {
    for (float& t : tail) t = -INFINITY;
    std::memcpy(tail, x + full, sizeof(float) * rest);
  }
  Batch m(-INFINITY);
  for (int k = 0; k < full; k += kWidth) m = xsimd::max(m, Batch::load_unaligned(x + k));
  if (rest) m = xsimd::max(m, Batch::load_aligned(tail));
  m = allLanesMax<kWidth / 2>(m);

  Batch total(0.f), tailExp(0.f);
  for (int k = 0; k < full; k += kWidth) {
    const Batch e = xsimd::exp(Batch::load_unaligned(x + k) - m);
    e.store_unaligned(y + k);
    total += e;
  }
  if (rest) total += tailExp = xsimd::exp(Batch::load_aligned(tail) - m);

  const Batch r(1.f / xsimd::hadd(total));
  for (int k = 0; k < full; k += kWidth) (Batch::load_unaligned(y + k) * r).store_unaligned(y + k);
  if (rest) {
    (tailExp * r).store_aligned(tail);
    std::memcpy(y + full, tail, sizeof(float) * rest);
  }
}

// kWidth independent softmaxes, lane j over x[k * stride + j], k < axis.
void softmaxLanes(const float* x, float* y, int axis, int64_t stride) {
  Batch m = Batch::load_unaligned(x);
  for (int k = 1; k < axis; ++k) m = xsimd::max(m, Batch::load_unaligned(x + k * stride));
  Batch total(0.f);
  for (int k = 0; k < axis; ++k) {
    const Batch e = xsimd::exp(Batch::load_unaligned(x + k * stride) - m);
    e.store_unaligned(y + k * stride);
    total += e;
  }
  const Batch r = Batch(1.f) / total;
  for (int k = 0; k < axis; ++k) (Batch::load_unaligned(y + k * stride) * r).store_unaligned(y + k * stride);
}

void softmaxStrided(const float* x, float* y, int axis, int64_t stride) {
  float m = -INFINITY;
  for (int k = 0; k < axis; ++k) m = std::fmax(m, x[k * stride]);
  float total = 0.f;
  for (int k = 0; k < axis; ++k) total += y[k * stride] = std::exp(x[k * stride] - m);
  const float r = 1.f / total;
  for (int k = 0; k < axis; ++k) y[k * stride] *= r;
}

}  // namespace

void softmax(const float* x, float* y, int outer, int axis, int inner) {
  if (axis <= 0) return;
  const int64_t slab = static_cast<int64_t>(axis) * inner;
  for (int o = 0; o < outer; ++o) {
    const float* xs = x + o * slab;
    float* ys = y + o * slab;
    if (inner == 1) {
      softmaxRow(xs, ys, axis);
      continue;
    }
    int j = 0;
    for (; j + kWidth <= inner; j += kWidth) softmaxLanes(xs + j, ys + j, axis, inner);
    for (; j < inner; ++j) softmaxStrided(xs + j, ys + j, axis, inner);
  }
}

void softmaxBackward(const float* y, const float* dy, float* dx, int outer, int axis, int inner) {
  if (axis <= 0) return;
  const int64_t slab = static_cast<int64_t>(axis) * inner;
  for (int o = 0; o < outer; ++o) {
    const float* ys = y + o * slab;
    const float* dys = dy + o * slab;
    float* dxs = dx + o * slab;
    // dx = y * (dy - <dy, y>_axis)
    if (inner == 1) {
      const Batch d(dot(dys, ys, axis));
      int k = 0;
      for (; k + kWidth <= axis; k += kWidth) {
        const Batch yv = Batch::load_unaligned(ys + k);
        (yv * (Batch::load_unaligned(dys + k) - d)).store_unaligned(dxs + k);
      }
      const float ds = d.get(0);
      for (; k < axis; ++k) dxs[k] = ys[k] * (dys[k] - ds);
      continue;
    }
    int j = 0;
    for (; j + kWidth <= inner; j += kWidth) {
      Batch d(0.f);
      for (int k = 0; k < axis; ++k)
        d = simd::mulAdd(Batch::load_unaligned(dys + k * inner + j), Batch::load_unaligned(ys + k * inner + j), d);
      for (int k = 0; k < axis; ++k) {
        const int64_t i = k * inner + j;
        (Batch::load_unaligned(ys + i) * (Batch::load_unaligned(dys + i) - d)).store_unaligned(dxs + i);
      }
    }
    for (; j < inner; ++j) {
      float d = 0.f;
      for (int k = 0; k < axis; ++k) d += dys[k * inner + j] * ys[k * inner + j];
      for (int k = 0; k < axis; ++k) dxs[k * inner + j] = ys[k * inner + j] * (dys[k * inner + j] - d);
    }
  }
}

}  // namespace attn::kernels
