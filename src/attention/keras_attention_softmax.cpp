#include "attention/keras_attention_softmax.h"

#include <algorithm>

#include "core/check.h"
#include "kernels/kernels.h"

namespace attn::attention {
namespace {

// Far below any real score yet finite: x - max stays finite for every exp implementation, and
// the masked entries are set to exactly 0 after the softmax anyway.
constexpr float kMaskedScore = -1e30f;

// Writes `value` into the masked entries of row (b, i) of width tv.
void fillMasked(float* row, float value, int b, int i, int tq, int tv, const ScoreMask& mask) {
  if (mask.queryMask && mask.queryMask[int64_t(b) * tq + i] == 0.f) {
    kernels::fill(row, value, tv);
    return;
  }
  const int attended = mask.causal ? std::min(i + 1, tv) : tv;
  if (attended < tv) kernels::fill(row + attended, value, tv - attended);
  for (const float* keys : {mask.keyMask, mask.secondKeyMask}) {
    if (!keys) continue;
    const float* keep = keys + int64_t(b) * tv;
    for (int j = 0; j < attended; ++j)
      if (keep[j] == 0.f) row[j] = value;
  }
}

}  // namespace

const float* inputMask(std::span<const Tensor* const> masks, int index, int batch, int steps,
                       const std::string& layer) {
  if (static_cast<int>(masks.size()) <= index || !masks[index]) return nullptr;
  const Tensor& m = *masks[index];
  ATTN_CHECK(m.shape() == (Shape{batch, steps}), layer, ": expected mask ", index, " of shape ",
             Shape{batch, steps}.str(), ", got ", m.shape().str());
  return m.data();
}

void maskedSoftmax(float* scores, float* weights, int batch, int groups, int tq, int tv, const ScoreMask& mask) {
  const bool masked = mask.queryMask || mask.keyMask || mask.secondKeyMask || (mask.causal && tv > 1);
  if (masked)
    for (int b = 0; b < batch; ++b)
      for (int g = 0; g < groups; ++g)
        for (int i = 0; i < tq; ++i)
          fillMasked(scores + ((int64_t(b) * groups + g) * tq + i) * tv, kMaskedScore, b, i, tq, tv, mask);
  // weights = exp(s - max) / sum exp(s - max) over keys
  kernels::softmax(scores, weights, batch * groups * tq, tv, 1);
  if (masked)
    for (int b = 0; b < batch; ++b)
      for (int g = 0; g < groups; ++g)
        for (int i = 0; i < tq; ++i)
          fillMasked(weights + ((int64_t(b) * groups + g) * tq + i) * tv, 0.f, b, i, tq, tv, mask);
}

void WeightDropout::forward(const Tensor& weights, Tensor& dropped, float rate, Rng& rng) {
  keep_.resize(weights.shape());
  dropped.resize(weights.shape());
  const float kept = 1.f / (1.f - rate);
  for (int64_t i = 0; i < keep_.size(); ++i) keep_[i] = rng.uniform() >= rate ? kept : 0.f;
  // dropped = weights * keep
  kernels::mul(weights.data(), keep_.data(), dropped.data(), weights.size());
}

void WeightDropout::backward(float* grad, int64_t n) const { kernels::mul(grad, keep_.data(), grad, n); }

}  // namespace attn::attention
