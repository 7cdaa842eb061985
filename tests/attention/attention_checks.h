// Checks shared by the attention layer tests: naive masked softmax in double, the "rows sum to 1"
// and "masked steps are inert" properties, 'pre' padding masks, and the allocation count of a
// repeated training step.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/tensor.h"
#include "layers/layer.h"
#include "testing/allocations.h"
#include "layers/param.h"

namespace attn::testing {

// (B, T) mask with the first pads[b] steps of row b masked out, as padSequences(padding: 'pre').
inline Tensor headMask(int steps, const std::vector<int>& pads) {
  Tensor mask(Shape{static_cast<int>(pads.size()), steps});
  for (size_t b = 0; b < pads.size(); ++b)
    for (int t = 0; t < steps; ++t) mask[b * steps + t] = t < pads[b] ? 0.f : 1.f;
  return mask;
}

inline bool kept(const Tensor& mask, int b, int t) { return mask.empty() || mask[int64_t(b) * mask.dim(1) + t] != 0.f; }

// Softmax in double over the kept entries; masked entries (and rows with nothing kept) get 0.
inline std::vector<double> naiveSoftmax(const std::vector<double>& scores, const std::vector<bool>& keep) {
  double top = -INFINITY;
  for (size_t i = 0; i < scores.size(); ++i)
    if (keep[i]) top = std::max(top, scores[i]);
  std::vector<double> out(scores.size(), 0.0);
  double total = 0;
  for (size_t i = 0; i < scores.size(); ++i)
    if (keep[i]) total += out[i] = std::exp(scores[i] - top);
  for (double& v : out)
    if (total > 0) v /= total;
  return out;
}

// Weights viewed as (B, T, inner), attended over T: every (b, inner) column sums to 1, or to 0
// exactly when its row is fully masked.
inline void expectColumnsSumToOne(const Tensor& weights, int batch, int steps, int inner, const Tensor& mask) {
  for (int b = 0; b < batch; ++b) {
    bool anyKept = false;
    for (int t = 0; t < steps; ++t) anyKept = anyKept || kept(mask, b, t);
    for (int i = 0; i < inner; ++i) {
      double total = 0;
      for (int t = 0; t < steps; ++t) total += weights[(int64_t(b) * steps + t) * inner + i];
      if (anyKept)
        EXPECT_NEAR(total, 1.0, 1e-5) << "row " << b << " column " << i;
      else
        EXPECT_EQ(total, 0.0) << "fully masked row " << b;
    }
  }
}

// Masked steps: weight exactly 0 (all `inner` entries) and input gradient exactly 0 (all D).
inline void expectMaskedStepsInert(const Tensor& weights, int inner, const Tensor& inputGrad, const Tensor& mask) {
  const int batch = mask.dim(0), steps = mask.dim(1), features = inputGrad.dim(2);
  int maskedSeen = 0;
  for (int b = 0; b < batch; ++b)
    for (int t = 0; t < steps; ++t) {
      if (kept(mask, b, t)) continue;
      ++maskedSeen;
      for (int i = 0; i < inner; ++i)
        EXPECT_EQ(weights[(int64_t(b) * steps + t) * inner + i], 0.f) << "weight at b=" << b << " t=" << t;
      for (int d = 0; d < features; ++d)
        EXPECT_EQ(inputGrad[(int64_t(b) * steps + t) * features + d], 0.f) << "gradient at b=" << b << " t=" << t;
    }
  EXPECT_GT(maskedSeen, 0) << "the mask masks nothing: the check cannot fail";
}

inline void expectAllFinite(const Tensor& t, const char* what) {
  for (int64_t i = 0; i < t.size(); ++i) ASSERT_TRUE(std::isfinite(t[i])) << what << "[" << i << "] = " << t[i];
}

// Runs forward + backward twice on the same shapes and returns how many tensor buffers the
// second step allocated (a layer must allocate on the first batch only).
inline int64_t allocationsOfSecondStep(Layer& layer, const Tensor& x, const Tensor* mask) {
  Tensor inputGrad(x.shape());
  const Tensor* inputs[] = {&x};
  const Tensor* masks[] = {mask};
  ForwardPass forward{inputs, masks, false, nullptr};
  layer.forward(forward);
  Tensor outputGrad(layer.output().shape());
  outputGrad.fill(0.5f);
  const Tensor* outputGrads[] = {&outputGrad};
  Tensor* inputGrads[] = {&inputGrad};
  BackwardPass backward{inputs, masks, outputGrads, inputGrads};
  layer.backward(backward);
  return testing::allocationsDuring([&] {
           layer.forward(forward);
           layer.backward(backward);
         }).total();
}

// backward must ADD into input and parameter gradients: a second backward doubles them.
inline void expectBackwardAccumulates(Layer& layer, ParamStore& store, const Tensor& x, const Tensor* mask) {
  const Tensor* inputs[] = {&x};
  const Tensor* masks[] = {mask};
  layer.forward(ForwardPass{inputs, masks, false, nullptr});
  Tensor outputGrad(layer.output().shape());
  for (int64_t i = 0; i < outputGrad.size(); ++i) outputGrad[i] = 0.25f + 0.1f * float(i % 7);
  Tensor inputGrad(x.shape());
  const Tensor* outputGrads[] = {&outputGrad};
  Tensor* inputGrads[] = {&inputGrad};
  BackwardPass backward{inputs, masks, outputGrads, inputGrads};
  store.zeroGrads();
  layer.backward(backward);
  const Tensor once = inputGrad;
  std::vector<std::vector<float>> paramOnce;
  for (const Param* p : layer.params()) paramOnce.emplace_back(p->grad, p->grad + p->size());
  layer.backward(backward);
  for (int64_t i = 0; i < x.size(); ++i) ASSERT_NEAR(inputGrad[i], 2 * once[i], 1e-5 + 1e-5 * std::fabs(once[i]));
  for (size_t k = 0; k < paramOnce.size(); ++k) {
    const Param* p = layer.params()[k];
    bool anyNonzero = false;
    for (int64_t i = 0; i < p->size(); ++i) {
      anyNonzero = anyNonzero || paramOnce[k][i] != 0.f;
      ASSERT_NEAR(p->grad[i], 2 * paramOnce[k][i], 1e-5 + 1e-5 * std::fabs(paramOnce[k][i])) << p->name << "[" << i << "]";
    }
    EXPECT_TRUE(anyNonzero) << p->name << " got no gradient: the check cannot fail";
  }
}

}  // namespace attn::testing
