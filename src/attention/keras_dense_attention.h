// BaseDenseAttention: what keras.layers.Attention and AdditiveAttention share (Keras' own
// BaseDenseAttention). Subclasses supply only the scores and their backward.
//   inputs  [query (B, Tq, D), value (B, Tv, Dv), key (B, Tv, D)]; without key, key = value
//   scores, weights (B, Tq, Tv) = softmax over Tv; output (B, Tq, Dv) = weights . value
// Masks as Keras: masks[1] (value, (B, Tv)) removes keys from every query's softmax; masks[0]
// (query, (B, Tq)) zeroes the output rows of masked queries and is the output mask; masks[2]
// (key) is ignored, as in Keras. causal (Keras use_causal_mask): query i sees keys j <= i.
#pragma once
#include <string>
#include <vector>

#include "attention/masked_softmax.h"
#include "core/config.h"
#include "layers/layer.h"

namespace attn::attention {

class BaseDenseAttention : public Layer {
 public:
  using Layer::Layer;

  const Tensor* attentionWeights() const final { return &weights_; }

 protected:
  InputSpec inputSpec() const final;
  std::vector<Shape> onBuild(const std::vector<Shape>& inputShapes, ParamStore& store) final;
  void onForward(const ForwardPass& pass) final;
  void onBackward(const BackwardPass& pass) final;

  // dropout (rate on the attention weights, training only) and causal.
  void visitCommonOptions(OptionList& options);

  // Declares the score parameters once the query/key width `dim` is known.
  virtual void buildScores(int dim, ParamStore& store) = 0;
  // scores (B, Tq, Tv, already sized) from query (B, Tq, D) and key (B, Tv, D).
  virtual void computeScores(const Tensor& query, const Tensor& key, Tensor& scores) = 0;
  // Accumulates the score parameters' gradients and dQuery / dKey (either may be null) from
  // dScores (B, Tq, Tv), which is exactly 0 at masked pairs.
  virtual void scoresBackward(const Tensor& query, const Tensor& key, const Tensor& dScores, Tensor* dQuery,
                              Tensor* dKey) = 0;

  // out[j, :] = query + keys[j, :] for the tv rows of keys (the broadcast sum of the tanh scores).
  static void addQueryToKeys(const float* query, const float* keys, float* out, int tv, int dim);

  int dim_ = 0, valueDim_ = 0;
  float dropout_ = 0.f;
  bool causal_ = false;

 private:
  Tensor scores_, weights_, dropped_, dWeights_, maskedOutputGrad_;
  WeightDropout weightDropout_;
  bool droppedLastForward_ = false;
};

}  // namespace attn::attention
