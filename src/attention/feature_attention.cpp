// FeatureAttention: the dense attention block of seeds 000/001,
//   Dense(D, softmax, name='attention_probs') -> multiply.
//   x (B, D) -> out (B, D);  attention weights a (B, D)
//   a = softmax_features(x W + b)   W = kernel (D, D), b = bias (D)  [Keras Dense layout]
//   out = x * a
// The input has no time axis, so there is no mask to honour and none comes out.
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

using kernels::Trans;

class FeatureAttention final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "FeatureAttention"; }

  void visitOptions(OptionList&) override {}  // none

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore& store) override {
    ATTN_CHECK(in[0].rank == 1, name_, ": expected input of shape (batch, features), got shape ", in[0].str(true));
    dim_ = in[0][0];
    ATTN_CHECK(dim_ >= 1, name_, ": expected a known feature dimension, got shape ", in[0].str(true));
    kernel_ = addParam(store, "kernel", {dim_, dim_}, Initializer::glorotUniform());
    bias_ = addParam(store, "bias", {dim_}, Initializer::zeros());
    setOutputCount(1);
    return {in[0]};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int B = x.dim(0), D = dim_;
    weights_.resize({B, D});
    // a = softmax(x W + b) over features
    kernels::gemm(Trans::No, Trans::No, B, D, D, 1.f, x.data(), D, kernel_->value, D, 0.f, weights_.data(), D,
                  bias_->value);
    kernels::softmax(weights_.data(), weights_.data(), B, D, 1);
    Tensor& out = outputs_[0];
    out.resize({B, D});
    // out = x * a
    kernels::mul(x.data(), weights_.data(), out.data(), x.size());
  }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const Tensor& dy = *pass.outputGrads[0];
    Tensor* dxTensor = pass.inputGrads[0];
    float* dx = dxTensor ? dxTensor->data() : nullptr;
    const int B = x.dim(0), D = dim_;
    dLogits_.resize({B, D});
    // da = dout * x
    kernels::mul(dy.data(), x.data(), dLogits_.data(), x.size());
    // dx += dout * a
    if (dx) kernels::mulAdd(dy.data(), weights_.data(), dx, x.size());
    // dz = a * (da - sum a da)
    kernels::softmaxBackward(weights_.data(), dLogits_.data(), dLogits_.data(), B, D, 1);
    // dW += x^T dz
    kernels::gemm(Trans::Yes, Trans::No, D, D, B, 1.f, x.data(), D, dLogits_.data(), D, 1.f, kernel_->grad, D);
    // db += sum_b dz
    kernels::sumRows(dLogits_.data(), bias_->grad, B, D);
    // dx += dz W^T
    if (dx) kernels::gemm(Trans::No, Trans::Yes, B, D, D, 1.f, dLogits_.data(), D, kernel_->value, D, 1.f, dx, D);
  }

  const Tensor* outputMask(int) const override { return nullptr; }
  const Tensor* attentionWeights() const override { return &weights_; }

 private:
  int dim_ = 0;
  Param* kernel_ = nullptr;
  Param* bias_ = nullptr;
  Tensor weights_, dLogits_;
};

}  // namespace

ATTN_REGISTER_LAYER(FeatureAttention, "featureAttention", "FeatureAttention")

}  // namespace attn
