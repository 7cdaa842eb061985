// Naive double-precision twins of the Keras attention layers, and small helpers shared by
// test_dot_attention.cpp, test_additive_attention.cpp and test_multi_head_attention.cpp.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "core/tensor.h"
#include "layers/layer.h"
#include "testing/allocations.h"

namespace attn::testing {

struct AttentionResult {
  std::vector<double> output;   // (B, Tq, Dv) or (B, T, Dout)
  std::vector<double> weights;  // (B, Tq, Tv) or (B, H, T, S)
};

// Softmax of `scores` over the entries `allowed` marks; all-zero when nothing is allowed.
inline std::vector<double> naiveMaskedSoftmax(const std::vector<double>& scores, const std::vector<bool>& allowed) {
  std::vector<double> w(scores.size(), 0.0);
  double top = -INFINITY;
  for (size_t j = 0; j < scores.size(); ++j)
    if (allowed[j]) top = std::max(top, scores[j]);
  if (top == -INFINITY) return w;
  double total = 0;
  for (size_t j = 0; j < scores.size(); ++j)
    if (allowed[j]) total += w[j] = std::exp(scores[j] - top);
  for (double& x : w) x /= total;
  return w;
}

inline bool keeps(const Tensor* mask, int b, int steps, int t) { return !mask || (*mask)[b * steps + t] != 0.f; }

// Keras' BaseDenseAttention: score(b, i, j) given; value mask and causal remove keys; the query
// mask zeroes output rows.
inline AttentionResult naiveDenseAttention(const Tensor& query, const Tensor& value, const Tensor* queryMask,
                                           const Tensor* valueMask, bool causal,
                                           const std::function<double(int, int, int)>& score) {
  const int batch = query.dim(0), tq = query.dim(1), tv = value.dim(1), dv = value.dim(2);
  AttentionResult r;
  r.output.assign(size_t(batch) * tq * dv, 0.0);
  r.weights.assign(size_t(batch) * tq * tv, 0.0);
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < tq; ++i) {
      std::vector<double> scores(tv);
      std::vector<bool> allowed(tv);
      for (int j = 0; j < tv; ++j) {
        scores[j] = score(b, i, j);
        allowed[j] = keeps(valueMask, b, tv, j) && (!causal || j <= i);
      }
      const std::vector<double> w = naiveMaskedSoftmax(scores, allowed);
      const double rowKeep = keeps(queryMask, b, tq, i) ? 1.0 : 0.0;
      for (int j = 0; j < tv; ++j) {
        r.weights[(size_t(b) * tq + i) * tv + j] = w[j];
        for (int d = 0; d < dv; ++d)
          r.output[(size_t(b) * tq + i) * dv + d] += rowKeep * w[j] * value[(int64_t(b) * tv + j) * dv + d];
      }
    }
  return r;
}

inline void expectNear(const Tensor& actual, const std::vector<double>& expected, double tolerance,
                       const char* what) {
  ASSERT_EQ(actual.size(), static_cast<int64_t>(expected.size())) << what;
  for (int64_t i = 0; i < actual.size(); ++i)
    ASSERT_NEAR(actual[i], expected[i], tolerance) << what << "[" << i << "]";
}

// Every row of `weights` (rows of width `width`) sums to 1, or is all zero when `allowEmpty`
// says so for that row.
inline void expectRowsSumToOne(const Tensor& weights, int width, const std::function<bool(int64_t)>& allowEmpty = {}) {
  for (int64_t row = 0; row < weights.size() / width; ++row) {
    double total = 0;
    for (int j = 0; j < width; ++j) total += weights[row * width + j];
    if (allowEmpty && allowEmpty(row))
      EXPECT_EQ(total, 0.0) << "row " << row;
    else
      EXPECT_NEAR(total, 1.0, 1e-5) << "row " << row;
  }
}

// Runs forward + backward twice on the same inputs and returns the tensor allocations made by
// the second pair: 0 when the layer keeps its scratch between batches.
inline int64_t allocationsOnSecondBatch(Layer& layer, const std::vector<Tensor>& inputs,
                                        const std::vector<const Tensor*>& masks, bool training) {
  std::vector<const Tensor*> in;
  for (const Tensor& t : inputs) in.push_back(&t);
  std::vector<Tensor> grads;
  for (const Tensor& t : inputs) grads.emplace_back(t.shape());
  std::vector<Tensor*> dIn;
  for (Tensor& g : grads) dIn.push_back(&g);
  Tensor dOut;
  Rng rng(3);
  const Tensor* dOutPtr = nullptr;
  const auto round = [&] {
    rng = Rng(3);
    layer.forward(ForwardPass{in, masks, training, &rng});
    layer.backward(BackwardPass{in, masks, std::span<const Tensor* const>(&dOutPtr, 1), dIn});
  };
  layer.forward(ForwardPass{in, masks, training, &rng});
  dOut = Tensor(layer.output().shape());
  dOut.fill(0.5f);
  dOutPtr = &dOut;
  round();  // the first batch may allocate
  return testing::allocationsDuring(round).total();
}

}  // namespace attn::testing
