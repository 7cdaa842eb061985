// Fused pointwise gate math of the recurrent layers, one time step over `batch` rows. The
// matrix products (x W, h U, dz U^T) stay in gemm; these kernels do everything between them in
// one pass over the gates so no step touches memory twice.
//
// Every operand is a set of rows: row r of operand p starts at p + r * pStride (the layers keep
// whole sequences in (B, T, ...) buffers and step through them with a time offset, so strides are
// usually T * width). `keep` (optional, may be nullptr) is the step's mask, one value per row at
// keep[r * keepStride]: a row with keep == 0 carries its state over unchanged (Keras masking)
// and, backward, passes its gradients through to the previous step with zero gate gradients.
//
// Gate blocks follow Keras: LSTM [i, f, c, o] (width 4U), GRU [z, r, h] (width 3U); sigma is the
// gate ("recurrent") activation, the cell activation is tanh.
#pragma once
#include <cstdint>

namespace attn::kernels {

// The gates' activation: the logistic sigmoid (Keras' default) or TF.js' default hard sigmoid,
// clip(0.2 x + 0.5, 0, 1). Backward passes need only its output y: y(1-y), or 0.2 inside (0, 1).
enum class GateActivation { Sigmoid, HardSigmoid };

struct Rows {
  float* data = nullptr;
  int64_t stride = 0;
  float* row(int r) const { return data + r * stride; }
};
struct ConstRows {
  const float* data = nullptr;
  int64_t stride = 0;
  ConstRows() = default;
  ConstRows(const float* d, int64_t s) : data(d), stride(s) {}
  ConstRows(Rows r) : data(r.data), stride(r.stride) {}  // NOLINT: a writable view reads too
  const float* row(int r) const { return data + r * stride; }
};

// ---- LSTM ----
struct LstmForwardStep {
  int batch = 0, units = 0;
  Rows gates;  // in: z = x W + b + h_prev U; out: i, f, g, o after their activations
  ConstRows cPrev, hPrev;
  Rows c, tanhC, h;  // out: c = f * c_prev + i * g, tanh(c), h = o * tanh(c)
  ConstRows keep;    // optional
  GateActivation gate = GateActivation::Sigmoid;
};
void lstmForwardStep(const LstmForwardStep& s);

struct LstmBackwardStep {
  int batch = 0, units = 0;
  ConstRows gates;  // i, f, g, o as the forward step left them
  ConstRows cPrev, tanhC;
  ConstRows dh;    // dL/dh_t, everything that reaches h_t
  Rows dc;         // in: dL/dc_t from later steps; out: dL/dc_{t-1}
  Rows dGates;     // out (written): dL/dz for the four blocks
  Rows dhPrev;     // out (written): dh for carried rows, 0 otherwise (the caller adds dz U^T)
  ConstRows keep;  // optional
  GateActivation gate = GateActivation::Sigmoid;
};
void lstmBackwardStep(const LstmBackwardStep& s);

// ---- GRU, reset after the recurrent product (Keras reset_after=True) ----
// h~ = tanh(x_h + r * inner_h), inner = h_prev U + b_rec.
struct GruForwardStep {
  int batch = 0, units = 0;
  Rows gates;       // in: x W + b_in [z r h]; out: z, r, h~
  ConstRows inner;  // h_prev U + b_rec [z r h]
  ConstRows hPrev;
  Rows h;  // out: h = z * h_prev + (1 - z) * h~
  ConstRows keep;
  GateActivation gate = GateActivation::Sigmoid;
};
void gruForwardStep(const GruForwardStep& s);

struct GruBackwardStep {
  int batch = 0, units = 0;
  ConstRows gates, inner, hPrev, dh;
  Rows dX;      // out (written): dL/d(x W + b_in)
  Rows dInner;  // out (written): dL/d(h_prev U + b_rec)
  Rows dhPrev;  // out (written): the direct part dh * z (dInner U^T is added by the caller)
  ConstRows keep;
  GateActivation gate = GateActivation::Sigmoid;
};
void gruBackwardStep(const GruBackwardStep& s);

// ---- GRU, reset before the recurrent product (Keras reset_after=False) ----
// Two halves around the product (r * h_prev) U_h:
//   gates:  z, r = sigma(x_zr + h_prev U_zr);  rh = r * h_prev
//   output: h~ = tanh(x_h + rh U_h);  h = z * h_prev + (1 - z) * h~
struct GruGatesStep {
  int batch = 0, units = 0;
  Rows gates;  // in: x W + b [z r h] with h_prev U_zr added to z, r; out: z, r activated
  ConstRows hPrev;
  Rows rh;  // out: r * h_prev
  GateActivation gate = GateActivation::Sigmoid;
};
void gruResetBeforeGates(const GruGatesStep& s);

struct GruOutputStep {
  int batch = 0, units = 0;
  Rows gates;        // in: z, r, x_h + b_h; out: block h becomes h~
  ConstRows innerH;  // rh U_h
  ConstRows hPrev;
  Rows h;
  ConstRows keep;
};
void gruResetBeforeOutput(const GruOutputStep& s);

// Backward in the reverse order: first dz, dh~ (needs nothing from the product), then, after the
// caller computed d(rh) = dA_h U_h^T, dr.
struct GruResetBeforeBackwardOutput {
  int batch = 0, units = 0;
  ConstRows gates, hPrev, dh;
  Rows dX;      // out: blocks z and h of dL/d(x W + b) (block r is written by the second half)
  Rows dhPrev;  // out (written): dh * z
  ConstRows keep;
  GateActivation gate = GateActivation::Sigmoid;
};
void gruResetBeforeBackwardOutput(const GruResetBeforeBackwardOutput& s);

struct GruResetBeforeBackwardGates {
  int batch = 0, units = 0;
  ConstRows gates, hPrev;
  ConstRows dRh;  // dL/d(r * h_prev)
  Rows dX;        // out: block r
  Rows dhPrev;    // in/out: += dRh * r
  ConstRows keep;
  GateActivation gate = GateActivation::Sigmoid;
};
void gruResetBeforeBackwardGates(const GruResetBeforeBackwardGates& s);

}  // namespace attn::kernels

// Naive twins: the same contracts, written for obviousness (the tests' oracle).
namespace attn::reference {
void lstmForwardStep(const kernels::LstmForwardStep& s);
void lstmBackwardStep(const kernels::LstmBackwardStep& s);
void gruForwardStep(const kernels::GruForwardStep& s);
void gruBackwardStep(const kernels::GruBackwardStep& s);
void gruResetBeforeGates(const kernels::GruGatesStep& s);
void gruResetBeforeOutput(const kernels::GruOutputStep& s);
void gruResetBeforeBackwardOutput(const kernels::GruResetBeforeBackwardOutput& s);
void gruResetBeforeBackwardGates(const kernels::GruResetBeforeBackwardGates& s);
}  // namespace attn::reference
