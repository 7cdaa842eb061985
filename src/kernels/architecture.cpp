#include "kernels/kernels.h"
#include "kernels/simd.h"

namespace attn::kernels {

const char* simdArchitecture() { return simd::Arch::name(); }

bool fusedMultiplyAdd() {
  // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24 needs 25 bits: unfused, the product rounds to 1 + 2^-11 and
  // the sum is 0; fused, the sum keeps 2^-24. Volatile, so no compiler folds the probe.
  volatile float factor = 1.f + 0x1p-12f, addend = -(1.f + 0x1p-11f);
#if defined(__EMSCRIPTEN__)
  // The multiply-add placeholder itself, in every module: what the module's rewrite made of it.
  const v128_t x = wasm_f32x4_splat(factor), c = wasm_f32x4_splat(addend);
  return wasm_f32x4_extract_lane(attn_f32x4_madd(x, x, c), 0) != 0.f;
#else
  const simd::Batch x(factor), c(addend);
  return simd::mulAdd(x, x, c).get(0) != 0.f;
#endif
}

}  // namespace attn::kernels
