// Internal to src/kernels: the one place that picks the SIMD architecture and the GEMM tile
// shape for it. Only kernel .cpp files include this (the rest of the project never sees xsimd).
#pragma once

#if defined(__EMSCRIPTEN__)
// Emscripten 3.1.6 emulates the SSE2 float -> int32 conversions lane by lane with lrint() calls
// (x86's out-of-range result differs from wasm's saturating one). xsimd's exp (and so sigmoid,
// tanh, softmax) converts once per batch, which made the LSTM gate kernels several times slower
// than the rest of the wasm code. These shims give xsimd the one-instruction wasm conversions;
// they differ from x86 only for NaN and out-of-range inputs, which exp/ldexp mask anyway.
// xsimd includes the intrinsics headers again, but their include guards keep these macros.
#include <emmintrin.h>
#include <wasm_simd128.h>
static inline __m128i attnWasmCvttpsEpi32(__m128 a) { return (__m128i)wasm_i32x4_trunc_sat_f32x4((v128_t)a); }
static inline __m128i attnWasmCvtpsEpi32(__m128 a) {
  return (__m128i)wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest((v128_t)a));
}
#define _mm_cvttps_epi32 attnWasmCvttpsEpi32
#define _mm_cvtps_epi32 attnWasmCvtpsEpi32
#endif

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstdint>

#if defined(__GNUC__)
#define ATTN_NOINLINE __attribute__((noinline))
#define ATTN_INLINE inline __attribute__((always_inline))
#else
#define ATTN_NOINLINE
#define ATTN_INLINE inline
#endif

namespace attn::kernels::simd {

// The widest architecture the compiler was told it may use (-march=native, -march=x86-64-v2,
// or -msse4.1 under Emscripten, which lowers SSE4.1 to wasm SIMD128).
using Arch = xsimd::default_arch;
using Batch = xsimd::batch<float, Arch>;
using Mask = xsimd::batch_bool<float, Arch>;
inline constexpr int kWidth = static_cast<int>(Batch::size);

// GEMM register tile: kGemmRows rows of C by kGemmVectors batches of columns. Sized so the
// accumulators plus one broadcast of A and the row of B fit the register file: 32 zmm on
// AVX-512, 16 ymm/xmm on AVX2/SSE, and V8's ~15 usable xmm for wasm (no FMA there, so every
// step also needs a temporary for the product).
#if defined(ATTN_GEMM_ROWS) && defined(ATTN_GEMM_VECTORS)  // tuning experiments only
inline constexpr int kGemmRows = ATTN_GEMM_ROWS, kGemmVectors = ATTN_GEMM_VECTORS;
#elif defined(__EMSCRIPTEN__)
inline constexpr int kGemmRows = 4, kGemmVectors = 2;
#elif defined(__AVX512F__)
inline constexpr int kGemmRows = 12, kGemmVectors = 2;
#elif defined(__AVX__)
inline constexpr int kGemmRows = 6, kGemmVectors = 2;
#else
inline constexpr int kGemmRows = 4, kGemmVectors = 2;
#endif
inline constexpr int kGemmCols = kGemmVectors * kWidth;
// Cache blocking: a kc x kGemmCols sliver of packed B stays in L1 (<= ~half of 48 KiB) while the
// micro-kernel sweeps an mc x kc block of packed A out of L2.
inline constexpr int kGemmDepth = kGemmCols >= 32 ? 192 : 256;
inline constexpr int kGemmBlockRows = kGemmRows * (kGemmRows >= 8 ? 16 : 32);
inline constexpr int kGemmBlockCols = kGemmCols * 128;

}  // namespace attn::kernels::simd
