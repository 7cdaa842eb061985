// One layer at a time, batch 64: every `perf` row of the layer-case table (tests/layer_cases.json)
// at T = 20 and 100 steps, forward alone (inference: training = false) and forward + backward
// (training = true, then the gradients of the inputs and the parameters). Figures are ms per
// batch; items/s counts samples.
#include <benchmark/benchmark.h>

#include <cstdio>

#include "layer_rig.h"

namespace attn::bench {
namespace {

void runLayer(benchmark::State& state, const PerfCase& c) {
  const bool withBackward = state.range(1) != 0;
  LayerRig rig(c.type, c.options, c.at(static_cast<int>(state.range(0))));
  rig.step(withBackward);  // warm-up: the first batch sizes every scratch tensor
  for (auto _ : state) {
    rig.step(withBackward);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetLabel(std::to_string(rig.layer->countParams()) + " params");
}

const bool registered = [] {
  const std::vector<PerfCase> cases = perfCases();
  if (cases.empty()) std::fprintf(stderr, "bench_layers: no perf rows read from tests/layer_cases.json\n");
  for (const PerfCase& c : cases) {
    benchmark::RegisterBenchmark(("BM_" + c.name).c_str(), [c](benchmark::State& s) { runLayer(s, c); })
        ->ArgNames({"T", "backward"})
        ->ArgsProduct({{kPerfSteps[0], kPerfSteps[1]}, {0, 1}})
        ->Unit(benchmark::kMillisecond);
  }
  return true;
}();

}  // namespace
}  // namespace attn::bench
