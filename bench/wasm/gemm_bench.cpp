// GEMM throughput under WebAssembly (Google Benchmark does not build for wasm): square n x n
// products for the three transpose variants the layers use, printed as a table and as JSON.
// V8 runs a function's first calls in its baseline tier and swaps in optimized code only on a
// later entry, so every case is warmed up with repeated calls before it is timed.
#include <algorithm>
#include <chrono>
#include <cstdio>
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
  double gflops;
};

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

double measure(Trans ta, Trans tb, int n, double budget) {
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
  double best = 1e30;
  const auto begin = Clock::now();
  for (int round = 0; round < 20 || seconds(begin, Clock::now()) < budget; ++round) {
    start = Clock::now();
    for (int i = 0; i < callsPerRound; ++i) run();
    best = std::min(best, seconds(start, Clock::now()) / callsPerRound);
  }
  const double gflops = 2.0 * n * n * n / best * 1e-9;
  if (c[0] != c[0]) std::printf("NaN in result\n");  // keeps the products observable
  return gflops;
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
  std::printf("simd_architecture: %s\n%-8s", attn::kernels::simdArchitecture(), "GFLOP/s");
  for (int n : sizes) std::printf("%10d", n);
  std::printf("\n");
  for (const auto& v : variants) {
    std::printf("%-8s", v.name);
    for (int n : sizes) {
      const double g = measure(v.ta, v.tb, n, budget);
      results.push_back({v.name, n, g});
      std::printf("%10.1f", g);
      std::fflush(stdout);
    }
    std::printf("\n");
  }
  std::printf("{\"simd_architecture\": \"%s\", \"gemm_gflops\": [", attn::kernels::simdArchitecture());
  for (size_t i = 0; i < results.size(); ++i)
    std::printf("%s{\"variant\": \"%s\", \"n\": %d, \"gflops\": %.2f}", i ? ", " : "", results[i].variant,
                results[i].n, results[i].gflops);
  std::printf("]}\n");
  return 0;
}
