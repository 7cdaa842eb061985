// The layer benchmarks of bench_layers.cpp under WebAssembly (Google Benchmark does not build for
// wasm): every `perf` row of the layer-case table at T = 20 and 100, forward alone and forward +
// backward, batch 64, as ms per batch (the fastest of many short rounds: the machine is shared),
// printed as a table and as JSON lines named like the native benchmarks.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "../layer_rig.h"
#include "kernels/kernels.h"

namespace {
using Clock = std::chrono::steady_clock;
double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }
}  // namespace

// usage: layer_bench [seconds per case, default 0.5]
int main(int argc, char** argv) {
  using namespace attn::bench;
  const double budget = argc > 1 ? std::atof(argv[1]) : 0.5;
  const std::vector<PerfCase> cases = perfCases();
  if (cases.empty()) {
    std::fprintf(stderr, "layer_bench: no perf rows read from tests/layer_cases.json\n");
    return 1;
  }
  std::printf("simd_architecture: %s\nms per batch of %d (fastest round)\n", attn::kernels::simdArchitecture(), kBatch);
  for (const PerfCase& c : cases) {
    for (int steps : kPerfSteps) {
      for (int backward : {0, 1}) {
        LayerRig rig(c.type, c.options, c.at(steps));
        // Warm-up: V8 swaps in optimized code on a later entry.
        auto start = Clock::now();
        int warm = 0;
        for (; warm < 5 || seconds(start, Clock::now()) < 0.1; ++warm) rig.step(backward);
        double best = 1e30;
        const auto begin = Clock::now();
        for (int round = 0; round < 5 || seconds(begin, Clock::now()) < budget; ++round) {
          start = Clock::now();
          rig.step(backward);
          best = std::min(best, seconds(start, Clock::now()));
        }
        std::printf("{\"name\": \"BM_%s/T:%d/backward:%d\", \"ms\": %.4f}\n", c.name.c_str(), steps, backward,
                    best * 1e3);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
