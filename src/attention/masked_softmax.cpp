#include "attention/masked_softmax.h"

#include <limits>

#include "core/check.h"
#include "kernels/kernels.h"

namespace attn {

void checkMaskShape(const Tensor& mask, int batch, int steps, const std::string& layer) {
  ATTN_CHECK(mask.rank() == 2 && mask.dim(0) == batch && mask.dim(1) == steps, layer, ": expected a mask of shape (",
             batch, ", ", steps, "), got ", mask.shape().str());
}

void maskedSoftmax(const float* scores, const float* mask, float* weights, int batch, int steps, int inner) {
  if (!mask) {
    kernels::softmax(scores, weights, batch, steps, inner);
    return;
  }
  const int64_t rowSize = int64_t(steps) * inner;
  if (weights != scores) kernels::copy(scores, weights, batch * rowSize);
  for (int b = 0; b < batch; ++b) {
    const float* keep = mask + int64_t(b) * steps;
    float* row = weights + b * rowSize;
    bool anyKept = false;
    for (int t = 0; t < steps; ++t) {
      if (keep[t] != 0.f)
        anyKept = true;
      else
        kernels::fill(row + int64_t(t) * inner, -std::numeric_limits<float>::infinity(), inner);
    }
    // All -inf would make the softmax 0/0; any finite row will do, its weights are zeroed below.
    if (!anyKept) kernels::fill(row, 0.f, rowSize);
  }
  // a = softmax(scores) along the steps axis, in place
  kernels::softmax(weights, weights, batch, steps, inner);
  for (int b = 0; b < batch; ++b)
    for (int t = 0; t < steps; ++t)
      if (mask[int64_t(b) * steps + t] == 0.f) kernels::fill(weights + b * rowSize + int64_t(t) * inner, 0.f, inner);
}

}  // namespace attn
