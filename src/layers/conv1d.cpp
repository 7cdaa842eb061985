// Conv1D: y = f(conv(x, W) + b) over time, channels last, as keras.layers.Conv1D.
//   x (B, T, C) -> y (B, T', F);  W (k, C, F), b (F)  [Keras layout]
//   y[b, t, :] = f(b + sum_j x[b, t s - p + j d, :] W[j])  (zero outside the sequence)
// with window length k, stride s, dilation d and left padding p from the padding mode
// (layers/windows.h). Computed as one GEMM over the windows of the whole batch: im2col gives
// X (B T', k C) and, W viewed as (k C, F), Z = X W. The mask is consumed (the output steps are
// not the input's).
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/activation_stage.h"
#include "layers/registry.h"
#include "layers/windows.h"

namespace attn {
namespace {

using kernels::Trans;

class Conv1D final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "Conv1D"; }

  void visitOptions(OptionList& o) override {
    o.positiveInt("filters", filters_);
    o.windowSize("kernelSize", kernelSize_);
    o.windowSize("strides", stride_, 1);
    paddingOption(o, padding_, /*allowCausal=*/true);
    o.windowSize("dilationRate", dilation_, 1);
    bool channelsLast = true;
    o.choice("dataFormat", channelsLast, true, {{"channelsLast", true}});
    affine_.visit(o);
    // As Keras and TF.js: a window cannot both skip steps inside and between windows.
    o.require(stride_ == 1 || dilation_ == 1, "strides > 1 are not supported together with dilationRate > 1, got strides ",
              stride_, " and dilationRate ", dilation_);
  }

  InputSpec inputSpec() const override { return {.sequences = true}; }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore& store) override {
    windows_ = windowsOver(name_, padding_, in[0][0], in[0][1], kernelSize_, stride_, dilation_);
    kernel_ = addParam(store, "kernel", {kernelSize_, in[0][1], filters_}, affine_.kernelInit, affine_.kernelReg);
    if (affine_.useBias) bias_ = addParam(store, "bias", {filters_}, affine_.biasInit, affine_.biasReg);
    setOutputCount(1);
    return {Shape{windows_.outSteps, filters_}};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int batch = x.dim(0);
    const int rows = batch * windows_.outSteps, width = windows_.taps * windows_.channels;
    cols_.resize(Shape{rows, width});
    Tensor& y = outputs_[0];
    y.resize(Shape{batch, windows_.outSteps, filters_});
    Tensor& z = activationStage_.preActivation(affine_.activation, y);
    // X = im2col(x);  Z = X W (+ b)
    kernels::gatherWindows(windows_, x.data(), cols_.data(), batch);
    kernels::gemm(Trans::No, Trans::No, rows, filters_, width, 1.f, cols_.data(), width, kernel_->value, filters_,
                  0.f, z.data(), filters_, affine_.useBias ? bias_->value : nullptr);
    // y = f(z)
    activationStage_.apply(affine_.activation, y);
  }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& dy = *pass.outputGrads[0];
    const int batch = dy.dim(0);
    const int rows = batch * windows_.outSteps, width = windows_.taps * windows_.channels;
    // dz = dy * f'(z), unless the loss already handed us dLoss/dz.
    const float* dz = activationStage_.gradient(affine_.activation, outputs_[0], dy, logitGradients_);
    // dW += X^T dz;  db += sum_rows dz
    kernels::gemm(Trans::Yes, Trans::No, width, filters_, rows, 1.f, cols_.data(), width, dz, filters_, 1.f,
                  kernel_->grad, filters_);
    if (affine_.useBias) kernels::sumRows(dz, bias_->grad, rows, filters_);
    // dX = dz W^T;  dx += col2im(dX)
    if (Tensor* dx = pass.inputGrads[0]) {
      dcols_.resize(Shape{rows, width});
      kernels::gemm(Trans::No, Trans::Yes, rows, width, filters_, 1.f, dz, filters_, kernel_->value, filters_, 0.f,
                    dcols_.data(), width);
      kernels::scatterWindows(windows_, dcols_.data(), dx->data(), batch);
    }
  }

  const Tensor* outputMask(int) const override { return nullptr; }
  Activation outputActivation() const override { return affine_.activation; }
  const Tensor* outputLogits() const override { return &activationStage_.logits(affine_.activation, outputs_[0]); }

 private:
  int filters_ = 0, kernelSize_ = 0, stride_ = 1, dilation_ = 1;
  Padding padding_ = Padding::Valid;
  AffineOptions affine_;
  Param* kernel_ = nullptr;
  Param* bias_ = nullptr;
  kernels::Windows1D windows_{};
  ActivationStage activationStage_;
  Tensor cols_, dcols_;
};

}  // namespace

ATTN_REGISTER_LAYER(Conv1D, "conv1D", "Conv1D")

}  // namespace attn
