// SimpleRNN (Keras): h_t = f(x_t W + h_{t-1} U + b)
//   x (B, T, D) -> h (B, T, U) with returnSequences, else (B, U); returnState adds h_T (B, U)
//   kernel (D, U), recurrent_kernel (U, U), bias (U)   [Keras layout]
// Masked steps (mask (B, T) == 0) carry h over unchanged; the output there is the carried h.
// The sequence (options, x W, the time loop, dW, db, dU, dx) is RecurrentLayer's; this is the step.
#include "kernels/kernels.h"
#include "layers/recurrent.h"
#include "layers/registry.h"

namespace attn {
namespace {


class SimpleRnn final : public RecurrentLayer {
 public:
  explicit SimpleRnn(const std::string& name) : RecurrentLayer(name, 1, 1, false) {}
  const char* className() const override { return "SimpleRNN"; }

 protected:
  void forwardStep(const RecurrentForwardStep& s) override {
    const int U = s.units;
    // a_t += h_{t-1} U
    if (s.step)
      recurrentProduct(s.batch, s.hPrev, 0, 1, 1.f, s.gates);
    // h_t = f(a_t), or h_{t-1} on masked rows
    for (int b = 0; b < s.batch; ++b) {
      if (s.keep.data && *s.keep.row(b) == 0.f)
        kernels::copy(s.hPrev.row(b), s.h.row(b), U);
      else
        kernels::activationForward(activation_, s.gates.row(b), s.h.row(b), U, U);
    }
  }

  void backwardStep(const RecurrentBackwardStep& s) override {
    const int U = s.units;
    // da_t = dh_t f'(a_t); masked rows: da = 0 and dh passes to h_{t-1}
    for (int b = 0; b < s.batch; ++b) {
      if (s.keep.data && *s.keep.row(b) == 0.f) {
        kernels::fill(s.dGates.row(b), 0.f, U);
        kernels::copy(s.dh.row(b), s.dhPrev.row(b), U);
      } else {
        kernels::activationBackward(activation_, s.gates.row(b), s.h.row(b), s.dh.row(b), s.dGates.row(b), U, U);
        kernels::fill(s.dhPrev.row(b), 0.f, U);
      }
    }
    // dh_{t-1} += da_t U^T
    if (s.step)
      recurrentProductTransposed(s.batch, s.dGates, 0, 1, 1.f, s.dhPrev);
  }
};

}  // namespace

ATTN_REGISTER_LAYER(SimpleRnn, "simpleRNN", "SimpleRNN")

}  // namespace attn
