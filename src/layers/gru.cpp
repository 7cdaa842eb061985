// GRU (Keras), gate blocks [z, r, h]:
//   z = sigma(x W_z + h_{t-1} U_z + b_z), r = sigma(x W_r + h_{t-1} U_r + b_r)
//   resetAfter:  h~ = tanh(x W_h + b_xh + r * (h_{t-1} U_h + b_hh))     bias (2, 3U): [input; recurrent]
//   !resetAfter: h~ = tanh(x W_h + (r * h_{t-1}) U_h + b_h)             bias (3U)
//   h_t = z h_{t-1} + (1 - z) h~
//   x (B, T, D) -> h (B, T, U) with returnSequences, else (B, U); returnState adds h_T (B, U)
//   kernel (D, 3U), recurrent_kernel (U, 3U)   [Keras layout]
// Masked steps (mask (B, T) == 0) carry h over unchanged; the output there is the carried h.
// The sequence (options, x W, the time loop, dW, db, dU, dx) is RecurrentLayer's; this is the step.
#include "kernels/kernels.h"
#include "layers/recurrent.h"
#include "layers/registry.h"

namespace attn {
namespace {

using kernels::ConstRows;
using kernels::Rows;
using kernels::Trans;

class Gru final : public RecurrentLayer {
 public:
  explicit Gru(const std::string& name) : RecurrentLayer(name, 3, 1, true) {}
  const char* className() const override { return "GRU"; }

 protected:
  void visitCellOptions(OptionList& o) override { o.boolean("resetAfter", resetAfter_, true); }
  Shape biasShape() const override { return resetAfter_ ? Shape{2, 3 * units()} : Shape{3 * units()}; }

  void beginForward(int batch, int steps) override {
    if (resetAfter_) {
      inner_.resize({batch, steps, 3 * units()});
    } else {
      resetState_.resize({batch, steps, units()});
      inner_.resize({batch, units()});  // one step's (r * h_{t-1}) U_h
    }
  }

  void forwardStep(const RecurrentForwardStep& s) override {
    const int U = s.units, G = 3 * U;
    const int64_t gateStride = s.gates.stride;
    if (resetAfter_) {
      float* in = inner_.data() + int64_t(s.time) * G;
      // inner = h_{t-1} U + b_rec
      for (int b = 0; b < s.batch; ++b) {
        if (useBias_)
          kernels::copy(bias_->value + G, in + b * gateStride, G);
        else
          kernels::fill(in + b * gateStride, 0.f, G);
      }
      recurrentProduct(s.batch, s.hPrev, 0, 3, 1.f, Rows{in, gateStride});
      kernels::gruForwardStep({s.batch, U, s.gates, ConstRows(in, gateStride), s.hPrev, s.h, s.keep, gate_});
    } else {
      // a_zr += h_{t-1} U_zr; then z, r and rh = r * h_{t-1}
      recurrentProduct(s.batch, s.hPrev, 0, 2, 1.f, s.gates);
      const Rows rh{resetState_.data() + int64_t(s.time) * U, s.h.stride};
      kernels::gruResetBeforeGates({s.batch, U, s.gates, s.hPrev, rh, gate_});
      // inner_h = rh U_h; h~ = tanh(a_h + inner_h); h = z h_{t-1} + (1 - z) h~
      recurrentProduct(s.batch, rh, 2, 1, 0.f, Rows{inner_.data(), U});
      kernels::gruResetBeforeOutput({s.batch, U, s.gates, ConstRows(inner_.data(), U), s.hPrev, s.h, s.keep});
    }
  }

  void beginBackward(const BackwardPass&, int batch, int steps) override {
    if (resetAfter_)
      dInner_.resize({batch, steps, 3 * units()});
    else
      dRh_.resize({batch, units()});
  }

  void backwardStep(const RecurrentBackwardStep& s) override {
    const int U = s.units, G = 3 * U;
    const int64_t gateStride = s.gates.stride;
    if (resetAfter_) {
      const Rows dInner{dInner_.data() + int64_t(s.time) * G, gateStride};
      // d(x W + b_in), d(inner), dh_{t-1} = dh z
      kernels::gruBackwardStep({s.batch, U, s.gates, ConstRows(inner_.data() + int64_t(s.time) * G, gateStride),
                                s.hPrev, s.dh, s.dGates, dInner, s.dhPrev, s.keep, gate_});
      // dh_{t-1} += d(inner) U^T
      if (s.step)
        recurrentProductTransposed(s.batch, dInner, 0, 3, 1.f, s.dhPrev);
    } else {
      // da_z, da_h, dh_{t-1} = dh z
      kernels::gruResetBeforeBackwardOutput({s.batch, U, s.gates, s.hPrev, s.dh, s.dGates, s.dhPrev, s.keep, gate_});
      // d(rh) = da_h U_h^T
      recurrentProductTransposed(s.batch, ConstRows(s.dGates.data + 2 * U, gateStride), 2, 1, 0.f, Rows{dRh_.data(), U});
      // da_r, dh_{t-1} += d(rh) r
      kernels::gruResetBeforeBackwardGates(
          {s.batch, U, s.gates, s.hPrev, ConstRows(dRh_.data(), U), s.dGates, s.dhPrev, s.keep, gate_});
      // dh_{t-1} += [da_z da_r] U_zr^T
      if (s.step)
        recurrentProductTransposed(s.batch, s.dGates, 0, 2, 1.f, s.dhPrev);
    }
  }

  void recurrentGradients(const float* previous, int rows) override {
    const int U = units(), G = 3 * U;
    if (resetAfter_) {
      // dU += H_prev^T d(inner), db_rec += sum d(inner)
      kernels::gemm(Trans::Yes, Trans::No, U, G, rows, 1.f, previous, U, dInner_.data(), G, 1.f, recurrent_->grad, G);
      if (useBias_) kernels::sumRows(dInner_.data(), bias_->grad + G, rows, G);
    } else {
      // dU_zr += H_prev^T [da_z da_r]; dU_h += RH^T da_h
      kernels::gemm(Trans::Yes, Trans::No, U, 2 * U, rows, 1.f, previous, U, dGates_.data(), G, 1.f, recurrent_->grad,
                    G);
      kernels::gemm(Trans::Yes, Trans::No, U, U, rows, 1.f, resetState_.data(), U, dGates_.data() + 2 * U, G, 1.f,
                    recurrent_->grad + 2 * U, G);
    }
  }

 private:
  bool resetAfter_ = true;
  // resetAfter: inner_ (B, T, 3U) = h_{t-1} U + b_rec at input time; otherwise resetState_
  // (B, T, U) = r * h_{t-1} at input time and inner_ one step's (r * h_{t-1}) U_h.
  Tensor inner_, resetState_, dInner_, dRh_;
};

}  // namespace

ATTN_REGISTER_LAYER(Gru, "gru", "GRU")

}  // namespace attn
