// MultiHeadAttention: keras.layers.MultiHeadAttention (attention over axis 1).
//   inputs  query (B, T, Dq), value (B, S, Dv), key (B, S, Dk) optional (key = value)
//   q = query Wq + bq (B, T, H, Kd); k = key Wk + bk (B, S, H, Kd); v = value Wv + bv (B, S, H, Vd)
//   scores (B, H, T, S) = (q / sqrt(Kd)) k^T per head; weights = softmax over S; dropout
//   context (B, T, H, Vd) = weights v per head; output (B, T, Dout) = context Wo + bo
//   params  [Keras order] query/kernel (Dq, H, Kd), query/bias (H, Kd), key/kernel (Dk, H, Kd),
//           key/bias (H, Kd), value/kernel (Dv, H, Vd), value/bias (H, Vd),
//           attention_output/kernel (H, Vd, Dout), attention_output/bias (Dout); Dout = outputShape or Dq
// A (B, T, H, K) tensor is a (B*T, H*K) matrix, so one head is a strided (rows, K) view with
// leading dimension H*K: every product is one gemm per (batch, head).
// Masks as Keras: masks[1] (value) and masks[2] (key) remove keys; masks[0] (query) masks whole
// rows of the attention (Keras folds it into the attention mask) and is the output mask.
#include <cmath>

#include "attention/masked_softmax.h"
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

using kernels::Trans;

class MultiHeadAttention final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "MultiHeadAttention"; }

  void visitOptions(OptionList& o) override {
    o.positiveInt("numHeads", numHeads_);
    o.positiveInt("keyDim", keyDim_);
    o.positiveInt("valueDim", valueDim_, keyDim_);
    o.boolean("useBias", useBias_, true);
    o.numberInRange("dropout", dropout_, 0.f, 0.f, 1.f, /*highExcluded=*/true);
    o.boolean("causal", causal_, false);
    // Keras' output_shape: the output's last dimension (null: the query's).
    o.custom(
        "outputShape",
        [&](const Json& value) {
          const bool one = value.is_number_integer() ||
                           (value.is_array() && value.size() == 1 && value[0].is_number_integer());
          o.require(value.is_null() || (one && (value.is_array() ? value[0] : value).get<int>() >= 1),
                    "option 'outputShape' must be a positive integer (the output's last dimension)");
          outputDimOption_ = value.is_null() ? 0 : (value.is_array() ? value[0] : value).get<int>();
        },
        [&] { return outputDimOption_ ? Json(outputDimOption_) : Json(nullptr); });
    o.initializer("kernelInitializer", kernelInit_, Initializer::glorotUniform());
    o.initializer("biasInitializer", biasInit_, Initializer::zeros());
    o.regularizer("kernelRegularizer", kernelReg_);
    o.regularizer("biasRegularizer", biasReg_);
  }

  InputSpec inputSpec() const override {
    static constexpr const char* kRoles[] = {"query", "value", "key"};
    return {2, 3, kRoles, /*sequences=*/true};
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore& store) override {
    const Shape& key = in.size() == 3 ? in[2] : in[1];
    ATTN_CHECK(key[0] == in[1][0], name_, ": value and key must have the same number of steps, got ", in[1][0],
               " and ", key[0]);
    queryDim_ = in[0][1];
    valueInputDim_ = in[1][1];
    keyInputDim_ = key[1];
    outputDim_ = outputDimOption_ ? outputDimOption_ : queryDim_;
    queryKernel_ = addParam(store, "query/kernel", {queryDim_, numHeads_, keyDim_}, kernelInit_, kernelReg_);
    if (useBias_) queryBias_ = addParam(store, "query/bias", {numHeads_, keyDim_}, biasInit_, biasReg_);
    keyKernel_ = addParam(store, "key/kernel", {keyInputDim_, numHeads_, keyDim_}, kernelInit_, kernelReg_);
    if (useBias_) keyBias_ = addParam(store, "key/bias", {numHeads_, keyDim_}, biasInit_, biasReg_);
    valueKernel_ = addParam(store, "value/kernel", {valueInputDim_, numHeads_, valueDim_}, kernelInit_, kernelReg_);
    if (useBias_) valueBias_ = addParam(store, "value/bias", {numHeads_, valueDim_}, biasInit_, biasReg_);
    outputKernel_ =
        addParam(store, "attention_output/kernel", {numHeads_, valueDim_, outputDim_}, kernelInit_, kernelReg_);
    if (useBias_) outputBias_ = addParam(store, "attention_output/bias", {outputDim_}, biasInit_, biasReg_);
    setOutputCount(1);
    return {Shape{in[0][0], outputDim_}};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& query = *pass.inputs[0];
    const Tensor& value = *pass.inputs[1];
    const Tensor& key = pass.inputs.size() == 3 ? *pass.inputs[2] : value;
    const int batch = query.dim(0), t = query.dim(1), s = value.dim(1);
    const attention::ScoreMask mask{pass.maskData(0), pass.maskData(1), pass.maskData(2), causal_};

    const int hk = numHeads_ * keyDim_, hv = numHeads_ * valueDim_;
    queries_.resize({batch * t, hk});
    keys_.resize({batch * s, hk});
    values_.resize({batch * s, hv});
    project(query, queryKernel_, queryBias_, hk, queries_);
    project(key, keyKernel_, keyBias_, hk, keys_);
    project(value, valueKernel_, valueBias_, hv, values_);

    scores_.resize({batch, numHeads_, t, s});
    weights_.resize({batch, numHeads_, t, s});
    const float scoreScale = 1.f / std::sqrt(static_cast<float>(keyDim_));
    for (int b = 0; b < batch; ++b)
      for (int h = 0; h < numHeads_; ++h)
        // scores_bh = (q_bh / sqrt(Kd)) k_bh^T
        kernels::gemm(Trans::No, Trans::Yes, t, s, keyDim_, scoreScale, headOf(queries_, b, t, h, keyDim_), hk,
                      headOf(keys_, b, s, h, keyDim_), hk, 0.f, scores_.data() + (int64_t(b) * numHeads_ + h) * t * s,
                      s);
    attention::maskedSoftmax(scores_.data(), weights_.data(), {batch, numHeads_, t, s, 1}, mask);

    droppedLastForward_ = pass.training && dropout_ > 0.f;
    if (droppedLastForward_) {
      ATTN_CHECK(pass.rng, name_, ": training with dropout needs a random generator");
      weightDropout_.forward(weights_, dropped_, dropout_, *pass.rng);
    }
    const Tensor& attended = droppedLastForward_ ? dropped_ : weights_;

    context_.resize({batch * t, hv});
    for (int b = 0; b < batch; ++b)
      for (int h = 0; h < numHeads_; ++h)
        // context_bh = weights_bh v_bh
        kernels::gemm(Trans::No, Trans::No, t, valueDim_, s, 1.f,
                      attended.data() + (int64_t(b) * numHeads_ + h) * t * s, s, headOf(values_, b, s, h, valueDim_),
                      hv, 0.f, headOf(context_, b, t, h, valueDim_), hv);

    Tensor& out = outputs_[0];
    out.resize({batch, t, outputDim_});
    // out = context Wo (+ bo)
    kernels::gemm(Trans::No, Trans::No, batch * t, outputDim_, hv, 1.f, context_.data(), hv, outputKernel_->value,
                  outputDim_, 0.f, out.data(), outputDim_, useBias_ ? outputBias_->value : nullptr);
  }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& query = *pass.inputs[0];
    const Tensor& value = *pass.inputs[1];
    const bool separateKey = pass.inputs.size() == 3;
    const Tensor& key = separateKey ? *pass.inputs[2] : value;
    const Tensor& dOut = *pass.outputGrads[0];
    const int batch = query.dim(0), t = query.dim(1), s = value.dim(1);
    const int hk = numHeads_ * keyDim_, hv = numHeads_ * valueDim_;

    // dWo += context^T dOut; dbo += sum_rows dOut; dContext = dOut Wo^T
    kernels::gemm(Trans::Yes, Trans::No, hv, outputDim_, batch * t, 1.f, context_.data(), hv, dOut.data(), outputDim_,
                  1.f, outputKernel_->grad, outputDim_);
    if (useBias_) kernels::sumRows(dOut.data(), outputBias_->grad, batch * t, outputDim_);
    dContext_.resize({batch * t, hv});
    kernels::gemm(Trans::No, Trans::Yes, batch * t, hv, outputDim_, 1.f, dOut.data(), outputDim_,
                  outputKernel_->value, outputDim_, 0.f, dContext_.data(), hv);

    const Tensor& attended = droppedLastForward_ ? dropped_ : weights_;
    dWeights_.resize(weights_.shape());
    dValues_.resize({batch * s, hv});
    for (int b = 0; b < batch; ++b)
      for (int h = 0; h < numHeads_; ++h) {
        const int64_t block = (int64_t(b) * numHeads_ + h) * t * s;
        // dWeights_bh = dContext_bh v_bh^T
        kernels::gemm(Trans::No, Trans::Yes, t, s, valueDim_, 1.f, headOf(dContext_, b, t, h, valueDim_), hv,
                      headOf(values_, b, s, h, valueDim_), hv, 0.f, dWeights_.data() + block, s);
        // dv_bh = weights_bh^T dContext_bh
        kernels::gemm(Trans::Yes, Trans::No, s, valueDim_, t, 1.f, attended.data() + block, s,
                      headOf(dContext_, b, t, h, valueDim_), hv, 0.f, headOf(dValues_, b, s, h, valueDim_), hv);
      }
    if (droppedLastForward_) weightDropout_.backward(dWeights_.data(), dWeights_.size());
    // dScores = w * (dw - sum_s dw * w); masked pairs have w = 0, hence exactly 0 gradient
    kernels::softmaxBackward(weights_.data(), dWeights_.data(), dWeights_.data(), batch * numHeads_ * t, s, 1);

    const float scoreScale = 1.f / std::sqrt(static_cast<float>(keyDim_));
    dQueries_.resize({batch * t, hk});
    dKeys_.resize({batch * s, hk});
    for (int b = 0; b < batch; ++b)
      for (int h = 0; h < numHeads_; ++h) {
        const float* dScores = dWeights_.data() + (int64_t(b) * numHeads_ + h) * t * s;
        // dq_bh = dScores_bh k_bh / sqrt(Kd)
        kernels::gemm(Trans::No, Trans::No, t, keyDim_, s, scoreScale, dScores, s, headOf(keys_, b, s, h, keyDim_),
                      hk, 0.f, headOf(dQueries_, b, t, h, keyDim_), hk);
        // dk_bh = dScores_bh^T q_bh / sqrt(Kd)
        kernels::gemm(Trans::Yes, Trans::No, s, keyDim_, t, scoreScale, dScores, s,
                      headOf(queries_, b, t, h, keyDim_), hk, 0.f, headOf(dKeys_, b, s, h, keyDim_), hk);
      }
    projectBackward(query, queryKernel_, queryBias_, hk, dQueries_, pass.inputGrads[0]);
    projectBackward(key, keyKernel_, keyBias_, hk, dKeys_, separateKey ? pass.inputGrads[2] : pass.inputGrads[1]);
    projectBackward(value, valueKernel_, valueBias_, hv, dValues_, pass.inputGrads[1]);
  }

  const Tensor* attentionWeights() const override { return &weights_; }

 private:
  // Head h of a (batch * steps, heads * width) matrix, batch b: a (steps, width) view with
  // leading dimension heads * width.
  float* headOf(Tensor& m, int b, int steps, int h, int width) {
    return m.data() + int64_t(b) * steps * numHeads_ * width + int64_t(h) * width;
  }

  // out (rows, cols) = x (rows, D) W (D, cols) (+ bias)
  void project(const Tensor& x, const Param* kernel, const Param* bias, int cols, Tensor& out) {
    const int inDim = x.dim(2), rows = x.dim(0) * x.dim(1);
    kernels::gemm(Trans::No, Trans::No, rows, cols, inDim, 1.f, x.data(), inDim, kernel->value, cols, 0.f, out.data(),
                  cols, bias ? bias->value : nullptr);
  }

  // dW += x^T dOut; db += sum_rows dOut; dx += dOut W^T
  void projectBackward(const Tensor& x, Param* kernel, Param* bias, int cols, const Tensor& dOut, Tensor* dx) {
    const int inDim = x.dim(2), rows = x.dim(0) * x.dim(1);
    kernels::gemm(Trans::Yes, Trans::No, inDim, cols, rows, 1.f, x.data(), inDim, dOut.data(), cols, 1.f, kernel->grad,
                  cols);
    if (bias) kernels::sumRows(dOut.data(), bias->grad, rows, cols);
    if (dx)
      kernels::gemm(Trans::No, Trans::Yes, rows, inDim, cols, 1.f, dOut.data(), cols, kernel->value, cols, 1.f,
                    dx->data(), inDim);
  }

  int numHeads_ = 0, keyDim_ = 0, valueDim_ = 0, outputDimOption_ = 0;
  int queryDim_ = 0, keyInputDim_ = 0, valueInputDim_ = 0, outputDim_ = 0;
  bool useBias_ = true, causal_ = false;
  float dropout_ = 0.f;
  Initializer kernelInit_, biasInit_;
  Regularizer kernelReg_, biasReg_;
  Param *queryKernel_ = nullptr, *queryBias_ = nullptr, *keyKernel_ = nullptr, *keyBias_ = nullptr;
  Param *valueKernel_ = nullptr, *valueBias_ = nullptr, *outputKernel_ = nullptr, *outputBias_ = nullptr;
  Tensor queries_, keys_, values_, scores_, weights_, dropped_, context_;
  Tensor dContext_, dWeights_, dQueries_, dKeys_, dValues_;
  attention::WeightDropout weightDropout_;
  bool droppedLastForward_ = false;
};

}  // namespace

ATTN_REGISTER_LAYER(MultiHeadAttention, "multiHeadAttention", "MultiHeadAttention")

}  // namespace attn
