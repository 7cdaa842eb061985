// The one main() of attn_bench: Google Benchmark with the SIMD architecture in the header, so
// every figure says which vector width produced it.
#include <benchmark/benchmark.h>

#include "kernels/kernels.h"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("simd_architecture", attn::kernels::simdArchitecture());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
