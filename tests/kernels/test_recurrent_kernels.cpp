// The fused recurrent kernels against their naive twins: every unit count that exercises a
// different SIMD body/tail split, row strides wider than the rows, and a mask that carries some
// rows over. Each case runs the SIMD kernel and the twin on identical copies of every buffer
// and compares every buffer afterwards (so writes outside the contract are caught too).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "core/random.h"
#include "kernels/recurrent.h"

namespace attn::recurrent_kernels_test {
namespace {

using kernels::ConstRows;
using kernels::Rows;

using kernels::GateActivation;

const int kUnits[] = {1, 3, 7, 8, 17, 129};
const GateActivation kGates[] = {GateActivation::Sigmoid, GateActivation::HardSigmoid};

// The gate activation in float, to prepare "already activated" buffers for the backward kernels;
// the hard sigmoid also produces exact 0s and 1s there (its zero-slope region).
float activateGate(GateActivation a, float x) {
  if (a == GateActivation::Sigmoid) return 1.f / (1.f + std::exp(-x));
  return std::min(std::max(0.2f * x + 0.5f, 0.f), 1.f);
}
constexpr int kBatch = 3;

// A set of named buffers; the test builds kernel arguments over one copy and the twin's over
// another, then compares them buffer by buffer.
struct Buffers {
  std::vector<std::vector<float>> data;
  int add(size_t n, Rng& rng, float scale = 1.5f) {
    std::vector<float> v(n);
    for (auto& x : v) x = scale * rng.normal();
    data.push_back(std::move(v));
    return static_cast<int>(data.size()) - 1;
  }
  Rows rows(int id, int64_t stride) { return {data[id].data(), stride}; }
};

void expectSame(const Buffers& got, const Buffers& want, const char* what, int units) {
  for (size_t b = 0; b < got.data.size(); ++b)
    for (size_t i = 0; i < got.data[b].size(); ++i)
      ASSERT_NEAR(got.data[b][i], want.data[b][i], 2e-6f + 2e-6f * std::fabs(want.data[b][i]))
          << what << " units=" << units << " buffer " << b << " element " << i;
}

// Runs `call(buffers, useReference)` on two identical buffer sets and compares.
void compare(const char* what, int units, const std::function<void(Buffers&, int)>& setup,
             const std::function<void(Buffers&, bool)>& call) {
  Buffers kernel, twin;
  setup(kernel, units);
  twin = kernel;
  call(kernel, false);
  call(twin, true);
  expectSame(kernel, twin, what, units);
}

// keep: row 1 masked out, the others kept; stride 2 as a (B, T=2) mask read at one step.
std::vector<float> keepColumn() { return {1.f, 0.f, 0.f, 7.f, 1.f, 0.f}; }

TEST(RecurrentKernels, LstmForwardAndBackwardMatchTwins) {
  const std::vector<float> keep = keepColumn();
  for (int U : kUnits)
    for (bool masked : {false, true})
      for (GateActivation gateKind : kGates) {
        SCOPED_TRACE(gateKind == GateActivation::Sigmoid ? "sigmoid gates" : "hard sigmoid gates");
        const ConstRows keepRows = masked ? ConstRows(keep.data(), 2) : ConstRows();
        const int64_t gs = 4 * U + 5, ss = U + 3;  // strides wider than the rows
        auto setup = [&](Buffers& b, int) {
          Rng rng(U * 7 + masked);
          for (int k = 0; k < 5; ++k) b.add(kBatch * gs, rng);  // gates, dGates, and spare
          for (int k = 0; k < 9; ++k) b.add(kBatch * ss, rng);  // cPrev hPrev c tanhC h dh dc dhPrev spare
        };
        compare("lstm forward", U, setup, [&](Buffers& b, bool ref) {
          kernels::LstmForwardStep s{
              kBatch,        U,       b.rows(0, gs), b.rows(5, ss), b.rows(6, ss), b.rows(7, ss), b.rows(8, ss),
              b.rows(9, ss), keepRows};
          s.gate = gateKind;
          ref ? reference::lstmForwardStep(s) : kernels::lstmForwardStep(s);
        });
        // Backward reads activated gates: squash buffer 0 into (0, 1) first.
        auto setupBackward = [&](Buffers& b, int units) {
          setup(b, units);
          for (auto& v : b.data[0]) v = activateGate(gateKind, v);
          for (auto& v : b.data[8]) v = std::tanh(v);
        };
        compare("lstm backward", U, setupBackward, [&](Buffers& b, bool ref) {
          kernels::LstmBackwardStep s{kBatch,         U,
                                      b.rows(0, gs),  b.rows(5, ss),
                                      b.rows(8, ss),  b.rows(10, ss),
                                      b.rows(11, ss), b.rows(1, gs),
                                      b.rows(12, ss), keepRows};
          s.gate = gateKind;
          ref ? reference::lstmBackwardStep(s) : kernels::lstmBackwardStep(s);
        });
      }
}

TEST(RecurrentKernels, GruResetAfterMatchesTwins) {
  const std::vector<float> keep = keepColumn();
  for (int U : kUnits)
    for (bool masked : {false, true})
      for (GateActivation gateKind : kGates) {
        SCOPED_TRACE(gateKind == GateActivation::Sigmoid ? "sigmoid gates" : "hard sigmoid gates");
        const ConstRows keepRows = masked ? ConstRows(keep.data(), 2) : ConstRows();
        const int64_t gs = 3 * U + 2, ss = U + 1;
        auto setup = [&](Buffers& b, int) {
          Rng rng(U * 11 + masked);
          for (int k = 0; k < 4; ++k) b.add(kBatch * gs, rng);  // gates inner dX dInner
          for (int k = 0; k < 4; ++k) b.add(kBatch * ss, rng);  // hPrev h dh dhPrev
        };
        compare("gru forward", U, setup, [&](Buffers& b, bool ref) {
          kernels::GruForwardStep s{kBatch, U, b.rows(0, gs), b.rows(1, gs), b.rows(4, ss), b.rows(5, ss), keepRows};
          s.gate = gateKind;
          ref ? reference::gruForwardStep(s) : kernels::gruForwardStep(s);
        });
        auto setupBackward = [&](Buffers& b, int units) {
          setup(b, units);
          for (size_t i = 0; i < b.data[0].size(); ++i) {
            const bool candidateBlock = (i % gs) >= size_t(2 * U);
            b.data[0][i] = candidateBlock ? std::tanh(b.data[0][i]) : activateGate(gateKind, b.data[0][i]);
          }
        };
        compare("gru backward", U, setupBackward, [&](Buffers& b, bool ref) {
          kernels::GruBackwardStep s{kBatch,        U,
                                     b.rows(0, gs), b.rows(1, gs),
                                     b.rows(4, ss), b.rows(6, ss),
                                     b.rows(2, gs), b.rows(3, gs),
                                     b.rows(7, ss), keepRows};
          s.gate = gateKind;
          ref ? reference::gruBackwardStep(s) : kernels::gruBackwardStep(s);
        });
      }
}

TEST(RecurrentKernels, GruResetBeforeMatchesTwins) {
  const std::vector<float> keep = keepColumn();
  for (int U : kUnits)
    for (bool masked : {false, true})
      for (GateActivation gateKind : kGates) {
        SCOPED_TRACE(gateKind == GateActivation::Sigmoid ? "sigmoid gates" : "hard sigmoid gates");
        const ConstRows keepRows = masked ? ConstRows(keep.data(), 2) : ConstRows();
        const int64_t gs = 3 * U + 4, ss = U + 2;
        auto setup = [&](Buffers& b, int) {
          Rng rng(U * 13 + masked);
          for (int k = 0; k < 2; ++k) b.add(kBatch * gs, rng);  // gates dX
          for (int k = 0; k < 6; ++k) b.add(kBatch * ss, rng);  // hPrev rh innerH h dh/dRh dhPrev
        };
        compare("gru reset-before gates", U, setup, [&](Buffers& b, bool ref) {
          kernels::GruGatesStep s{kBatch, U, b.rows(0, gs), b.rows(2, ss), b.rows(3, ss)};
          s.gate = gateKind;
          ref ? reference::gruResetBeforeGates(s) : kernels::gruResetBeforeGates(s);
        });
        compare("gru reset-before output", U, setup, [&](Buffers& b, bool ref) {
          kernels::GruOutputStep s{kBatch, U, b.rows(0, gs), b.rows(4, ss), b.rows(2, ss), b.rows(5, ss), keepRows};

          ref ? reference::gruResetBeforeOutput(s) : kernels::gruResetBeforeOutput(s);
        });
        auto setupBackward = [&](Buffers& b, int units) {
          setup(b, units);
          for (auto& v : b.data[0]) v = activateGate(gateKind, v);
        };
        compare("gru reset-before backward output", U, setupBackward, [&](Buffers& b, bool ref) {
          kernels::GruResetBeforeBackwardOutput s{
              kBatch, U, b.rows(0, gs), b.rows(2, ss), b.rows(6, ss), b.rows(1, gs), b.rows(7, ss), keepRows};
          s.gate = gateKind;
          ref ? reference::gruResetBeforeBackwardOutput(s) : kernels::gruResetBeforeBackwardOutput(s);
        });
        compare("gru reset-before backward gates", U, setupBackward, [&](Buffers& b, bool ref) {
          kernels::GruResetBeforeBackwardGates s{
              kBatch, U, b.rows(0, gs), b.rows(2, ss), b.rows(6, ss), b.rows(1, gs), b.rows(7, ss), keepRows};
          s.gate = gateKind;
          ref ? reference::gruResetBeforeBackwardGates(s) : kernels::gruResetBeforeBackwardGates(s);
        });
      }
}

// The gates' own activations (src/kernels/simd.h): sigmoid to 2.5e-7 absolute and tanh to 5e-7
// relative, from -20 to 20, against double precision, in the SIMD body and the scalar tail (67
// units); a NaN pre-activation gives NaN (a diverging model must not look healthy).
TEST(RecurrentKernels, LstmGateActivationsAreAccurate) {
  const int U = 67, rows = 400;
  std::vector<float> gates(rows * 4 * U), state(rows * U, 0.f), c(rows * U), tc(rows * U), h(rows * U);
  const auto step = [&](float* z, int batch, GateActivation gate = GateActivation::Sigmoid) {
    kernels::lstmForwardStep({batch,
                              U,
                              {z, 4 * U},
                              {state.data(), U},
                              {state.data(), U},
                              {c.data(), U},
                              {tc.data(), U},
                              {h.data(), U},
                              {},
                              gate});
  };
  const auto input = [&](int r, int j) { return -20.f + 40.f * float(r * U + j) / float(rows * U - 1); };
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < 4 * U; ++j) gates[r * 4 * U + j] = input(r, j % U);
  step(gates.data(), rows);
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < U; ++j) {
      const double x = input(r, j), sigma = 1.0 / (1.0 + std::exp(-x)), t = std::tanh(x);
      const float* g = gates.data() + r * 4 * U;
      ASSERT_NEAR(g[j], sigma, 2.5e-7) << "input gate at " << x;
      ASSERT_NEAR(g[U + j], sigma, 2.5e-7) << "forget gate at " << x;
      ASSERT_NEAR(g[3 * U + j], sigma, 2.5e-7) << "output gate at " << x;
      ASSERT_NEAR(g[2 * U + j], t, 5e-7 * std::fabs(t) + 1e-37) << "candidate at " << x;
    }
  std::vector<float> nan(4 * U, std::nanf(""));
  step(nan.data(), 1);
  for (int j = 0; j < 4 * U; ++j) ASSERT_TRUE(std::isnan(nan[j])) << j;
  for (int j = 0; j < U; ++j) ASSERT_TRUE(std::isnan(h[j])) << j;
  // The hard sigmoid's clip keeps NaN too, in the SIMD body as in the scalar tail.
  std::vector<float> hardNaN(4 * U, std::nanf(""));
  step(hardNaN.data(), 1, GateActivation::HardSigmoid);
  for (int j = 0; j < 4 * U; ++j) ASSERT_TRUE(std::isnan(hardNaN[j])) << "hard sigmoid, gate value " << j;
}

// Saturated inputs must stay finite (sigmoid via exp(-x) overflows to inf for very negative x).
TEST(RecurrentKernels, LstmSaturatesWithoutNaN) {
  const int U = 9;
  std::vector<float> gates(4 * U), state(U, 0.f), c(U), tc(U), h(U);
  for (int j = 0; j < 4 * U; ++j) gates[j] = (j % 2 ? 1.f : -1.f) * 200.f;
  kernels::lstmForwardStep({1,
                            U,
                            {gates.data(), 4 * U},
                            {state.data(), U},
                            {state.data(), U},
                            {c.data(), U},
                            {tc.data(), U},
                            {h.data(), U},
                            {}});
  for (int j = 0; j < U; ++j) {
    EXPECT_TRUE(std::isfinite(h[j]) && std::isfinite(c[j])) << j;
    EXPECT_LE(std::fabs(h[j]), 1.f);
  }
}

}  // namespace
}  // namespace attn::recurrent_kernels_test
