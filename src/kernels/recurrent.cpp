// Fused LSTM/GRU gate kernels with xsimd. Each kernel's per-unit math is written once as a
// generic lambda and instantiated for a SIMD batch (the body) and for float (the tail), so the
// vector and scalar paths cannot drift apart.
#include "kernels/recurrent.h"

#include <algorithm>
#include <cmath>

#include "kernels/simd.h"

namespace attn::kernels {
namespace {

using simd::Batch;
using simd::load;
using simd::store;

inline float insideUnit(float y, float slope) { return y > 0.f && y < 1.f ? slope : 0.f; }
inline Batch insideUnit(const Batch& y, float slope) {
  return xsimd::select((y > Batch(0.f)) & (y < Batch(1.f)), Batch(slope), Batch(0.f));
}

// The gate activation and its derivative expressed through its output y.
template <GateActivation A, class V>
inline V gate(const V& x) {
  if constexpr (A == GateActivation::Sigmoid)
    return simd::gateSigmoid(x);
  else
    return simd::clampKeepingNaN(V(0.2f) * x + V(0.5f), 0.f, 1.f);
}
template <GateActivation A, class V>
inline V gateSlope(const V& y) {
  if constexpr (A == GateActivation::Sigmoid)
    return y * (V(1.f) - y);
  else
    return insideUnit(y, 0.2f);
}

// Runs body.operator()<V>(j) over the units: SIMD batches first, then the scalar tail.
template <class Body>
inline void forEachUnit(int units, Body&& body) {
  simd::forEachLane(units, body);
}

inline bool kept(const ConstRows& keep, int r) { return !keep.data || keep.row(r)[0] != 0.f; }

void copyRow(const float* from, float* to, int n) {
  for (int j = 0; j < n; ++j) to[j] = from[j];
}
void zeroRow(float* to, int n) {
  for (int j = 0; j < n; ++j) to[j] = 0.f;
}

}  // namespace

template <GateActivation A>
void lstmForwardStepImpl(const LstmForwardStep& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r) {
    float* g = s.gates.row(r);
    const float* cp = s.cPrev.row(r);
    const float* hp = s.hPrev.row(r);
    float* c = s.c.row(r);
    float* tc = s.tanhC.row(r);
    float* h = s.h.row(r);
    const bool keep = kept(s.keep, r);
    // i, f, o = sigma(z); g = tanh(z); c = f c_prev + i g; h = o tanh(c)  (masked: c, h carried).
    // The activations run first over the row's gate blocks, then the cell update: each loop body
    // is short and independent from one batch to the next, which the CPU overlaps better.
    forEachUnit(2 * U, [&]<class V>(int j) { store(g + j, gate<A>(load<V>(g + j))); });
    forEachUnit(U, [&]<class V>(int j) { store(g + 2 * U + j, simd::tanh(load<V>(g + 2 * U + j))); });
    forEachUnit(U, [&]<class V>(int j) { store(g + 3 * U + j, gate<A>(load<V>(g + 3 * U + j))); });
    forEachUnit(U, [&]<class V>(int j) {
      const V i = load<V>(g + j), f = load<V>(g + U + j), cand = load<V>(g + 2 * U + j), o = load<V>(g + 3 * U + j);
      if (keep) {
        const V cNew = f * load<V>(cp + j) + i * cand;
        const V t = simd::tanh(cNew);
        store(c + j, cNew);
        store(tc + j, t);
        store(h + j, o * t);
      } else {
        const V cOld = load<V>(cp + j);
        store(c + j, cOld);
        store(tc + j, simd::tanh(cOld));
        store(h + j, load<V>(hp + j));
      }
    });
  }
}

template <GateActivation A>
void lstmBackwardStepImpl(const LstmBackwardStep& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r) {
    float* dg = s.dGates.row(r);
    float* dhp = s.dhPrev.row(r);
    if (!kept(s.keep, r)) {  // the state was carried: dh, dc pass through unchanged, no gate gradient
      zeroRow(dg, 4 * U);
      copyRow(s.dh.row(r), dhp, U);
      continue;
    }
    zeroRow(dhp, U);
    const float* g = s.gates.row(r);
    const float* cp = s.cPrev.row(r);
    const float* tc = s.tanhC.row(r);
    const float* dh = s.dh.row(r);
    float* dc = s.dc.row(r);
    // dc_t += dh o (1 - tanh^2 c); dz_i = dc g i(1-i); dz_f = dc c_prev f(1-f); dz_g = dc i (1-g^2);
    // dz_o = dh tanh(c) o(1-o); dc_{t-1} = dc_t f
    forEachUnit(U, [&]<class V>(int j) {
      const V one(1.f);
      const V i = load<V>(g + j), f = load<V>(g + U + j), cand = load<V>(g + 2 * U + j), o = load<V>(g + 3 * U + j);
      const V t = load<V>(tc + j), gradH = load<V>(dh + j);
      const V gradC = load<V>(dc + j) + gradH * o * (one - t * t);
      store(dg + j, gradC * cand * gateSlope<A>(i));
      store(dg + U + j, gradC * load<V>(cp + j) * gateSlope<A>(f));
      store(dg + 2 * U + j, gradC * i * (one - cand * cand));
      store(dg + 3 * U + j, gradH * t * gateSlope<A>(o));
      store(dc + j, gradC * f);
    });
  }
}

template <GateActivation A>
void gruForwardStepImpl(const GruForwardStep& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r) {
    float* g = s.gates.row(r);
    const float* in = s.inner.row(r);
    const float* hp = s.hPrev.row(r);
    float* h = s.h.row(r);
    const bool keep = kept(s.keep, r);
    // z = sigma(x_z + in_z); r = sigma(x_r + in_r); h~ = tanh(x_h + r in_h); h = z h_prev + (1-z) h~
    forEachUnit(U, [&]<class V>(int j) {
      const V z = gate<A>(load<V>(g + j) + load<V>(in + j));
      const V reset = gate<A>(load<V>(g + U + j) + load<V>(in + U + j));
      const V cand = simd::tanh(load<V>(g + 2 * U + j) + reset * load<V>(in + 2 * U + j));
      store(g + j, z);
      store(g + U + j, reset);
      store(g + 2 * U + j, cand);
      const V prev = load<V>(hp + j);
      store(h + j, keep ? V(z * prev + (V(1.f) - z) * cand) : prev);
    });
  }
}

template <GateActivation A>
void gruBackwardStepImpl(const GruBackwardStep& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r) {
    float* dx = s.dX.row(r);
    float* din = s.dInner.row(r);
    float* dhp = s.dhPrev.row(r);
    if (!kept(s.keep, r)) {
      zeroRow(dx, 3 * U);
      zeroRow(din, 3 * U);
      copyRow(s.dh.row(r), dhp, U);
      continue;
    }
    const float* g = s.gates.row(r);
    const float* in = s.inner.row(r);
    const float* hp = s.hPrev.row(r);
    const float* dh = s.dh.row(r);
    // da_z = dh (h_prev - h~) z(1-z); da_h = dh (1-z)(1-h~^2); da_r = da_h in_h r(1-r);
    // d in_h = da_h r; dh_prev = dh z
    forEachUnit(U, [&]<class V>(int j) {
      const V one(1.f);
      const V z = load<V>(g + j), reset = load<V>(g + U + j), cand = load<V>(g + 2 * U + j);
      const V gradH = load<V>(dh + j), prev = load<V>(hp + j), innerH = load<V>(in + 2 * U + j);
      const V dz = gradH * (prev - cand) * gateSlope<A>(z);
      const V da = gradH * (one - z) * (one - cand * cand);
      const V dr = da * innerH * gateSlope<A>(reset);
      store(dx + j, dz);
      store(dx + U + j, dr);
      store(dx + 2 * U + j, da);
      store(din + j, dz);
      store(din + U + j, dr);
      store(din + 2 * U + j, da * reset);
      store(dhp + j, gradH * z);
    });
  }
}

template <GateActivation A>
void gruResetBeforeGatesImpl(const GruGatesStep& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r) {
    float* g = s.gates.row(r);
    const float* hp = s.hPrev.row(r);
    float* rh = s.rh.row(r);
    // z = sigma(a_z); r = sigma(a_r); rh = r h_prev
    forEachUnit(U, [&]<class V>(int j) {
      const V z = gate<A>(load<V>(g + j));
      const V reset = gate<A>(load<V>(g + U + j));
      store(g + j, z);
      store(g + U + j, reset);
      store(rh + j, reset * load<V>(hp + j));
    });
  }
}

void gruResetBeforeOutput(const GruOutputStep& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r) {
    float* g = s.gates.row(r);
    const float* inH = s.innerH.row(r);
    const float* hp = s.hPrev.row(r);
    float* h = s.h.row(r);
    const bool keep = kept(s.keep, r);
    // h~ = tanh(x_h + rh U_h); h = z h_prev + (1-z) h~
    forEachUnit(U, [&]<class V>(int j) {
      const V z = load<V>(g + j);
      const V cand = simd::tanh(load<V>(g + 2 * U + j) + load<V>(inH + j));
      store(g + 2 * U + j, cand);
      const V prev = load<V>(hp + j);
      store(h + j, keep ? V(z * prev + (V(1.f) - z) * cand) : prev);
    });
  }
}

template <GateActivation A>
void gruResetBeforeBackwardOutputImpl(const GruResetBeforeBackwardOutput& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r) {
    float* dx = s.dX.row(r);
    float* dhp = s.dhPrev.row(r);
    if (!kept(s.keep, r)) {
      zeroRow(dx, U);
      zeroRow(dx + 2 * U, U);
      copyRow(s.dh.row(r), dhp, U);
      continue;
    }
    const float* g = s.gates.row(r);
    const float* hp = s.hPrev.row(r);
    const float* dh = s.dh.row(r);
    // da_z = dh (h_prev - h~) z(1-z); da_h = dh (1-z)(1-h~^2); dh_prev = dh z
    forEachUnit(U, [&]<class V>(int j) {
      const V one(1.f);
      const V z = load<V>(g + j), cand = load<V>(g + 2 * U + j), gradH = load<V>(dh + j);
      store(dx + j, gradH * (load<V>(hp + j) - cand) * gateSlope<A>(z));
      store(dx + 2 * U + j, gradH * (one - z) * (one - cand * cand));
      store(dhp + j, gradH * z);
    });
  }
}

template <GateActivation A>
void gruResetBeforeBackwardGatesImpl(const GruResetBeforeBackwardGates& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r) {
    float* dx = s.dX.row(r);
    if (!kept(s.keep, r)) {
      zeroRow(dx + U, U);
      continue;
    }
    const float* g = s.gates.row(r);
    const float* hp = s.hPrev.row(r);
    const float* drh = s.dRh.row(r);
    float* dhp = s.dhPrev.row(r);
    // da_r = d(rh) h_prev r(1-r); dh_prev += d(rh) r
    forEachUnit(U, [&]<class V>(int j) {
      const V reset = load<V>(g + U + j), grad = load<V>(drh + j);
      store(dx + U + j, grad * load<V>(hp + j) * gateSlope<A>(reset));
      store(dhp + j, load<V>(dhp + j) + grad * reset);
    });
  }
}

// The gate activation is chosen once per call, outside every loop.
void lstmForwardStep(const LstmForwardStep& s) {
  if (s.gate == GateActivation::Sigmoid) return lstmForwardStepImpl<GateActivation::Sigmoid>(s);
  lstmForwardStepImpl<GateActivation::HardSigmoid>(s);
}

void lstmBackwardStep(const LstmBackwardStep& s) {
  if (s.gate == GateActivation::Sigmoid) return lstmBackwardStepImpl<GateActivation::Sigmoid>(s);
  lstmBackwardStepImpl<GateActivation::HardSigmoid>(s);
}

void gruForwardStep(const GruForwardStep& s) {
  if (s.gate == GateActivation::Sigmoid) return gruForwardStepImpl<GateActivation::Sigmoid>(s);
  gruForwardStepImpl<GateActivation::HardSigmoid>(s);
}

void gruBackwardStep(const GruBackwardStep& s) {
  if (s.gate == GateActivation::Sigmoid) return gruBackwardStepImpl<GateActivation::Sigmoid>(s);
  gruBackwardStepImpl<GateActivation::HardSigmoid>(s);
}

void gruResetBeforeGates(const GruGatesStep& s) {
  if (s.gate == GateActivation::Sigmoid) return gruResetBeforeGatesImpl<GateActivation::Sigmoid>(s);
  gruResetBeforeGatesImpl<GateActivation::HardSigmoid>(s);
}

void gruResetBeforeBackwardOutput(const GruResetBeforeBackwardOutput& s) {
  if (s.gate == GateActivation::Sigmoid) return gruResetBeforeBackwardOutputImpl<GateActivation::Sigmoid>(s);
  gruResetBeforeBackwardOutputImpl<GateActivation::HardSigmoid>(s);
}

void gruResetBeforeBackwardGates(const GruResetBeforeBackwardGates& s) {
  if (s.gate == GateActivation::Sigmoid) return gruResetBeforeBackwardGatesImpl<GateActivation::Sigmoid>(s);
  gruResetBeforeBackwardGatesImpl<GateActivation::HardSigmoid>(s);
}

}  // namespace attn::kernels
