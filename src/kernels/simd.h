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

// a * b + c on four lanes, as an import that no host provides: scripts/wasm-variants.mjs replaces
// it after the link with f32x4.mul + f32x4.add, or with f32x4.relaxed_madd (FMA where the CPU
// has it) in the relaxed-SIMD module, whose kernels are compiled with ATTN_RELAXED_MADD and call
// it for every multiply-add. Emscripten 3.1.6's clang and binaryen cannot emit relaxed_madd's
// final opcode themselves. Only the relaxed kernels call it in their loops: clang keeps calls in
// source order, and V8 ran the mul + add kernels it schedules freely ~15% faster. Every module
// imports it (kernels::fusedMultiplyAdd probes with it), so all share one JS glue. `const` lets
// clang hoist and merge it like arithmetic; noexcept keeps -fexceptions builds from wrapping it
// in a JS invoke_. Its JS stub (bindings/wasm_placeholders.js) throws if a rewrite was missed.
extern "C" v128_t attn_f32x4_madd(v128_t a, v128_t b, v128_t c) noexcept
    __attribute__((import_module("env"), import_name("attn_f32x4_madd"), const));
#endif

#include <cmath>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstdint>
#include <type_traits>

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
// Four float lanes whatever the widest batch is (4x4 register transposes in GEMM packing):
// SSE2 on x86 (and under Emscripten, which lowers it to SIMD128), NEON on ARM.
using Quad = xsimd::make_sized_batch_t<float, 4>;
static_assert(!std::is_void_v<Quad>, "no 4-lane float batch on this architecture");

// One body for the vector and the scalar path: V is Batch or float, and these helpers read and
// write either, so a kernel's arithmetic is written once and its ragged tail cannot drift.
template <class V>
ATTN_INLINE V load(const float* p) {
  if constexpr (std::is_same_v<V, float>)
    return *p;
  else
    return V::load_unaligned(p);
}
ATTN_INLINE void store(float* p, float v) { *p = v; }
template <class A>
ATTN_INLINE void store(float* p, const xsimd::batch<float, A>& v) {
  v.store_unaligned(p);
}
// a * b + c: fused on batches (one instruction where the target has FMA: x86 FMA3/AVX-512, and
// wasm's relaxed-SIMD module on such CPUs); on floats as written. Every kernel's multiply-add on
// batches goes through here, so the wasm modules' kernels differ in this one place.
template <class V>
ATTN_INLINE V mulAdd(const V& a, const V& b, const V& c) {
  if constexpr (std::is_same_v<V, float>)
    return a * b + c;
#if defined(__EMSCRIPTEN__) && defined(ATTN_RELAXED_MADD)
  else if constexpr (V::size == 4)
    return V(__m128(attn_f32x4_madd(v128_t(__m128(a)), v128_t(__m128(b)), v128_t(__m128(c)))));
#endif
  else
    return xsimd::fma(a, b, c);
}

// Runs body.template operator()<Batch>(i) over every whole batch of n elements (unrolled by
// `unroll`) and body.template operator()<float>(i) over the ragged end.
template <int unroll = 1, class Body>
ATTN_INLINE void forEachLane(int64_t n, Body&& body) {
  int64_t i = 0;
  if constexpr (unroll > 1)
    for (; i + unroll * kWidth <= n; i += unroll * kWidth)
      for (int u = 0; u < unroll; ++u) body.template operator()<Batch>(i + u * kWidth);
  for (; i + kWidth <= n; i += kWidth) body.template operator()<Batch>(i);
  for (; i < n; ++i) body.template operator()<float>(i);
}

// GEMM register tile: kGemmRows rows of C by kGemmVectors batches of columns. Sized so the
// accumulators plus one broadcast of A and the row of B fit the register file: 32 zmm on
// AVX-512, 16 ymm/xmm on AVX2/SSE, and V8's ~15 usable xmm for wasm. Under wasm, V8's k step
// carries ~7 instructions besides the tile's loads and multiply-adds (a stack check, index
// zero-extensions, the counter), so the tile with the most multiply-adds per step that fits wins:
// 5x2 (10 accumulators; 5 broadcasts and 2 loads per 20 mul/add) beat 4x2 by ~5% on
// lstm-attention-T20 predict in Node (4x3, 6x2 and 3x3 were slower). The relaxed kernels keep
// 4x2: V8 schedules a relaxed_madd loop's 7 loads ahead of its multiply-adds, 17 live registers
// at 5x2, and spilled two accumulators (T20 predict 1.7 -> 3.0 ms). Natively (SSE) 5x2 was no
// faster than 4x2.
#if defined(ATTN_GEMM_ROWS) && defined(ATTN_GEMM_VECTORS)  // tuning experiments only
inline constexpr int kGemmRows = ATTN_GEMM_ROWS, kGemmVectors = ATTN_GEMM_VECTORS;
#elif defined(__EMSCRIPTEN__) && defined(ATTN_RELAXED_MADD)
inline constexpr int kGemmRows = 4, kGemmVectors = 2;
#elif defined(__EMSCRIPTEN__)
inline constexpr int kGemmRows = 5, kGemmVectors = 2;
#elif defined(__AVX512F__)
inline constexpr int kGemmRows = 12, kGemmVectors = 2;
#elif defined(__AVX__)
inline constexpr int kGemmRows = 6, kGemmVectors = 2;
#else
inline constexpr int kGemmRows = 4, kGemmVectors = 2;
#endif
inline constexpr int kGemmCols = kGemmVectors * kWidth;
// Steps of k the micro-kernel's loop body holds (a macro: a pragma's argument, which GCC does not
// expand itself; ATTN_UNROLL does). Under wasm
// one: clang hoists the loads of every unrolled step to the top of the body, and V8's register
// allocator then spills accumulators (n = 256 in Node: 27.8 -> 33.2 GFLOP/s unrolled 4 -> 1;
// 41.3 with relaxed madd).
#if !defined(ATTN_GEMM_DEPTH_UNROLL) && defined(__EMSCRIPTEN__)
#define ATTN_GEMM_DEPTH_UNROLL 1
#elif !defined(ATTN_GEMM_DEPTH_UNROLL)
#define ATTN_GEMM_DEPTH_UNROLL 4
#endif
#define ATTN_PRAGMA(text) _Pragma(#text)
#define ATTN_UNROLL(count) ATTN_PRAGMA(GCC unroll count)
// Cache blocking: a kc x kGemmCols sliver of packed B stays in L1 (<= ~half of 48 KiB) while the
// micro-kernel sweeps an mc x kc block of packed A out of L2.
inline constexpr int kGemmDepth = kGemmCols >= 32 ? 192 : 256;
inline constexpr int kGemmBlockRows = kGemmRows * (kGemmRows >= 8 ? 16 : 32);
inline constexpr int kGemmBlockCols = kGemmCols * 128;

// x clamped to [lo, hi], NaN kept NaN (so a diverging model still shows NaN downstream). The
// operand order matters: std::max(NaN, lo) and x86's maxps(lo, NaN) return the NaN. Under wasm,
// SSE's min/max are emulated with a compare and a select; SIMD128's pmin/pmax (x86's minps/maxps
// rule) are one instruction each.
template <class V>
ATTN_INLINE V clampKeepingNaN(const V& x, float lo, float hi) {
  if constexpr (std::is_same_v<V, float>)
    return std::min(std::max(x, lo), hi);
#if defined(__EMSCRIPTEN__)
  else if constexpr (V::size == 4)  // pmax(a, b) = a < b ? b : a; pmin(a, b) = b < a ? b : a
    return V(__m128(wasm_f32x4_pmin(wasm_f32x4_pmax(v128_t(__m128(x)), wasm_f32x4_splat(lo)), wasm_f32x4_splat(hi))));
#endif
  else
    return xsimd::min(V(hi), xsimd::max(V(lo), x));
}

// tanh(x) = x P(x^2) / Q(x^2) on |x| <= 9 (beyond, tanh rounds to +-1 in float), with the rational
// minimax coefficients scripts/fit-tanh.py prints: relative error 5.9e-8 in exact arithmetic,
// 3.8e-7 (6.4 ulp) evaluated in float over every float (tests/kernels/test_activations.cpp
// samples every 1021st). One division and eight multiply-adds: xsimd's tanh and sigmoid (exp, its
// range selects, a division) cost two to three times more and were most of the LSTM and GRU gate
// kernels' time (lstm-attention-T20's predict: 2.36 -> 1.93 ms in Node). The odd form keeps
// tanh(x) ~ x exact near 0. Floats and batches share the formula, so SIMD bodies and scalar tails
// agree.
struct OddRational {
  float limit;       // x is clamped to [-limit, limit]
  float p[6], q[4];  // lowest power first
};
inline constexpr OddRational kTanhFit{
    9.f,
    {0.9999999412561106f, 0.12919224122462688f, 0.0029207572547945345f, 9.2673818676680799e-6f,
     -1.2780335508955111e-8f, 1.8255005100376602e-11f},
    {1.f, 0.46252508004441021f, 0.02376314966371615f, 0.00022809958365226504f}};

// The same fit for tanh(x/2) / 2 as a function of x: with x^2 = 4 (x/2)^2, P's coefficient k over
// 4^(k+1) and Q's over 4^k, and twice the clamp. Scaling by powers of two is exact, so it gives
// 1/2 tanh(x/2) from kTanhFit bit for bit, without the two multiplies by 1/2.
constexpr OddRational halfArgumentHalved(const OddRational& f) {
  OddRational out = f;
  out.limit = 2.f * f.limit;
  float scale = 0.25f;
  for (float& c : out.p) {
    c *= scale;
    scale *= 0.25f;
  }
  scale = 1.f;
  for (float& c : out.q) {
    c *= scale;
    scale *= 0.25f;
  }
  return out;
}
inline constexpr OddRational kHalfTanhOfHalfFit = halfArgumentHalved(kTanhFit);

// x P(x^2) / Q(x^2), x clamped to the fit's limit (NaN kept). P and Q go by Estrin's scheme (pairs of terms, then powers of x^4), not
// Horner's: the gate loops run 16-32 independent batches each, too few for the CPU to hide a
// 60-cycle chain. With the halvings folded into kHalfTanhOfHalfFit, the shorter chain made the
// LSTM gate kernel ~1.1x faster (native SSE, median of 16 alternating pairs) and
// lstm-attention-T20's predict ~1.02-1.03x in Node (12 pairs), at the same accuracy (3.75e-7
// over every float).
template <const OddRational& F, class V>
ATTN_INLINE V oddRational(const V& input) {
  const V x = clampKeepingNaN(input, -F.limit, F.limit);
  const V t = x * x;
  const V t2 = t * t;
  const V p = mulAdd(t2, mulAdd(t2, mulAdd(V(F.p[5]), t, V(F.p[4])), mulAdd(V(F.p[3]), t, V(F.p[2]))),
                     mulAdd(V(F.p[1]), t, V(F.p[0])));
  const V q = mulAdd(t2, mulAdd(V(F.q[3]), t, V(F.q[2])), mulAdd(V(F.q[1]), t, V(F.q[0])));
  return x * p / q;
}

template <class V>
ATTN_INLINE V tanh(const V& x) {
  return oddRational<kTanhFit>(x);
}

// The recurrent gates' sigmoid, 1/2 + tanh(x/2) / 2: absolute error <= 2.1e-7, which is what a
// gate needs (it scales a state), at the cost of one tanh. The activation layers keep `sigmoid`
// below, accurate relative to tiny outputs, because log losses read those.
template <class V>
ATTN_INLINE V gateSigmoid(const V& x) {
  return oddRational<kHalfTanhOfHalfFit>(x) + V(0.5f);
}

// sigmoid(x) = 1 / (1 + e^-x), from e = e^-|x| so the exponential never overflows: the
// activation kernels' sigmoid (the recurrent gates use gateSigmoid above).
ATTN_INLINE float sigmoid(float x) {
  const float e = std::exp(-std::fabs(x));
  const float r = 1.f / (1.f + e);
  return x >= 0.f ? r : e * r;
}
template <class A>
ATTN_INLINE xsimd::batch<float, A> sigmoid(const xsimd::batch<float, A>& x) {
  using V = xsimd::batch<float, A>;
  const V e = xsimd::exp(-xsimd::abs(x));
  const V r = V(1.f) / (V(1.f) + e);
  return xsimd::select(x >= V(0.f), r, e * r);
}

}  // namespace attn::kernels::simd
