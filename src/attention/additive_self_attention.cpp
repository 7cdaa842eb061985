// AdditiveSelfAttention: the Bi-LSTM attention layer of seed 003, Attention(return_sequences).
//   x (B, T, D) -> out (B, T, D) with returnSequences, else (B, D);  attention weights a (B, T)
//   e_t = tanh(x_t W + b_t)     W = att_weight (D, 1), b = att_bias (T, 1): one bias per time step
//   a = softmax_t(e);  out_t = a_t x_t;  out = sum_t a_t x_t unless returnSequences
// The per-step bias ties the layer to the T it was built with. W is a vector, so its products are
// row loops of dot/axpy (a packed gemm with N = 1 or K = 1 ran 20-100x slower).
// Masks: masked steps get weight exactly 0 (so out_t = 0 there) and gradient exactly 0; a row with
// every step masked gets zero weights and a zero output. The mask passes through with
// returnSequences and is consumed otherwise.
#include "attention/masked_softmax.h"
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

using kernels::Trans;

class AdditiveSelfAttention final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "AdditiveSelfAttention"; }

  void visitOptions(OptionList& o) override {
    o.boolean("returnSequences", returnSequences_, false);
  }

  InputSpec inputSpec() const override { return {.sequences = true}; }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore& store) override {
    steps_ = in[0][0];
    dim_ = in[0][1];
    kernel_ = addParam(store, "att_weight", {dim_, 1}, Initializer::glorotUniform());
    bias_ = addParam(store, "att_bias", {steps_, 1}, Initializer::zeros());
    setOutputCount(1);
    if (returnSequences_) return {Shape{steps_, dim_}};
    return {Shape{dim_}};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int B = x.dim(0), T = steps_, D = dim_;

    preTanh_.resize({B, T});
    energies_.resize({B, T});
    weights_.resize({B, T});
    // z[b, t] = x[b, t, :] . W + b[t]
    for (int64_t r = 0; r < int64_t(B) * T; ++r) preTanh_[r] = kernels::dot(x.data() + r * D, kernel_->value, D);
    kernels::addRowVector(bias_->value, preTanh_.data(), B, T);
    // e = tanh(z)
    kernels::activationForward(Activation::Tanh, preTanh_.data(), energies_.data(), energies_.size(), T);
    // a = softmax_t(e), masked steps -> 0
    attention::maskedSoftmax(energies_.data(), weights_.data(), {.batch = B, .keys = T}, {.keyMask = pass.maskData(0)});

    Tensor& out = outputs_[0];
    if (returnSequences_) {
      out.resize({B, T, D});
      // out[b, t, :] = a[b, t] x[b, t, :]
      for (int64_t r = 0; r < int64_t(B) * T; ++r) {
        kernels::copy(x.data() + r * D, out.data() + r * D, D);
        kernels::scale(weights_[r], out.data() + r * D, D);
      }
    } else {
      out.resize({B, D});
      // out[b] = sum_t a[b, t] x[b, t, :]
      for (int b = 0; b < B; ++b)
        kernels::gemm(Trans::No, Trans::No, 1, D, T, 1.f, weights_.data() + int64_t(b) * T, T,
                      x.data() + int64_t(b) * T * D, D, 0.f, out.data() + int64_t(b) * D, D);
    }
  }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const Tensor& dy = *pass.outputGrads[0];
    Tensor* dxTensor = pass.inputGrads[0];
    float* dx = dxTensor ? dxTensor->data() : nullptr;
    const int B = x.dim(0), T = steps_, D = dim_;

    dScores_.resize({B, T});
    if (returnSequences_) {
      for (int64_t r = 0; r < int64_t(B) * T; ++r) {
        // da[b, t] = dout[b, t, :] . x[b, t, :]
        dScores_[r] = kernels::dot(dy.data() + r * D, x.data() + r * D, D);
        // dx[b, t, :] += a[b, t] dout[b, t, :]
        if (dx) kernels::axpy(weights_[r], dy.data() + r * D, dx + r * D, D);
      }
    } else {
      for (int b = 0; b < B; ++b) {
        const float* dout = dy.data() + int64_t(b) * D;
        for (int t = 0; t < T; ++t) {
          const int64_t r = int64_t(b) * T + t;
          // da[b, t] = x[b, t, :] . dout[b]
          dScores_[r] = kernels::dot(x.data() + r * D, dout, D);
          // dx[b, t, :] += a[b, t] dout[b]
          if (dx) kernels::axpy(weights_[r], dout, dx + r * D, D);
        }
      }
    }
    // de = a * (da - sum_t a da); masked steps have a = 0, hence de = 0 and no gradient below
    kernels::softmaxBackward(weights_.data(), dScores_.data(), dScores_.data(), B, T, 1);
    // dz = de * (1 - e^2)
    kernels::activationBackward(Activation::Tanh, preTanh_.data(), energies_.data(), dScores_.data(), dScores_.data(),
                                dScores_.size(), T);
    // db[t] += sum_b dz[b, t]
    kernels::sumRows(dScores_.data(), bias_->grad, B, T);
    for (int64_t r = 0; r < int64_t(B) * T; ++r) {
      // dW += dz[b, t] x[b, t, :]
      kernels::axpy(dScores_[r], x.data() + r * D, kernel_->grad, D);
      // dx[b, t, :] += dz[b, t] W
      if (dx) kernels::axpy(dScores_[r], kernel_->value, dx + r * D, D);
    }
  }

  const Tensor* outputMask(int) const override {
    return returnSequences_ ? Layer::outputMask(0) : nullptr;
  }
  const Tensor* attentionWeights() const override { return &weights_; }

 private:
  bool returnSequences_ = false;
  int steps_ = 0, dim_ = 0;
  Param* kernel_ = nullptr;
  Param* bias_ = nullptr;
  Tensor preTanh_, energies_, weights_, dScores_;
};

}  // namespace

ATTN_REGISTER_LAYER(AdditiveSelfAttention, "additiveSelfAttention", "AdditiveSelfAttention")

}  // namespace attn
