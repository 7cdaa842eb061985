// AdditiveAttention: keras.layers.AdditiveAttention (Bahdanau-style).
//   inputs  query (B, Tq, D), value (B, Tv, Dv), key (B, Tv, D) optional (key = value)
//   output  (B, Tq, Dv); attention weights (B, Tq, Tv)
//   scores_ij = sum_d scale_d * tanh(q_id + k_jd)   (scale_d = 1 without useScale)
//   params  scale (D) [glorotUniform: fan_in = fan_out = D, limit sqrt(3 / D)] when useScale
// Keras 2 sizes scale by the value's last dimension, which must then equal D; Keras 3 by the
// query's. D is used here: the same whenever Keras 2 accepts the inputs.
// Masking, causal, dropout and the output product live in BaseDenseAttention.
#include "attention/keras_dense_attention.h"
#include "core/check.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

using kernels::Trans;

class AdditiveAttention final : public attention::BaseDenseAttention {
 public:
  using BaseDenseAttention::BaseDenseAttention;

  const char* className() const override { return "AdditiveAttention"; }

  void visitOptions(OptionList& o) override {
    o.boolean("useScale", useScale_, true);
    visitCommonOptions(o);
  }

 protected:
  void buildScores(int dim, ParamStore& store) override {
    if (useScale_) scale_ = addParam(store, "scale", Shape{dim}, Initializer::glorotUniform());
  }

  void computeScores(const Tensor& query, const Tensor& key, Tensor& scores) override {
    const int batch = query.dim(0), tq = query.dim(1), tv = key.dim(1);
    block_.resize({tv, dim_});
    for (int b = 0; b < batch; ++b)
      for (int i = 0; i < tq; ++i) {
        const int64_t row = int64_t(b) * tq + i;
        float* scoresRow = scores.data() + row * tv;
        // block_j = tanh(q_i + k_j)
        addQueryToKeys(query.data() + row * dim_, key.data() + int64_t(b) * tv * dim_, block_.data(), tv, dim_);
        kernels::activationForward(Activation::Tanh, block_.data(), block_.data(), block_.size(), dim_);
        // scores_ij = block_j . scale  (or the plain sum over d)
        if (useScale_)
          kernels::gemm(Trans::No, Trans::No, tv, 1, dim_, 1.f, block_.data(), dim_, scale_->value, 1, 0.f, scoresRow,
                        1);
        else
          kernels::reduceSum(block_.data(), scoresRow, tv, dim_, 1);
      }
  }

  void scoresBackward(const Tensor& query, const Tensor& key, const Tensor& dScores, Tensor* dQuery,
                      Tensor* dKey) override {
    const int batch = query.dim(0), tq = query.dim(1), tv = key.dim(1);
    sums_.resize({tv, dim_});
    block_.resize({tv, dim_});
    gradBlock_.resize({tv, dim_});
    for (int b = 0; b < batch; ++b)
      for (int i = 0; i < tq; ++i) {
        const int64_t row = int64_t(b) * tq + i;
        const float* dScoresRow = dScores.data() + row * tv;
        // The tanh block is recomputed rather than kept: (B, Tq, Tv, D) floats would be the
        // layer's largest buffer by far.
        addQueryToKeys(query.data() + row * dim_, key.data() + int64_t(b) * tv * dim_, sums_.data(), tv, dim_);
        kernels::activationForward(Activation::Tanh, sums_.data(), block_.data(), block_.size(), dim_);
        if (useScale_) {
          // dscale += dScores_i^T . tanh block
          kernels::gemm(Trans::Yes, Trans::No, 1, dim_, tv, 1.f, dScoresRow, 1, block_.data(), dim_, 1.f, scale_->grad,
                        dim_);
          // dtanh_jd = dScores_ij * scale_d
          kernels::gemm(Trans::No, Trans::No, tv, dim_, 1, 1.f, dScoresRow, 1, scale_->value, dim_, 0.f,
                        gradBlock_.data(), dim_);
        } else {
          for (int j = 0; j < tv; ++j) kernels::fill(gradBlock_.data() + int64_t(j) * dim_, dScoresRow[j], dim_);
        }
        // d(q_i + k_j) = dtanh * (1 - tanh^2)
        kernels::activationBackward(Activation::Tanh, sums_.data(), block_.data(), gradBlock_.data(),
                                    gradBlock_.data(), gradBlock_.size(), dim_);
        // dq_i += sum_j d(q_i + k_j)
        if (dQuery) kernels::sumRows(gradBlock_.data(), dQuery->data() + row * dim_, tv, dim_);
        // dk_j += d(q_i + k_j)
        if (dKey) kernels::addInPlace(gradBlock_.data(), dKey->data() + int64_t(b) * tv * dim_, gradBlock_.size());
      }
  }

 private:
  bool useScale_ = true;
  Param* scale_ = nullptr;
  Tensor sums_, block_, gradBlock_;
};

}  // namespace

ATTN_REGISTER_LAYER(AdditiveAttention, "additiveAttention", "AdditiveAttention")

}  // namespace attn
