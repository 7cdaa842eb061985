// LSTM (Keras): per step z = x_t W + b + h_{t-1} U with gate blocks [i, f, c, o];
//   c_t = sigma(z_f) c_{t-1} + sigma(z_i) tanh(z_c),  h_t = sigma(z_o) tanh(c_t)
//   x (B, T, D) -> h (B, T, U) with returnSequences, else (B, U); returnState adds h_T (B, U), c_T (B, U)
//   kernel (D, 4U), recurrent_kernel (U, 4U), bias (4U)   [Keras layout]
// Masked steps (mask (B, T) == 0) carry h and c over unchanged; the output there is the carried h.
// The sequence (options, x W, the time loop, dW, db, dU, dx) is RecurrentLayer's; this is the step.
#include "kernels/kernels.h"
#include "layers/recurrent.h"
#include "layers/registry.h"

namespace attn {
namespace {

using kernels::ConstRows;
using kernels::Rows;

class Lstm final : public RecurrentLayer {
 public:
  explicit Lstm(const std::string& name) : RecurrentLayer(name, 4, 2, true) {}
  const char* className() const override { return "LSTM"; }

 protected:
  void visitCellOptions(OptionList& o) override { o.boolean("unitForgetBias", unitForgetBias_, true); }
  // unit_forget_bias: zeros with a forget block of ones. (Keras keeps a custom biasInitializer for
  // the other blocks; the Initializer cannot compose, so a non-zero one is ignored here.)
  Initializer biasInitializer() const override {
    return unitForgetBias_ ? Initializer::lstmBias(units()) : biasInit_;
  }
  const Tensor& stateSequence(int k) const override { return k == 1 ? cell_ : states(); }

  void beginForward(int batch, int steps) override {
    cell_.resize({batch, steps, units()});
    tanhCell_.resize({batch, steps, units()});
  }

  void forwardStep(const RecurrentForwardStep& s) override {
    const int U = s.units;
    const int64_t stateStride = s.h.stride;
    // z_t += h_{t-1} U
    if (s.step)
      recurrentProduct(s.batch, s.hPrev, 0, 4, 1.f, s.gates);
    // gates, c_t, h_t (masked rows carry c, h)
    kernels::lstmForwardStep({s.batch, U, s.gates, previousCell(s.step, stateStride),
                              s.hPrev, Rows{cell_.data() + int64_t(s.step) * U, stateStride},
                              Rows{tanhCell_.data() + int64_t(s.step) * U, stateStride}, s.h, s.keep, gate_});
  }

  // dL/dc_T from the returned c (Keras' [output, h, c]).
  void beginBackward(const BackwardPass& pass, int batch, int /*steps*/) override {
    dc_.resize({batch, units()});
    if (pass.outputGrads.size() == 3)
      kernels::copy(pass.outputGrads[2]->data(), dc_.data(), dc_.size());
    else
      dc_.zero();
  }

  void backwardStep(const RecurrentBackwardStep& s) override {
    const int U = s.units;
    // dz_t from dh_t, dc_t; dc_{t-1} = dc_t f (masked rows: dz = 0, dh and dc pass through)
    kernels::lstmBackwardStep({s.batch, U, s.gates, previousCell(s.step, s.h.stride),
                               ConstRows(tanhCell_.data() + int64_t(s.step) * U, s.h.stride), s.dh,
                               Rows{dc_.data(), U}, s.dGates, s.dhPrev, s.keep, gate_});
    // dh_{t-1} += dz_t U^T  (h_0 is a constant: nothing to propagate from the first step)
    if (s.step)
      recurrentProductTransposed(s.batch, s.dGates, 0, 4, 1.f, s.dhPrev);
  }

 private:
  ConstRows previousCell(int step, int64_t stateStride) const {
    return step ? ConstRows(cell_.data() + int64_t(step - 1) * units(), stateStride) : ConstRows(zeros_.data(), units());
  }

  bool unitForgetBias_ = true;
  Tensor cell_, tanhCell_, dc_;  // (B, T, U) at step; dc_ (B, U) carried backwards
};

}  // namespace

ATTN_REGISTER_LAYER(Lstm, "lstm", "LSTM")

}  // namespace attn
