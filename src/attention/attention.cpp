// Attention: the many-to-one layer of the `attention` PyPI package (philipperemy/keras-attention).
//   x (B, T, D) -> out (B, units);  attention weights a (B, T)
//   query h_t = x[:, T-1, :]
//   luong:    score_s = h_t . (W h_s)                   W  = luong_w/kernel (D, D)
//   bahdanau: score_s = v . tanh(W1 h_t + W2 h_s)       W1, W2 (D, D), v (D, 1)
//   a = softmax_s(score);  c = sum_s a_s h_s;  out = tanh([c; h_t] Wc)   Wc = attention_vector/kernel (2D, units)
// No biases. Kernels are in Keras' Dense layout (in, out), so "W h_s" is the row product h_s W.
// The (D x D) and (2D x units) projections are gemms; products with a vector (one score per
// step, rank-1 updates) are row loops of dot/axpy, as a packed gemm with N = 1 or K = 1 pads
// its tile and ran 20-100x slower than them.
// Masks: masked steps get weight exactly 0 and gradient exactly 0. The query is the last
// unmasked step (the last step itself under the usual 'pre' padding); a row with every step
// masked has no query: h_t = 0, a = 0, c = 0, so its output is tanh(0) = 0.
#include <cmath>

#include "attention/masked_softmax.h"
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

using kernels::Trans;

class Attention final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "Attention"; }

  void visitOptions(OptionList& o) override {
    o.positiveInt("units", units_, 128);
    o.choice("score", luong_, true, {{"luong", true}, {"bahdanau", false}});
  }

  InputSpec inputSpec() const override { return {.sequences = true}; }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore& store) override {
    dim_ = in[0].back();
    const Initializer glorot = Initializer::glorotUniform();
    // Keras orders a layer's weights by its sub-layers in the order build() assigns them as
    // attributes (luong_w; bahdanau_v, bahdanau_w1, bahdanau_w2; then attention_vector), not in
    // call order: so does get_weights(), and so does this.
    if (luong_) {
      luongW_ = addParam(store, "luong_w/kernel", {dim_, dim_}, glorot);
    } else {
      v_ = addParam(store, "bahdanau_v/kernel", {dim_, 1}, glorot);
      w1_ = addParam(store, "bahdanau_w1/kernel", {dim_, dim_}, glorot);
      w2_ = addParam(store, "bahdanau_w2/kernel", {dim_, dim_}, glorot);
    }
    wc_ = addParam(store, "attention_vector/kernel", {2 * dim_, units_}, glorot);
    setOutputCount(1);
    return {Shape{units_}};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int B = x.dim(0), T = x.dim(1), D = dim_;
    const float* mask = pass.maskData(0);

    // concat_ holds [c; h_t] per row: h_t is written now, c once the weights are known.
    concat_.resize({B, 2 * D});
    float* ht = concat_.data() + D;
    queryStep_.resize(B);
    for (int b = 0; b < B; ++b) {
      int step = T - 1;
      if (mask)
        while (step >= 0 && mask[int64_t(b) * T + step] == 0.f) --step;
      queryStep_[b] = step;
      // h_t = x[b, last unmasked step, :], or 0 when the whole row is padding
      if (step >= 0)
        kernels::copy(x.data() + (int64_t(b) * T + step) * D, ht + int64_t(b) * 2 * D, D);
      else
        kernels::fill(ht + int64_t(b) * 2 * D, 0.f, D);
    }

    scores_.resize({B, T});
    if (luong_) {
      query_.resize({B, D});
      // q = h_t W^T, so that score_s = h_t . (W h_s) = h_s . q: one (B x D x D) product instead of (B*T x D x D)
      kernels::gemm(Trans::No, Trans::Yes, B, D, D, 1.f, ht, 2 * D, luongW_->value, D, 0.f, query_.data(), D);
      // score[b, s] = x[b, s, :] . q[b]
      for (int b = 0; b < B; ++b)
        for (int s = 0; s < T; ++s)
          scores_[int64_t(b) * T + s] =
              kernels::dot(x.data() + (int64_t(b) * T + s) * D, query_.data() + int64_t(b) * D, D);
    } else {
      query_.resize({B, D});
      preTanh_.resize({B, T, D});
      hidden_.resize({B, T, D});
      // u = h_t W1
      kernels::gemm(Trans::No, Trans::No, B, D, D, 1.f, ht, 2 * D, w1_->value, D, 0.f, query_.data(), D);
      // z[b, s] = h_s W2 + u[b]
      kernels::gemm(Trans::No, Trans::No, B * T, D, D, 1.f, x.data(), D, w2_->value, D, 0.f, preTanh_.data(), D);
      for (int b = 0; b < B; ++b)
        kernels::addRowVector(query_.data() + int64_t(b) * D, preTanh_.data() + int64_t(b) * T * D, T, D);
      // hidden = tanh(z)
      kernels::activationForward(Activation::Tanh, preTanh_.data(), hidden_.data(), hidden_.size(), D);
      // score[b, s] = hidden[b, s, :] . v
      for (int64_t r = 0; r < int64_t(B) * T; ++r) scores_[r] = kernels::dot(hidden_.data() + r * D, v_->value, D);
    }

    weights_.resize({B, T});
    // a = softmax_s(score), masked steps -> 0
    attention::maskedSoftmax(scores_.data(), weights_.data(), {.batch = B, .keys = T}, {.keyMask = mask});

    // c[b] = sum_s a[b, s] x[b, s, :]
    for (int b = 0; b < B; ++b)
      kernels::gemm(Trans::No, Trans::No, 1, D, T, 1.f, weights_.data() + int64_t(b) * T, T,
                    x.data() + int64_t(b) * T * D, D, 0.f, concat_.data() + int64_t(b) * 2 * D, 2 * D);

    preActivation_.resize({B, units_});
    Tensor& out = outputs_[0];
    out.resize({B, units_});
    // out = tanh([c; h_t] Wc)
    kernels::gemm(Trans::No, Trans::No, B, units_, 2 * D, 1.f, concat_.data(), 2 * D, wc_->value, units_, 0.f,
                  preActivation_.data(), units_);
    kernels::activationForward(Activation::Tanh, preActivation_.data(), out.data(), out.size(), units_);
  }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const Tensor& dy = *pass.outputGrads[0];
    Tensor* dxTensor = pass.inputGrads[0];
    float* dx = dxTensor ? dxTensor->data() : nullptr;
    const int B = x.dim(0), T = x.dim(1), D = dim_;
    const float* ht = concat_.data() + D;

    dPre_.resize({B, units_});
    // dpre = dy * (1 - out^2)
    kernels::activationBackward(Activation::Tanh, preActivation_.data(), outputs_[0].data(), dy.data(), dPre_.data(),
                                dy.size(), units_);
    // dWc += [c; h_t]^T dpre
    kernels::gemm(Trans::Yes, Trans::No, 2 * D, units_, B, 1.f, concat_.data(), 2 * D, dPre_.data(), units_, 1.f,
                  wc_->grad, units_);
    dConcat_.resize({B, 2 * D});
    // [dc; dh_t] = dpre Wc^T
    kernels::gemm(Trans::No, Trans::Yes, B, 2 * D, units_, 1.f, dPre_.data(), units_, wc_->value, units_, 0.f,
                  dConcat_.data(), 2 * D);
    float* dht = dConcat_.data() + D;

    dScores_.resize({B, T});
    for (int b = 0; b < B; ++b) {
      const float* dc = dConcat_.data() + int64_t(b) * 2 * D;
      for (int s = 0; s < T; ++s) {
        const int64_t r = int64_t(b) * T + s;
        // da[b, s] = x[b, s, :] . dc[b]
        dScores_[r] = kernels::dot(x.data() + r * D, dc, D);
        // dx[b, s, :] += a[b, s] dc[b]
        if (dx) kernels::axpy(weights_[r], dc, dx + r * D, D);
      }
    }
    // dscore = a * (da - sum_s a da); masked steps have a = 0, hence dscore = 0 and no gradient below
    kernels::softmaxBackward(weights_.data(), dScores_.data(), dScores_.data(), B, T, 1);

    if (luong_) {
      dQuery_.resize({B, D});
      for (int b = 0; b < B; ++b) {
        const float* xb = x.data() + int64_t(b) * T * D;
        const float* dscore = dScores_.data() + int64_t(b) * T;
        // dq[b] = sum_s dscore[b, s] x[b, s, :]
        kernels::gemm(Trans::No, Trans::No, 1, D, T, 1.f, dscore, T, xb, D, 0.f, dQuery_.data() + int64_t(b) * D, D);
        // dx[b, s, :] += dscore[b, s] q[b]
        if (dx)
          for (int s = 0; s < T; ++s)
            kernels::axpy(dscore[s], query_.data() + int64_t(b) * D, dx + (int64_t(b) * T + s) * D, D);
      }
      // dW += dq^T h_t
      kernels::gemm(Trans::Yes, Trans::No, D, D, B, 1.f, dQuery_.data(), D, ht, 2 * D, 1.f, luongW_->grad, D);
      // dh_t += dq W
      kernels::gemm(Trans::No, Trans::No, B, D, D, 1.f, dQuery_.data(), D, luongW_->value, D, 1.f, dht, 2 * D);
    } else {
      dPreTanh_.resize({B, T, D});
      for (int64_t r = 0; r < int64_t(B) * T; ++r) {
        // dhidden[b, s, :] = dscore[b, s] v
        kernels::copy(v_->value, dPreTanh_.data() + r * D, D);
        kernels::scale(dScores_[r], dPreTanh_.data() + r * D, D);
        // dv += dscore[b, s] hidden[b, s, :]
        kernels::axpy(dScores_[r], hidden_.data() + r * D, v_->grad, D);
      }
      // dz = dhidden * (1 - hidden^2)
      kernels::activationBackward(Activation::Tanh, preTanh_.data(), hidden_.data(), dPreTanh_.data(),
                                  dPreTanh_.data(), dPreTanh_.size(), D);
      dQuery_.resize({B, D});
      // du[b] = sum_s dz[b, s, :]
      kernels::reduceSum(dPreTanh_.data(), dQuery_.data(), B, T, D);
      // dW2 += x^T dz
      kernels::gemm(Trans::Yes, Trans::No, D, D, B * T, 1.f, x.data(), D, dPreTanh_.data(), D, 1.f, w2_->grad, D);
      // dx += dz W2^T
      if (dx)
        kernels::gemm(Trans::No, Trans::Yes, B * T, D, D, 1.f, dPreTanh_.data(), D, w2_->value, D, 1.f, dx, D);
      // dW1 += h_t^T du
      kernels::gemm(Trans::Yes, Trans::No, D, D, B, 1.f, ht, 2 * D, dQuery_.data(), D, 1.f, w1_->grad, D);
      // dh_t += du W1^T
      kernels::gemm(Trans::No, Trans::Yes, B, D, D, 1.f, dQuery_.data(), D, w1_->value, D, 1.f, dht, 2 * D);
    }

    // dx[b, query step, :] += dh_t[b]; a fully masked row read no step
    if (dx)
      for (int b = 0; b < B; ++b)
        if (queryStep_[b] >= 0)
          kernels::addInPlace(dht + int64_t(b) * 2 * D, dx + (int64_t(b) * T + queryStep_[b]) * D, D);
  }

  const Tensor* outputMask(int) const override { return nullptr; }
  const Tensor* attentionWeights() const override { return &weights_; }

 private:
  int units_ = 128, dim_ = 0;
  bool luong_ = true;
  Param* luongW_ = nullptr;
  Param* w1_ = nullptr;
  Param* w2_ = nullptr;
  Param* v_ = nullptr;
  Param* wc_ = nullptr;
  std::vector<int> queryStep_;  // per row: the step h_t was read from, -1 for a fully masked row
  // forward state kept for backward; query_ is q (luong) or u = h_t W1 (bahdanau)
  Tensor concat_, query_, preTanh_, hidden_, scores_, weights_, preActivation_;
  Tensor dPre_, dConcat_, dScores_, dQuery_, dPreTanh_;
};

}  // namespace

ATTN_REGISTER_LAYER(Attention, "attention", "Attention")

}  // namespace attn
