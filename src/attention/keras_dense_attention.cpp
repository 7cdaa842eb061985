#include "attention/keras_dense_attention.h"

#include "core/check.h"
#include "kernels/kernels.h"

namespace attn::attention {

using kernels::Trans;

void BaseDenseAttention::visitCommonOptions(OptionList& options) {
  options.numberInRange("dropout", dropout_, 0.f, 0.f, 1.f, /*highExcluded=*/true);
  options.boolean("causal", causal_, false);
}

InputSpec BaseDenseAttention::inputSpec() const {
  static constexpr const char* kRoles[] = {"query", "value", "key"};
  return {2, 3, kRoles, /*sequences=*/true};
}

std::vector<Shape> BaseDenseAttention::onBuild(const std::vector<Shape>& in, ParamStore& store) {
  const Shape& query = in[0];
  const Shape& value = in[1];
  const Shape& key = in.size() == 3 ? in[2] : in[1];
  ATTN_CHECK(key[1] == query[1], name_, ": query and ", in.size() == 3 ? "key" : "value (the key when none is given)",
             " must have the same last dimension, got ", query[1], " and ", key[1]);
  ATTN_CHECK(key[0] == value[0], name_, ": value and key must have the same number of steps, got ", value[0],
             " and ", key[0]);
  dim_ = query[1];
  valueDim_ = value[1];
  buildScores(dim_, store);
  setOutputCount(1);
  return {Shape{query[0], valueDim_}};
}

void BaseDenseAttention::addQueryToKeys(const float* query, const float* keys, float* out, int tv, int dim) {
  for (int j = 0; j < tv; ++j) kernels::add(query, keys + int64_t(j) * dim, out + int64_t(j) * dim, dim);
}

void BaseDenseAttention::onForward(const ForwardPass& pass) {
  const Tensor& query = *pass.inputs[0];
  const Tensor& value = *pass.inputs[1];
  const Tensor& key = pass.inputs.size() == 3 ? *pass.inputs[2] : value;
  const int batch = query.dim(0), tq = query.dim(1), tv = value.dim(1);
  const float* queryMask = pass.maskData(0);
  const float* valueMask = pass.maskData(1);

  scores_.resize({batch, tq, tv});
  weights_.resize({batch, tq, tv});
  computeScores(query, key, scores_);
  maskedSoftmax(scores_.data(), weights_.data(), {.batch = batch, .queries = tq, .keys = tv},
                {.keyMask = valueMask, .causal = causal_});

  droppedLastForward_ = pass.training && dropout_ > 0.f;
  if (droppedLastForward_) {
    ATTN_CHECK(pass.rng, name_, ": training with dropout needs a random generator");
    weightDropout_.forward(weights_, dropped_, dropout_, *pass.rng);
  }
  const Tensor& attended = droppedLastForward_ ? dropped_ : weights_;

  Tensor& out = outputs_[0];
  out.resize({batch, tq, valueDim_});
  // out_b = weights_b . value_b
  for (int b = 0; b < batch; ++b)
    kernels::gemm(Trans::No, Trans::No, tq, valueDim_, tv, 1.f, attended.data() + int64_t(b) * tq * tv, tv,
                  value.data() + int64_t(b) * tv * valueDim_, valueDim_, 0.f,
                  out.data() + int64_t(b) * tq * valueDim_, valueDim_);
  // Keras multiplies the result by the query mask.
  if (queryMask)
    for (int64_t row = 0; row < int64_t(batch) * tq; ++row)
      if (queryMask[row] == 0.f) kernels::fill(out.data() + row * valueDim_, 0.f, valueDim_);
}

void BaseDenseAttention::onBackward(const BackwardPass& pass) {
  const Tensor& query = *pass.inputs[0];
  const Tensor& value = *pass.inputs[1];
  const bool separateKey = pass.inputs.size() == 3;
  const Tensor& key = separateKey ? *pass.inputs[2] : value;
  const int batch = query.dim(0), tq = query.dim(1), tv = value.dim(1);
  const float* queryMask = pass.maskData(0);

  const Tensor* dOut = pass.outputGrads[0];
  if (queryMask) {
    maskedOutputGrad_ = *dOut;
    for (int64_t row = 0; row < int64_t(batch) * tq; ++row)
      if (queryMask[row] == 0.f) kernels::fill(maskedOutputGrad_.data() + row * valueDim_, 0.f, valueDim_);
    dOut = &maskedOutputGrad_;
  }
  const Tensor& attended = droppedLastForward_ ? dropped_ : weights_;
  dWeights_.resize({batch, tq, tv});
  for (int b = 0; b < batch; ++b) {
    const float* dOutB = dOut->data() + int64_t(b) * tq * valueDim_;
    const float* valueB = value.data() + int64_t(b) * tv * valueDim_;
    // dWeights_b = dOut_b . value_b^T
    kernels::gemm(Trans::No, Trans::Yes, tq, tv, valueDim_, 1.f, dOutB, valueDim_, valueB, valueDim_, 0.f,
                  dWeights_.data() + int64_t(b) * tq * tv, tv);
    // dValue_b += weights_b^T . dOut_b
    if (Tensor* dValue = pass.inputGrads[1])
      kernels::gemm(Trans::Yes, Trans::No, tv, valueDim_, tq, 1.f, attended.data() + int64_t(b) * tq * tv, tv, dOutB,
                    valueDim_, 1.f, dValue->data() + int64_t(b) * tv * valueDim_, valueDim_);
  }
  if (droppedLastForward_) weightDropout_.backward(dWeights_.data(), dWeights_.size());
  // dScores = w * (dw - sum_j dw * w); masked pairs have w = 0, hence exactly 0 gradient
  kernels::softmaxBackward(weights_.data(), dWeights_.data(), dWeights_.data(), batch * tq, tv, 1);
  Tensor* dKey = separateKey ? pass.inputGrads[2] : pass.inputGrads[1];
  scoresBackward(query, key, dWeights_, pass.inputGrads[0], dKey);
}

}  // namespace attn::attention
