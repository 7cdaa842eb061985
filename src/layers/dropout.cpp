// Dropout (inverted): in training y = x * m with m = 1/(1-rate) kept, 0 dropped, each element
// on its own (the rule: layers/dropout.h); at inference y = x.
//   x (B, ...) -> y (B, ...); no parameters; the input mask passes through.
#include "layers/dropout.h"

namespace attn {
namespace {

class Dropout final : public DropoutBase {
 public:
  using DropoutBase::DropoutBase;

  const char* className() const override { return "Dropout"; }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    // y = x * m
    if (drawKeep(pass, x.shape())) kernels::mul(x.data(), keep_.data(), outputs_[0].data(), x.size());
  }

  void onBackward(const BackwardPass& pass) override {
    Tensor* dx = pass.inputGrads[0];
    if (!dx) return;
    const Tensor& dy = *pass.outputGrads[0];
    // dx += dy * m  (m = 1 at inference)
    if (dropped_)
      kernels::mulAdd(dy.data(), keep_.data(), dx->data(), dy.size());
    else
      kernels::addInPlace(dy.data(), dx->data(), dy.size());
  }
};

}  // namespace

ATTN_REGISTER_LAYER(Dropout, "dropout", "Dropout")

}  // namespace attn
