#include "attention/masked_softmax.h"

#include <algorithm>

#include "kernels/kernels.h"

namespace attn::attention {
namespace {

// Far below any real score yet finite: x - max stays finite for every exp implementation, and
// the masked entries are set to exactly 0 after the softmax anyway.
constexpr float kMaskedScore = -1e30f;

// Writes `value` into the masked entries of row (b, query i): keys x inner floats.
void fillMasked(float* row, float value, int b, int i, const SoftmaxShape& s, const ScoreMask& mask) {
  const int64_t width = int64_t(s.keys) * s.inner;
  if (mask.queryMask && mask.queryMask[int64_t(b) * s.queries + i] == 0.f) {
    kernels::fill(row, value, width);
    return;
  }
  const int attended = mask.causal ? std::min(i + 1, s.keys) : s.keys;
  if (attended < s.keys) kernels::fill(row + int64_t(attended) * s.inner, value, int64_t(s.keys - attended) * s.inner);
  for (const float* keys : {mask.keyMask, mask.secondKeyMask}) {
    if (!keys) continue;
    const float* keep = keys + int64_t(b) * s.keys;
    for (int j = 0; j < attended; ++j)
      if (keep[j] == 0.f) kernels::fill(row + int64_t(j) * s.inner, value, s.inner);
  }
}

void fillMaskedRows(float* x, float value, const SoftmaxShape& s, const ScoreMask& mask) {
  const int64_t width = int64_t(s.keys) * s.inner;
  for (int b = 0; b < s.batch; ++b)
    for (int g = 0; g < s.groups; ++g)
      for (int i = 0; i < s.queries; ++i)
        fillMasked(x + ((int64_t(b) * s.groups + g) * s.queries + i) * width, value, b, i, s, mask);
}

}  // namespace

void maskedSoftmax(const float* scores, float* weights, const SoftmaxShape& s, const ScoreMask& mask) {
  const int rows = s.batch * s.groups * s.queries;
  const bool masked = mask.queryMask || mask.keyMask || mask.secondKeyMask || (mask.causal && s.keys > 1);
  if (masked) {
    if (weights != scores) kernels::copy(scores, weights, int64_t(rows) * s.keys * s.inner);
    fillMaskedRows(weights, kMaskedScore, s, mask);
    scores = weights;
  }
  // weights = exp(s - max) / sum exp(s - max) over keys
  kernels::softmax(scores, weights, rows, s.keys, s.inner);
  if (masked) fillMaskedRows(weights, 0.f, s, mask);
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
