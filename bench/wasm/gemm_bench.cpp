// GEMM throughput under WebAssembly (Google Benchmark does not build for wasm): square n x n
// products for the three transpose variants the layers use, printed as a table and as JSON.
// V8 runs a function's first calls in its baseline tier and swaps in optimized code only on a
// later entry, so every case is warmed up with repeated calls before it is timed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "core/random.h"
#include "kernels/kernels.h"

namespace {

using attn::kernels::Trans;
using Clock = std::chrono::steady_clock;

struct Result {
  const char* variant;
  int n;
  double best;  // GFLOP/s of the fastest round
  double mean;  // GFLOP/s over all timed rounds
};

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

Result measure(const char* variant, Trans ta, Trans tb, int n, double budget) {
  attn::Rng rng(1);
  std::vector<float> a(size_t(n) * n), b(size_t(n) * n), c(size_t(n) * n);
  for (auto& v : a) v = rng.normal();
  for (auto& v : b) v = rng.normal();
  auto run = [&] { attn::kernels::gemm(ta, tb, n, n, n, 1.f, a.data(), n, b.data(), n, 0.f, c.data(), n); };
  // Warm-up: at least 0.2 s and 10 calls, so every kernel function has been re-entered optimized.
  auto start = Clock::now();
  int warmCalls = 0;
  for (; warmCalls < 10 || seconds(start, Clock::now()) < 0.2; ++warmCalls) run();
  const double perCall = seconds(start, Clock::now()) / warmCalls;
  // The machine is shared: many short rounds (~0.5 ms, at least one call) and the fastest one,
  // i.e. the round least disturbed by other processes, over `budget` seconds.
  const int callsPerRound = std::max(1, static_cast<int>(0.5e-3 / perCall));
  double best = 1e30, total = 0;
  int64_t calls = 0;
  const auto begin = Clock::now();
  for (int round = 0; round < 20 || seconds(begin, Clock::now()) < budget; ++round) {
    start = Clock::now();
    for (int i = 0; i < callsPerRound; ++i) run();
    const double elapsed = seconds(start, Clock::now());
    best = std::min(best, elapsed / callsPerRound);
    total += elapsed;
    calls += callsPerRound;
  }
  if (c[0] != c[0]) std::printf("NaN in result\n");  // keeps the products observable
  const double flops = 2.0 * n * n * n;
  return {variant, n, flops / best * 1e-9, flops * calls / total * 1e-9};
}

}  // namespace

// usage: gemm_bench [seconds per case, default 1]
int main(int argc, char** argv) {
  const double budget = argc > 1 ? std::atof(argv[1]) : 1.0;
  const struct {
    const char* name;
    Trans ta, tb;
  } variants[] = {{"NN", Trans::No, Trans::No}, {"TN", Trans::Yes, Trans::No}, {"NT", Trans::No, Trans::Yes}};
  const int sizes[] = {64, 128, 256, 512};
  std::vector<Result> results;
  std::printf("simd_architecture: %s\nGFLOP/s of the fastest round (mean over all rounds)\n%-8s",
              attn::kernels::simdArchitecture(), "");
  for (int n : sizes) std::printf("%14d", n);
  std::printf("\n");
  for (const auto& v : variants) {
    std::printf("%-8s", v.name);
    for (int n : sizes) {
      const Result r = measure(v.name, v.ta, v.tb, n, budget);
      results.push_back(r);
      std::printf("%7.1f (%4.1f)", r.best, r.mean);
      std::fflush(stdout);
    }
    std::printf("\n");
  }
  std::printf("{\"simd_architecture\": \"%s\", \"gemm_gflops\": [", attn::kernels::simdArchitecture());
  for (size_t i = 0; i < results.size(); ++i)
    std::printf("%s{\"variant\": \"%s\", \"n\": %d, \"gflops_best\": %.2f, \"gflops_mean\": %.2f}", i ? ", " : "",
                results[i].variant, results[i].n, results[i].best, results[i].mean);
  std::printf("]}\n");
  return 0;
}
