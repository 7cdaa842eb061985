// Activation: y = f(x) elementwise (softmax over the last axis), as keras.layers.Activation.
//   x (B, ...) -> y (B, ...); no parameters; the input mask passes through.
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

class ActivationLayer final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "Activation"; }
  // Required, as in Keras and TF.js: an Activation layer without one is almost surely a mistake.
  void visitOptions(OptionList& o) override { o.activation("activation", activation_); }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    ATTN_CHECK(in[0].rank >= 1, name_, ": expected input of rank >= 1 (per sample), got shape ", in[0].str(true));
    setOutputCount(1);
    return {in[0]};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    // The input stays alive until backward (it is the previous layer's output), so it doubles as
    // the logits the loss may fuse with.
    lastInput_ = &x;
    Tensor& y = outputs_[0];
    y.resize(x.shape());
    // y = f(x)
    kernels::activationForward(activation_, x.data(), y.data(), x.size(), inputShapes()[0].back());
  }

  void onBackward(const BackwardPass& pass) override {
    Tensor* dx = pass.inputGrads[0];
    if (!dx) return;
    const Tensor& x = *pass.inputs[0];
    const Tensor& dy = *pass.outputGrads[0];
    if (activation_ == Activation::Linear || logitGradients_) {
      // dx += dy (the loss already differentiated through f when it fused it)
      kernels::addInPlace(dy.data(), dx->data(), dy.size());
      return;
    }
    scratch_.resize(dy.shape());
    // dx += dy * f'(x)
    kernels::activationBackward(activation_, x.data(), outputs_[0].data(), dy.data(), scratch_.data(), dy.size(),
                                inputShapes()[0].back());
    kernels::addInPlace(scratch_.data(), dx->data(), dy.size());
  }

  Activation outputActivation() const override { return activation_; }
  const Tensor* outputLogits() const override { return activation_ == Activation::Linear ? &outputs_[0] : lastInput_; }

 private:
  Activation activation_ = Activation::Linear;
  const Tensor* lastInput_ = nullptr;
  Tensor scratch_;
};

}  // namespace

ATTN_REGISTER_LAYER(ActivationLayer, "activation", "Activation")

}  // namespace attn
