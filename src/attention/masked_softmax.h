// The attention-weight machinery every attention layer shares: one masked softmax (one masking
// convention) and the inverted dropout Keras applies to its result.
//   scores, weights: (batch, groups, queries, keys, inner) row-major, softmax over `keys`.
//     groups = heads (MultiHeadAttention), 1 elsewhere; queries = 1 for the single-query layers;
//     inner = features when each feature has its own softmax over time (timeAttention), else 1.
//   masks: (batch, queries) and (batch, keys); 1 = keep, 0 = masked (any nonzero keeps, as Keras
//     casts masks to bool).
#pragma once
#include <cstdint>

#include "core/random.h"
#include "core/tensor.h"

namespace attn::attention {

struct SoftmaxShape {
  int batch = 1;
  int groups = 1;
  int queries = 1;
  int keys = 1;
  int inner = 1;
};

// Which (query i, key j) pairs may attend. A pair is masked when any given key mask is 0 at j,
// when causal and j > i, or when the query mask is 0 at i (MultiHeadAttention folds the query
// mask into its attention mask, as Keras does; the other layers leave queryMask null).
struct ScoreMask {
  const float* queryMask = nullptr;
  const float* keyMask = nullptr;
  const float* secondKeyMask = nullptr;
  bool causal = false;
};

// weights = softmax over keys of scores where attended, exactly 0 where masked. Masked scores
// are replaced by a large finite negative number before the softmax (every exp stays finite),
// then their weights are set to exactly 0. A row with every key masked gets all-zero weights
// (Keras' -1e9 bias would give it uniform weights instead: see README). `scores` is left
// untouched (backward passes may need them); `weights` may alias it.
void maskedSoftmax(const float* scores, float* weights, const SoftmaxShape& shape, const ScoreMask& mask);

// Keras' inverted dropout on the attention weights: each weight is kept with probability
// 1 - rate and scaled by 1 / (1 - rate). The draw is kept so backward applies the same mask.
class WeightDropout {
 public:
  // dropped = weights * keep, keep[i] in {0, 1 / (1 - rate)}.
  void forward(const Tensor& weights, Tensor& dropped, float rate, Rng& rng);
  // grad *= keep (the gradient of the dropped weights becomes that of the weights).
  void backward(float* grad, int64_t n) const;

 private:
  Tensor keep_;
};

}  // namespace attn::attention
