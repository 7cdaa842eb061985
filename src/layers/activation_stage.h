// What a layer with a kernel, a bias and an activation (Dense, Conv1D) shares: the Keras options
// of that affine map, and y = f(z) after it, with z kept for the backward pass when f is not the
// identity (and as the loss's logits when the model fuses f into a cross-entropy).
#pragma once
#include "core/tensor.h"
#include "kernels/kernels.h"
#include "layers/option_list.h"

namespace attn {

struct AffineOptions {
  Activation activation = Activation::Linear;
  bool useBias = true;
  Initializer kernelInit, biasInit;
  Regularizer kernelReg, biasReg;

  void visit(OptionList& o) {
    o.activation("activation", activation, Activation::Linear);
    o.boolean("useBias", useBias, true);
    o.initializer("kernelInitializer", kernelInit, Initializer::glorotUniform());
    o.initializer("biasInitializer", biasInit, Initializer::zeros());
    o.regularizer("kernelRegularizer", kernelReg);
    o.regularizer("biasRegularizer", biasReg);
  }
};

class ActivationStage {
 public:
  // Where the linear map writes z, sized like y: y itself when f is linear.
  Tensor& preActivation(Activation f, Tensor& y) {
    if (f == Activation::Linear) return y;
    z_.resize(y.shape());
    return z_;
  }
  // y = f(z)
  void apply(Activation f, Tensor& y) {
    if (f != Activation::Linear) kernels::activationForward(f, z_.data(), y.data(), z_.size(), y.dim(-1));
  }
  // dz = dy * f'(z); dy itself when f is linear or dy already is dLoss/dz (fused logits).
  const float* gradient(Activation f, const Tensor& y, const Tensor& dy, bool dyIsLogitGradient) {
    if (f == Activation::Linear || dyIsLogitGradient) return dy.data();
    dz_.resize(dy.shape());
    kernels::activationBackward(f, z_.data(), y.data(), dy.data(), dz_.data(), dy.size(), dy.dim(-1));
    return dz_.data();
  }
  const Tensor& logits(Activation f, const Tensor& y) const { return f == Activation::Linear ? y : z_; }

 private:
  Tensor z_, dz_;
};

}  // namespace attn
