// Dense: y = f(x W + b) over the last axis; leading axes are flattened into rows.
//   x (B, ..., D) -> y (B, ..., units);  W (D, units), b (units)  [Keras layout]
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/activation_stage.h"
#include "layers/registry.h"

namespace attn {
namespace {

using kernels::Trans;

class Dense final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "Dense"; }

  void visitOptions(OptionList& o) override {
    o.positiveInt("units", units_);
    affine_.visit(o);
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore& store) override {
    ATTN_CHECK(in[0].rank >= 1, name_, ": expected input of rank >= 1 (per sample), got shape ", in[0].str(true));
    inputDim_ = in[0].back();
    kernel_ = addParam(store, "kernel", {inputDim_, units_}, affine_.kernelInit, affine_.kernelReg);
    if (affine_.useBias) bias_ = addParam(store, "bias", {units_}, affine_.biasInit, affine_.biasReg);
    setOutputCount(1);
    Shape out = in[0];
    out[-1] = units_;
    return {out};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int rows = static_cast<int>(x.size() / inputDim_);
    Shape outShape = x.shape();
    outShape[-1] = units_;
    Tensor& y = outputs_[0];
    y.resize(outShape);
    Tensor& z = activationStage_.preActivation(affine_.activation, y);
    // z = x W (+ b)
    kernels::gemm(Trans::No, Trans::No, rows, units_, inputDim_, 1.f, x.data(), inputDim_, kernel_->value, units_,
                  0.f, z.data(), units_, affine_.useBias ? bias_->value : nullptr);
    // y = f(z)
    activationStage_.apply(affine_.activation, y);
  }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const Tensor& dy = *pass.outputGrads[0];
    const int rows = static_cast<int>(x.size() / inputDim_);
    // dz = dy * f'(z), unless the loss already handed us dLoss/dz.
    const float* dz = activationStage_.gradient(affine_.activation, outputs_[0], dy, logitGradients_);
    // dW += x^T dz
    kernels::gemm(Trans::Yes, Trans::No, inputDim_, units_, rows, 1.f, x.data(), inputDim_, dz, units_, 1.f,
                  kernel_->grad, units_);
    // db += sum_rows dz
    if (affine_.useBias) kernels::sumRows(dz, bias_->grad, rows, units_);
    // dx += dz W^T
    if (Tensor* dx = pass.inputGrads[0])
      kernels::gemm(Trans::No, Trans::Yes, rows, inputDim_, units_, 1.f, dz, units_, kernel_->value, units_, 1.f,
                    dx->data(), inputDim_);
  }

  Activation outputActivation() const override { return affine_.activation; }
  const Tensor* outputLogits() const override { return &activationStage_.logits(affine_.activation, outputs_[0]); }

 private:
  int units_ = 0, inputDim_ = 0;
  AffineOptions affine_;
  Param* kernel_ = nullptr;
  Param* bias_ = nullptr;
  ActivationStage activationStage_;
};

}  // namespace

ATTN_REGISTER_LAYER(Dense, "dense", "Dense")

}  // namespace attn
