// DotAttention: keras.layers.Attention (Luong-style), score_mode 'dot' or 'concat'.
//   inputs  query (B, Tq, D), value (B, Tv, Dv), key (B, Tv, D) optional (key = value)
//   output  (B, Tq, Dv); attention weights (B, Tq, Tv)
//   dot:    scores_ij = scale * q_i . k_j                       (scale only when useScale)
//   concat: scores_ij = c * sum_d tanh(scale * (q_id + k_jd))   (scale only when useScale)
//   params  scale () [ones] when useScale, concat_score_weight () [ones] when concat  [Keras order]
// Masking, causal, dropout and the output product live in BaseDenseAttention.
#include "attention/keras_dense_attention.h"
#include "core/check.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

using kernels::Trans;

class DotAttention final : public attention::BaseDenseAttention {
 public:
  using BaseDenseAttention::BaseDenseAttention;

  const char* className() const override { return "DotAttention"; }

  void visitOptions(OptionList& o) override {
    o.boolean("useScale", useScale_, false);
    o.choice("scoreMode", concat_, false, {{"dot", false}, {"concat", true}});
    visitCommonOptions(o);
  }

 protected:
  void buildScores(int /*dim*/, ParamStore& store) override {
    if (useScale_) scale_ = addParam(store, "scale", Shape{}, Initializer::ones());
    if (concat_) concatWeight_ = addParam(store, "concat_score_weight", Shape{}, Initializer::ones());
  }

  void computeScores(const Tensor& query, const Tensor& key, Tensor& scores) override {
    const int batch = query.dim(0), tq = query.dim(1), tv = key.dim(1);
    if (!concat_) {
      // The unscaled products are kept: they are dLoss/dscale's factor.
      Tensor& products = useScale_ ? products_ : scores;
      products.resize(scores.shape());
      // products_b = q_b . k_b^T
      for (int b = 0; b < batch; ++b)
        kernels::gemm(Trans::No, Trans::Yes, tq, tv, dim_, 1.f, query.data() + int64_t(b) * tq * dim_, dim_,
                      key.data() + int64_t(b) * tv * dim_, dim_, 0.f, products.data() + int64_t(b) * tq * tv, tv);
      if (useScale_) {
        // scores = scale * products
        kernels::copy(products.data(), scores.data(), scores.size());
        kernels::scale(scale_->value[0], scores.data(), scores.size());
      }
      return;
    }
    tanhSums_.resize(scores.shape());
    block_.resize({tv, dim_});
    for (int b = 0; b < batch; ++b)
      for (int i = 0; i < tq; ++i) {
        const int64_t row = int64_t(b) * tq + i;
        // block_j = tanh(scale * (q_i + k_j))
        addQueryToKeys(query.data() + row * dim_, key.data() + int64_t(b) * tv * dim_, block_.data(), tv, dim_);
        if (useScale_) kernels::scale(scale_->value[0], block_.data(), block_.size());
        kernels::activationForward(Activation::Tanh, block_.data(), block_.data(), block_.size(), dim_);
        // tanhSums_ij = sum_d block_jd
        kernels::reduceSum(block_.data(), tanhSums_.data() + row * tv, tv, dim_, 1);
      }
    // scores = c * tanhSums
    kernels::copy(tanhSums_.data(), scores.data(), scores.size());
    kernels::scale(concatWeight_->value[0], scores.data(), scores.size());
  }

  void scoresBackward(const Tensor& query, const Tensor& key, const Tensor& dScores, Tensor* dQuery,
                      Tensor* dKey) override {
    const int batch = query.dim(0), tq = query.dim(1), tv = key.dim(1);
    const float scale = useScale_ ? scale_->value[0] : 1.f;
    if (!concat_) {
      // dscale += sum dScores * (q . k^T)
      if (useScale_) scale_->grad[0] += kernels::dot(dScores.data(), products_.data(), dScores.size());
      for (int b = 0; b < batch; ++b) {
        const float* dScoresB = dScores.data() + int64_t(b) * tq * tv;
        // dq_b += scale * dScores_b . k_b
        if (dQuery)
          kernels::gemm(Trans::No, Trans::No, tq, dim_, tv, scale, dScoresB, tv, key.data() + int64_t(b) * tv * dim_,
                        dim_, 1.f, dQuery->data() + int64_t(b) * tq * dim_, dim_);
        // dk_b += scale * dScores_b^T . q_b
        if (dKey)
          kernels::gemm(Trans::Yes, Trans::No, tv, dim_, tq, scale, dScoresB, tv,
                        query.data() + int64_t(b) * tq * dim_, dim_, 1.f, dKey->data() + int64_t(b) * tv * dim_, dim_);
      }
      return;
    }
    const float c = concatWeight_->value[0];
    // dc += sum dScores * sum_d tanh(...)
    concatWeight_->grad[0] += kernels::dot(dScores.data(), tanhSums_.data(), dScores.size());
    sums_.resize({tv, dim_});
    block_.resize({tv, dim_});
    tanhBlock_.resize({tv, dim_});
    gradBlock_.resize({tv, dim_});
    for (int b = 0; b < batch; ++b)
      for (int i = 0; i < tq; ++i) {
        const int64_t row = int64_t(b) * tq + i;
        const float* dScoresRow = dScores.data() + row * tv;
        // The pre-activations are recomputed rather than kept: (B, Tq, Tv, D) floats would be the
        // layer's largest buffer by far.
        addQueryToKeys(query.data() + row * dim_, key.data() + int64_t(b) * tv * dim_, sums_.data(), tv, dim_);
        const float* preActivation = sums_.data();
        if (useScale_) {
          kernels::copy(sums_.data(), block_.data(), block_.size());
          kernels::scale(scale, block_.data(), block_.size());
          preActivation = block_.data();
        }
        kernels::activationForward(Activation::Tanh, preActivation, tanhBlock_.data(), tanhBlock_.size(), dim_);
        // dtanh_jd = c * dScores_ij
        for (int j = 0; j < tv; ++j) kernels::fill(gradBlock_.data() + int64_t(j) * dim_, c * dScoresRow[j], dim_);
        // dpre = dtanh * (1 - tanh^2)
        kernels::activationBackward(Activation::Tanh, preActivation, tanhBlock_.data(), gradBlock_.data(),
                                    gradBlock_.data(), gradBlock_.size(), dim_);
        // dscale += sum dpre * (q_i + k_j); d(q_i + k_j) = scale * dpre
        if (useScale_) {
          scale_->grad[0] += kernels::dot(gradBlock_.data(), sums_.data(), gradBlock_.size());
          kernels::scale(scale, gradBlock_.data(), gradBlock_.size());
        }
        // dq_i += sum_j d(q_i + k_j)
        if (dQuery) kernels::sumRows(gradBlock_.data(), dQuery->data() + row * dim_, tv, dim_);
        // dk_j += d(q_i + k_j)
        if (dKey) kernels::addInPlace(gradBlock_.data(), dKey->data() + int64_t(b) * tv * dim_, gradBlock_.size());
      }
  }

 private:
  bool useScale_ = false, concat_ = false;
  Param* scale_ = nullptr;
  Param* concatWeight_ = nullptr;
  Tensor products_, tanhSums_, sums_, block_, tanhBlock_, gradBlock_;
};

}  // namespace

ATTN_REGISTER_LAYER(DotAttention, "dotAttention", "DotAttention")

}  // namespace attn
