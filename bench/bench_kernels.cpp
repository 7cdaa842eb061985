// Kernel throughput (native). GEMM reports GFLOP/s as a counter, for the three transpose
// variants the layers use (forward A·B, weight gradient Aᵀ·B, input gradient A·Bᵀ).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "core/random.h"
#include "kernels/kernels.h"
#include "kernels/recurrent.h"

namespace {

using attn::kernels::Trans;

std::vector<float> randomMatrix(int64_t size, uint64_t seed) {
  attn::Rng rng(seed);
  std::vector<float> m(size);
  for (auto& v : m) v = rng.normal();
  return m;
}

// GFLOPs: the mean over the run. GFLOPs_best: from the fastest single call. The machine is
// shared by several processes on two cores; the fastest call is the one nobody preempted, and
// is the figure to compare with the core's peak.
void gemmSquare(benchmark::State& state, Trans ta, Trans tb) {
  const int n = static_cast<int>(state.range(0));
  const auto a = randomMatrix(int64_t(n) * n, 1), b = randomMatrix(int64_t(n) * n, 2);
  std::vector<float> c(int64_t(n) * n);
  double fastest = 1e30;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    attn::kernels::gemm(ta, tb, n, n, n, 1.f, a.data(), n, b.data(), n, 0.f, c.data(), n);
    benchmark::ClobberMemory();
    fastest = std::min(fastest, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  const double flops = 2.0 * n * n * n;
  state.counters["GFLOPs"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
  state.counters["GFLOPs_best"] = flops / fastest * 1e-9;
}

void BM_GemmNN(benchmark::State& s) { gemmSquare(s, Trans::No, Trans::No); }
void BM_GemmTN(benchmark::State& s) { gemmSquare(s, Trans::Yes, Trans::No); }
void BM_GemmNT(benchmark::State& s) { gemmSquare(s, Trans::No, Trans::Yes); }
void BM_GemmTT(benchmark::State& s) { gemmSquare(s, Trans::Yes, Trans::Yes); }
BENCHMARK(BM_GemmNN)->Arg(64)->Arg(128)->Arg(256)->Arg(512);
BENCHMARK(BM_GemmTN)->Arg(64)->Arg(128)->Arg(256)->Arg(512);
BENCHMARK(BM_GemmNT)->Arg(64)->Arg(128)->Arg(256)->Arg(512);
BENCHMARK(BM_GemmTT)->Arg(256);

// A typical attention-sized product: (batch*T x d) * (d x units).
void BM_GemmDense(benchmark::State& state) {
  const int m = 32 * 64, k = 64, n = static_cast<int>(state.range(0));
  const auto a = randomMatrix(int64_t(m) * k, 1), b = randomMatrix(int64_t(k) * n, 2);
  std::vector<float> c(int64_t(m) * n);
  for (auto _ : state) {
    attn::kernels::gemm(Trans::No, Trans::No, m, n, k, 1.f, a.data(), k, b.data(), n, 0.f, c.data(), n);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOPs"] =
      benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_GemmDense)->Arg(1)->Arg(4)->Arg(16)->Arg(64);

// Per-head attention products: scores Q·Kᵀ (T x d)·(d x T) and context P·V (T x T)·(T x d).
void BM_GemmSmall(benchmark::State& state) {
  const int m = static_cast<int>(state.range(0)), n = static_cast<int>(state.range(1)),
            k = static_cast<int>(state.range(2));
  const Trans tb = state.range(3) ? Trans::Yes : Trans::No;
  const auto a = randomMatrix(int64_t(m) * k, 1), b = randomMatrix(int64_t(k) * n, 2);
  std::vector<float> c(int64_t(m) * n);
  const int ldb = tb == Trans::No ? n : k;
  for (auto _ : state) {
    attn::kernels::gemm(Trans::No, tb, m, n, k, 1.f, a.data(), k, b.data(), ldb, 0.f, c.data(), n);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOPs"] =
      benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_GemmSmall)
    ->ArgNames({"M", "N", "K", "transB"})
    ->Args({16, 16, 8, 1})
    ->Args({32, 32, 16, 1})
    ->Args({32, 16, 32, 0})
    ->Args({64, 64, 32, 1})
    ->Args({64, 32, 64, 0});

// The recurrent product of an LSTM step, h (batch x U) times U (U x 4U) forward and dz (batch x 4U)
// times Uᵀ backward, as the time loop runs it: U packed at every call (gemm), or packed once per
// sequence and reused by every step (packB + gemmPackedB, what the recurrent layers do).
void recurrentSteps(benchmark::State& state, Trans tb, bool packedOnce) {
  const int batch = static_cast<int>(state.range(0)), units = static_cast<int>(state.range(1)), steps = 20;
  const int K = tb == Trans::No ? units : 4 * units, N = tb == Trans::No ? 4 * units : units;
  const auto h = randomMatrix(int64_t(batch) * K, 1), u = randomMatrix(int64_t(units) * 4 * units, 2);
  std::vector<float> z(int64_t(batch) * N);
  attn::kernels::PackedB packed;
  for (auto _ : state) {
    if (packedOnce) attn::kernels::packB(tb, K, N, u.data(), 4 * units, packed);
    for (int t = 0; t < steps; ++t) {
      if (packedOnce)
        attn::kernels::gemmPackedB(Trans::No, batch, 1.f, h.data(), K, packed, 1.f, z.data(), N);
      else
        attn::kernels::gemm(Trans::No, tb, batch, N, K, 1.f, h.data(), K, u.data(), 4 * units, 1.f, z.data(), N);
    }
    benchmark::ClobberMemory();
  }
  state.counters["GFLOPs"] = benchmark::Counter(2.0 * batch * N * K * steps, benchmark::Counter::kIsIterationInvariantRate,
                                                benchmark::Counter::kIs1000);
}
void BM_RecurrentForwardPackedPerStep(benchmark::State& s) { recurrentSteps(s, Trans::No, false); }
void BM_RecurrentForwardPackedOnce(benchmark::State& s) { recurrentSteps(s, Trans::No, true); }
void BM_RecurrentBackwardPackedPerStep(benchmark::State& s) { recurrentSteps(s, Trans::Yes, false); }
void BM_RecurrentBackwardPackedOnce(benchmark::State& s) { recurrentSteps(s, Trans::Yes, true); }
#define ATTN_RECURRENT_SHAPES ArgNames({"batch", "units"})->Args({64, 64})->Args({32, 64})->Args({64, 128})
BENCHMARK(BM_RecurrentForwardPackedPerStep)->ATTN_RECURRENT_SHAPES;
BENCHMARK(BM_RecurrentForwardPackedOnce)->ATTN_RECURRENT_SHAPES;
BENCHMARK(BM_RecurrentBackwardPackedPerStep)->ATTN_RECURRENT_SHAPES;
BENCHMARK(BM_RecurrentBackwardPackedOnce)->ATTN_RECURRENT_SHAPES;

// The LSTM gate kernel alone over lstm-attention-T20's forward pass (batch 64, LSTM(64), 20
// steps), on pre-activations of standard deviation range(0) / 4: its cost next to the recurrent
// product above is what predict pays besides GEMM. The kernel overwrites its input with the
// activations, so each iteration restores the pre-activations first, outside the timing.
void BM_LstmGates(benchmark::State& state) {
  const int batch = 64, units = 64, steps = 20;
  const float scale = static_cast<float>(state.range(0)) / 4.f;
  auto z = randomMatrix(int64_t(steps) * batch * 4 * units, 5);
  for (auto& v : z) v *= scale;
  std::vector<float> gates(z.size()), c(int64_t(steps + 1) * batch * units), tanhC(c.size()), h(c.size());
  for (auto _ : state) {
    state.PauseTiming();
    std::copy(z.begin(), z.end(), gates.begin());
    state.ResumeTiming();
    for (int t = 0; t < steps; ++t) {
      const int64_t state0 = int64_t(t) * batch * units, state1 = state0 + int64_t(batch) * units;
      attn::kernels::LstmForwardStep s;
      s.batch = batch;
      s.units = units;
      s.gates = {gates.data() + int64_t(t) * batch * 4 * units, 4 * units};
      s.cPrev = {c.data() + state0, units};
      s.hPrev = {h.data() + state0, units};
      s.c = {c.data() + state1, units};
      s.tanhC = {tanhC.data() + state1, units};
      s.h = {h.data() + state1, units};
      attn::kernels::lstmForwardStep(s);
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * steps * batch * units);
}
BENCHMARK(BM_LstmGates)->ArgName("std_x4")->Arg(2)->Arg(4)->Arg(8);

void BM_Activation(benchmark::State& state) {
  const auto act = static_cast<attn::Activation>(state.range(0));
  const int64_t n = 1 << 16;
  auto x = randomMatrix(n, 3);
  std::vector<float> y(n);
  for (auto _ : state) {
    attn::kernels::activationForward(act, x.data(), y.data(), n, 64);
    benchmark::ClobberMemory();
  }
  state.SetLabel(attn::activationName(act));
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Activation)->DenseRange(0, 7);

void BM_Softmax(benchmark::State& state) {
  const int rows = 1024, cols = static_cast<int>(state.range(0));
  auto x = randomMatrix(int64_t(rows) * cols, 4);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    attn::kernels::softmax(x.data(), y.data(), rows, cols, 1);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * rows * cols);
}
BENCHMARK(BM_Softmax)->Arg(16)->Arg(128);

}  // namespace
