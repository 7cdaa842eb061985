// One core's measured peak, the yardstick for the GEMM figures: the clock from a dependent imul
// chain (3-cycle latency on Intel cores), and float throughput per vector width from 12
// independent FMA chains (or mul/add pairs, the only option for SSE4 and wasm SIMD128, which
// have no FMA). Each is the best of many short runs, so preemption on a shared machine and
// frequency ramp-up do not count. x86-64 only (inline assembly); widths the CPU lacks are skipped.
#include <chrono>
#include <cstdio>

namespace {

using Clock = std::chrono::steady_clock;
constexpr long kIterations = 20000;

template <class F>
double fastestSeconds(F run) {
  double best = 1e30;
  for (int round = 0; round < 3000; ++round) {
    const auto start = Clock::now();
    run();
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    if (s < best) best = s;
  }
  return best;
}

#define ATTN_12(OP) OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7) OP(8) OP(9) OP(10) OP(11)
#define ATTN_LOOP(BODY)                                                                                   \
  [] {                                                                                                    \
    long n = kIterations;                                                                                 \
    asm volatile("1:\n\t" BODY "sub $1, %0\n\tjnz 1b"                                                     \
                 : "+r"(n)                                                                                \
                 :                                                                                        \
                 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", \
                   "xmm11");                                                                            \
  }
#define ATTN_ZMM(i) "vfmadd231ps %%zmm12, %%zmm13, %%zmm" #i "\n\t"
#define ATTN_YMM(i) "vfmadd231ps %%ymm12, %%ymm13, %%ymm" #i "\n\t"
#define ATTN_XMM(i) "vfmadd231ps %%xmm12, %%xmm13, %%xmm" #i "\n\t"
// A multiply and an independent add chain per step: the mix a GEMM without FMA issues.
#define ATTN_MULADD(m, a) "vmulps %%xmm12, %%xmm13, %%xmm" #m "\n\tvaddps %%xmm12, %%xmm" #a ", %%xmm" #a "\n\t"
#define ATTN_6_PAIRS(OP) OP(0, 6) OP(1, 7) OP(2, 8) OP(3, 9) OP(4, 10) OP(5, 11)

void report(const char* name, double flopsPerIteration, double seconds) {
  std::printf("%-34s %7.1f GFLOP/s\n", name, kIterations * flopsPerIteration / seconds * 1e-9);
}

}  // namespace

int main() {
  const double imul = fastestSeconds([] {
    long n = kIterations, x = 1;
    const long y = 3;
    asm volatile("1:\n\timul %2, %0\n\timul %2, %0\n\timul %2, %0\n\timul %2, %0\n\tsub $1, %1\n\tjnz 1b"
                 : "+r"(x), "+r"(n)
                 : "r"(y));
  });
  std::printf("%-34s %7.2f GHz\n", "clock (imul chain)", kIterations * 12 / imul * 1e-9);
  if (__builtin_cpu_supports("avx512f"))
    report("avx512: 12 x 16-lane FMA", 12 * 32, fastestSeconds(ATTN_LOOP(ATTN_12(ATTN_ZMM))));
  if (__builtin_cpu_supports("fma")) {
    report("avx2: 12 x 8-lane FMA", 12 * 16, fastestSeconds(ATTN_LOOP(ATTN_12(ATTN_YMM))));
    report("sse width: 12 x 4-lane FMA", 12 * 8, fastestSeconds(ATTN_LOOP(ATTN_12(ATTN_XMM))));
  }
  if (__builtin_cpu_supports("avx"))
    report("sse width, no FMA: 6 x (mul, add)", 6 * 8, fastestSeconds(ATTN_LOOP(ATTN_6_PAIRS(ATTN_MULADD))));
  return 0;
}
