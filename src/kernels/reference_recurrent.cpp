// Naive twins of the fused recurrent kernels: one unit at a time, in double, straight from the
// Keras formulas. The tests' oracle for src/kernels/recurrent.cpp.
#include <algorithm>
#include <cmath>

#include "kernels/recurrent.h"

namespace attn::reference {
namespace {

using kernels::ConstRows;

double gate(kernels::GateActivation a, double x) {
  if (a == kernels::GateActivation::Sigmoid) return 1.0 / (1.0 + std::exp(-x));
  return std::min(std::max(0.2 * x + 0.5, 0.0), 1.0);
}
// The derivative through the output y = gate(x).
double gateSlope(kernels::GateActivation a, double y) {
  if (a == kernels::GateActivation::Sigmoid) return y * (1 - y);
  return y > 0 && y < 1 ? 0.2 : 0.0;
}
bool kept(const ConstRows& keep, int r) { return !keep.data || keep.row(r)[0] != 0.f; }

}  // namespace

void lstmForwardStep(const kernels::LstmForwardStep& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r)
    for (int j = 0; j < U; ++j) {
      float* g = s.gates.row(r);
      const double i = gate(s.gate, g[j]), f = gate(s.gate, g[U + j]), cand = std::tanh(g[2 * U + j]),
                   o = gate(s.gate, g[3 * U + j]);
      g[j] = float(i);
      g[U + j] = float(f);
      g[2 * U + j] = float(cand);
      g[3 * U + j] = float(o);
      const double c = kept(s.keep, r) ? f * s.cPrev.row(r)[j] + i * cand : s.cPrev.row(r)[j];
      s.c.row(r)[j] = float(c);
      s.tanhC.row(r)[j] = float(std::tanh(c));
      s.h.row(r)[j] = kept(s.keep, r) ? float(o * std::tanh(c)) : s.hPrev.row(r)[j];
    }
}

void lstmBackwardStep(const kernels::LstmBackwardStep& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r)
    for (int j = 0; j < U; ++j) {
      float* dg = s.dGates.row(r);
      if (!kept(s.keep, r)) {
        dg[j] = dg[U + j] = dg[2 * U + j] = dg[3 * U + j] = 0.f;
        s.dhPrev.row(r)[j] = s.dh.row(r)[j];
        continue;
      }
      const float* g = s.gates.row(r);
      const double i = g[j], f = g[U + j], cand = g[2 * U + j], o = g[3 * U + j];
      const double t = s.tanhC.row(r)[j], dh = s.dh.row(r)[j];
      const double dc = s.dc.row(r)[j] + dh * o * (1 - t * t);
      dg[j] = float(dc * cand * gateSlope(s.gate, i));
      dg[U + j] = float(dc * s.cPrev.row(r)[j] * gateSlope(s.gate, f));
      dg[2 * U + j] = float(dc * i * (1 - cand * cand));
      dg[3 * U + j] = float(dh * t * gateSlope(s.gate, o));
      s.dc.row(r)[j] = float(dc * f);
      s.dhPrev.row(r)[j] = 0.f;
    }
}

void gruForwardStep(const kernels::GruForwardStep& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r)
    for (int j = 0; j < U; ++j) {
      float* g = s.gates.row(r);
      const float* in = s.inner.row(r);
      const double z = gate(s.gate, double(g[j]) + in[j]);
      const double reset = gate(s.gate, double(g[U + j]) + in[U + j]);
      const double cand = std::tanh(g[2 * U + j] + reset * in[2 * U + j]);
      g[j] = float(z);
      g[U + j] = float(reset);
      g[2 * U + j] = float(cand);
      const double prev = s.hPrev.row(r)[j];
      s.h.row(r)[j] = kept(s.keep, r) ? float(z * prev + (1 - z) * cand) : float(prev);
    }
}

void gruBackwardStep(const kernels::GruBackwardStep& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r)
    for (int j = 0; j < U; ++j) {
      float* dx = s.dX.row(r);
      float* din = s.dInner.row(r);
      const double dh = s.dh.row(r)[j];
      if (!kept(s.keep, r)) {
        dx[j] = dx[U + j] = dx[2 * U + j] = din[j] = din[U + j] = din[2 * U + j] = 0.f;
        s.dhPrev.row(r)[j] = float(dh);
        continue;
      }
      const float* g = s.gates.row(r);
      const double z = g[j], reset = g[U + j], cand = g[2 * U + j];
      const double dz = dh * (s.hPrev.row(r)[j] - cand) * gateSlope(s.gate, z);
      const double da = dh * (1 - z) * (1 - cand * cand);
      const double dr = da * s.inner.row(r)[2 * U + j] * gateSlope(s.gate, reset);
      dx[j] = din[j] = float(dz);
      dx[U + j] = din[U + j] = float(dr);
      dx[2 * U + j] = float(da);
      din[2 * U + j] = float(da * reset);
      s.dhPrev.row(r)[j] = float(dh * z);
    }
}

void gruResetBeforeGates(const kernels::GruGatesStep& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r)
    for (int j = 0; j < U; ++j) {
      float* g = s.gates.row(r);
      g[j] = float(gate(s.gate, g[j]));
      g[U + j] = float(gate(s.gate, g[U + j]));
      s.rh.row(r)[j] = g[U + j] * s.hPrev.row(r)[j];
    }
}

void gruResetBeforeOutput(const kernels::GruOutputStep& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r)
    for (int j = 0; j < U; ++j) {
      float* g = s.gates.row(r);
      const double z = g[j];
      const double cand = std::tanh(double(g[2 * U + j]) + s.innerH.row(r)[j]);
      g[2 * U + j] = float(cand);
      const double prev = s.hPrev.row(r)[j];
      s.h.row(r)[j] = kept(s.keep, r) ? float(z * prev + (1 - z) * cand) : float(prev);
    }
}

void gruResetBeforeBackwardOutput(const kernels::GruResetBeforeBackwardOutput& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r)
    for (int j = 0; j < U; ++j) {
      float* dx = s.dX.row(r);
      const double dh = s.dh.row(r)[j];
      if (!kept(s.keep, r)) {
        dx[j] = dx[2 * U + j] = 0.f;
        s.dhPrev.row(r)[j] = float(dh);
        continue;
      }
      const float* g = s.gates.row(r);
      const double z = g[j], cand = g[2 * U + j];
      dx[j] = float(dh * (s.hPrev.row(r)[j] - cand) * gateSlope(s.gate, z));
      dx[2 * U + j] = float(dh * (1 - z) * (1 - cand * cand));
      s.dhPrev.row(r)[j] = float(dh * z);
    }
}

void gruResetBeforeBackwardGates(const kernels::GruResetBeforeBackwardGates& s) {
  const int U = s.units;
  for (int r = 0; r < s.batch; ++r)
    for (int j = 0; j < U; ++j) {
      float* dx = s.dX.row(r);
      if (!kept(s.keep, r)) {
        dx[U + j] = 0.f;
        continue;
      }
      const double reset = s.gates.row(r)[U + j], grad = s.dRh.row(r)[j];
      dx[U + j] = float(grad * s.hPrev.row(r)[j] * gateSlope(s.gate, reset));
      s.dhPrev.row(r)[j] = float(s.dhPrev.row(r)[j] + grad * reset);
    }
}

}  // namespace attn::reference
