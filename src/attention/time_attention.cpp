// TimeAttention: the classic attention_3d_block of seeds 001/004,
//   Permute((2, 1)) -> Dense(T, softmax) -> [mean over features, RepeatVector] -> Permute((2, 1)) -> multiply.
//   x (B, T, D) -> out (B, T, D);  attention weights (B, T, D), or (B, T) with singleVector
//   a[b, :, d] = softmax_t'( sum_t x[b, t, d] W[t, t'] + bias[t'] )   W = kernel (T, T), bias (T)
//   singleVector: a[b, t] = mean_d a[b, t, d], shared by every feature
//   out = x * a
// The Dense along time ties the layer to the T it was built with.
// Masks: a masked step is treated as absent. Its input enters the logits of the other steps as 0
// (so padding content cannot move the weights of real steps, and its gradient is exactly 0),
// and its own logits are -inf (weight exactly 0, so out = 0 there). A row with every step masked
// gets zero weights and a zero output. The mask passes through, as the block keeps the time axis.
#include "attention/masked_softmax.h"
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

using kernels::Trans;

class TimeAttention final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "TimeAttention"; }

  void visitOptions(OptionList& o) override {
    o.boolean("singleVector", singleVector_, false);
  }

  InputSpec inputSpec() const override { return {.sequences = true}; }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore& store) override {
    steps_ = in[0][0];
    dim_ = in[0][1];
    kernel_ = addParam(store, "kernel", {steps_, steps_}, Initializer::glorotUniform());
    bias_ = addParam(store, "bias", {steps_}, Initializer::zeros());
    setOutputCount(1);
    return {in[0]};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int B = x.dim(0), T = steps_, D = dim_;
    const Tensor* maskTensor = pass.mask(0);
    const float* xs = scoringInput(x, maskTensor);

    probs_.resize({B, T, D});
    for (int b = 0; b < B; ++b) {
      float* logits = probs_.data() + int64_t(b) * T * D;
      // logits[b, t', d] = bias[t'] + sum_t W[t, t'] x[b, t, d]   (the Dense over the permuted axis)
      for (int t = 0; t < T; ++t) kernels::fill(logits + int64_t(t) * D, bias_->value[t], D);
      kernels::gemm(Trans::Yes, Trans::No, T, D, T, 1.f, kernel_->value, T, xs + int64_t(b) * T * D, D, 1.f, logits,
                    D);
    }
    // a = softmax over t' for every (b, d), masked steps -> 0
    attention::maskedSoftmax(probs_.data(), probs_.data(), {.batch = B, .keys = T, .inner = D},
                             {.keyMask = pass.maskData(0)});

    Tensor& out = outputs_[0];
    out.resize(x.shape());
    if (singleVector_) {
      shared_.resize({B, T});
      // a[b, t] = mean_d a[b, t, d]
      kernels::reduceMean(probs_.data(), shared_.data(), B * T, D, 1);
      // out[b, t, :] = a[b, t] x[b, t, :]
      for (int64_t r = 0; r < int64_t(B) * T; ++r) {
        kernels::copy(x.data() + r * D, out.data() + r * D, D);
        kernels::scale(shared_[r], out.data() + r * D, D);
      }
    } else {
      // out = x * a
      kernels::mul(x.data(), probs_.data(), out.data(), x.size());
    }
  }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const Tensor& dy = *pass.outputGrads[0];
    Tensor* dxTensor = pass.inputGrads[0];
    float* dx = dxTensor ? dxTensor->data() : nullptr;
    const int B = x.dim(0), T = steps_, D = dim_;
    const Tensor* maskTensor = pass.mask(0);
    const float* xs = maskTensor ? maskedInput_.data() : x.data();  // as the forward left it

    dLogits_.resize({B, T, D});
    if (singleVector_) {
      for (int64_t r = 0; r < int64_t(B) * T; ++r) {
        // da[b, t, d] = (dout[b, t, :] . x[b, t, :]) / D: the mean spreads its gradient evenly
        kernels::fill(dLogits_.data() + r * D, kernels::dot(dy.data() + r * D, x.data() + r * D, D) / D, D);
        // dx[b, t, :] += a[b, t] dout[b, t, :]
        if (dx) kernels::axpy(shared_[r], dy.data() + r * D, dx + r * D, D);
      }
    } else {
      // da = dout * x
      kernels::mul(dy.data(), x.data(), dLogits_.data(), x.size());
      // dx += dout * a
      if (dx) kernels::mulAdd(dy.data(), probs_.data(), dx, x.size());
    }
    // dlogits = a * (da - sum_t' a da) along time; masked steps have a = 0, hence dlogits = 0
    kernels::softmaxBackward(probs_.data(), dLogits_.data(), dLogits_.data(), B, T, D);

    // dW[t, t'] += sum_d x[b, t, d] dlogits[b, t', d]
    for (int b = 0; b < B; ++b)
      kernels::gemm(Trans::No, Trans::Yes, T, T, D, 1.f, xs + int64_t(b) * T * D, D,
                    dLogits_.data() + int64_t(b) * T * D, D, 1.f, kernel_->grad, T);
    // dbias[t'] += sum_{b, d} dlogits[b, t', d]
    stepSums_.resize({B, T});
    kernels::reduceSum(dLogits_.data(), stepSums_.data(), B * T, D, 1);
    kernels::sumRows(stepSums_.data(), bias_->grad, B, T);

    if (!dx) return;
    if (!maskTensor) {
      // dx[b] += W dlogits[b]
      for (int b = 0; b < B; ++b)
        kernels::gemm(Trans::No, Trans::No, T, D, T, 1.f, kernel_->value, T, dLogits_.data() + int64_t(b) * T * D, D,
                      1.f, dx + int64_t(b) * T * D, D);
      return;
    }
    // Masked steps entered the logits as constants 0: only kept steps receive W dlogits.
    dMaskedInput_.resize({B, T, D});
    for (int b = 0; b < B; ++b)
      kernels::gemm(Trans::No, Trans::No, T, D, T, 1.f, kernel_->value, T, dLogits_.data() + int64_t(b) * T * D, D,
                    0.f, dMaskedInput_.data() + int64_t(b) * T * D, D);
    const float* mask = maskTensor->data();
    for (int64_t r = 0; r < int64_t(B) * T; ++r)
      if (mask[r] != 0.f) kernels::addInPlace(dMaskedInput_.data() + r * D, dx + r * D, D);
  }

  const Tensor* attentionWeights() const override { return singleVector_ ? &shared_ : &probs_; }

 private:
  // The input the logits read: x itself, or x with its masked steps zeroed (kept for backward).
  const float* scoringInput(const Tensor& x, const Tensor* mask) {
    if (!mask) return x.data();
    const int64_t rows = int64_t(x.dim(0)) * steps_;
    maskedInput_.resize(x.shape());
    for (int64_t r = 0; r < rows; ++r) {
      if ((*mask)[r] != 0.f)
        kernels::copy(x.data() + r * dim_, maskedInput_.data() + r * dim_, dim_);
      else
        kernels::fill(maskedInput_.data() + r * dim_, 0.f, dim_);
    }
    return maskedInput_.data();
  }

  bool singleVector_ = false;
  int steps_ = 0, dim_ = 0;
  Param* kernel_ = nullptr;
  Param* bias_ = nullptr;
  Tensor maskedInput_, probs_, shared_, dLogits_, stepSums_, dMaskedInput_;
};

}  // namespace

ATTN_REGISTER_LAYER(TimeAttention, "timeAttention", "TimeAttention")

}  // namespace attn
