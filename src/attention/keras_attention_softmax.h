// The attention-weight machinery shared by Keras' Attention, AdditiveAttention and
// MultiHeadAttention: the masked softmax over keys and the inverted dropout on its result.
//   scores, weights: (batch, groups, Tq, Tv) row-major; groups = heads (1 for the dense layers)
//   masks: queryMask (batch, Tq), keyMasks (batch, Tv); 1 = keep, 0 = masked
#pragma once
#include <cstdint>
#include <span>
#include <string>

#include "core/random.h"
#include "core/tensor.h"

namespace attn::attention {

// Which (query i, key j) pairs may attend. A pair is masked when any given key mask is 0 at j,
// when causal and j > i, or when the query mask is 0 at i (MultiHeadAttention folds the query
// mask into its attention mask, as Keras does; the dense layers leave queryMask null).
struct ScoreMask {
  const float* queryMask = nullptr;
  const float* keyMask = nullptr;
  const float* secondKeyMask = nullptr;
  bool causal = false;
};

// The (batch, steps) mask given for input `index`, or null when there is none. Throws when its
// shape does not fit that input.
const float* inputMask(std::span<const Tensor* const> masks, int index, int batch, int steps,
                       const std::string& layer);

// weights = softmax over Tv of scores where attended, exactly 0 where masked. A row with every
// key masked gets all-zero weights (Keras' -1e9 bias would give it uniform weights instead).
// scores is clobbered at masked entries.
void maskedSoftmax(float* scores, float* weights, int batch, int groups, int tq, int tv, const ScoreMask& mask);

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
