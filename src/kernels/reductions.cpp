// Sums and means over one axis of a tensor viewed as (outer, axis, inner).
#include "kernels/kernels.h"
#include "kernels/simd.h"

namespace attn::kernels {

void reduceSum(const float* x, float* out, int outer, int axis, int inner) {
  for (int o = 0; o < outer; ++o) {
    const float* slab = x + static_cast<int64_t>(o) * axis * inner;
    float* result = out + static_cast<int64_t>(o) * inner;
    if (inner == 1) {
      // out[o] = sum_k x[o, k]: one contiguous row.
      *result = sum(slab, axis);
      continue;
    }
    // out[o, :] = sum_k x[o, k, :]: rows of width `inner` added together.
    if (axis == 0) {
      fill(result, 0.f, inner);
      continue;
    }
    copy(slab, result, inner);
    for (int k = 1; k < axis; ++k) addInPlace(slab + static_cast<int64_t>(k) * inner, result, inner);
  }
}

void reduceMean(const float* x, float* out, int outer, int axis, int inner) {
  reduceSum(x, out, outer, axis, inner);
  // mean = sum / axis; an empty axis gives NaN, as 0/0 does in the reference.
  scale(1.f / static_cast<float>(axis), out, static_cast<int64_t>(outer) * inner);
}

}  // namespace attn::kernels
