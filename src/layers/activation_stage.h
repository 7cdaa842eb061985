// y = f(z) after a layer's linear map (Dense, Conv1D): z is kept for the backward pass when f is
// not the identity, and is the loss's logits when the model fuses f into a cross-entropy.
#pragma once
#include "core/tensor.h"
#include "kernels/kernels.h"

namespace attn {

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
