// Small helpers shared by the layers in this folder: the shape and mask checks every layer
// repeats at build() and forward(), worded the same way everywhere.
#pragma once
#include <string>

#include "core/check.h"
#include "core/shape.h"
#include "core/tensor.h"
#include "layers/layer.h"

namespace attn::layer_checks {

// The mask of input `index`, or nullptr (pass.masks may be empty or hold nullptr).
template <class Pass>
inline const Tensor* maskOf(const Pass& pass, size_t index) {
  return index < pass.masks.size() ? pass.masks[index] : nullptr;
}

// "(2, 4, 6)" for a batch tensor.
inline std::string batchShape(const Tensor& x) { return x.shape().str(); }

// Forward-time check that a batch tensor still has the per-sample shape the layer was built for.
inline void expectSampleShape(const std::string& layer, const Tensor& x, const Shape& perSample,
                              const char* what = "input") {
  ATTN_CHECK(x.rank() == perSample.rank + 1 && x.shape().dropFirst() == perSample, layer, ": expected ", what,
             " of shape ", perSample.str(true), ", got ", batchShape(x));
}

// A (B, T) mask must match the first two dimensions of the tensor it masks.
inline void expectMaskFits(const std::string& layer, const Tensor* mask, const Tensor& x) {
  if (!mask) return;
  ATTN_CHECK(x.rank() >= 2 && mask->rank() == 2 && mask->dim(0) == x.dim(0) && mask->dim(1) == x.dim(1), layer,
             ": expected a (batch, time) mask matching input ", batchShape(x), ", got mask ", mask->shape().str());
}

// Keras axes count the batch as axis 0 and may be negative. Returns the per-sample axis
// (0-based, batch excluded) of a tensor whose per-sample rank is `sampleRank`.
inline int sampleAxis(const std::string& layer, const char* option, int axis, int sampleRank) {
  const int fullRank = sampleRank + 1;
  const int resolved = axis < 0 ? axis + fullRank : axis;
  ATTN_CHECK(resolved >= 0 && resolved < fullRank, layer, ": option '", option, "' = ", axis,
             " is out of range for inputs of rank ", fullRank, " (batch included)");
  ATTN_CHECK(resolved != 0, layer, ": option '", option, "' cannot be the batch axis 0");
  return resolved - 1;
}

// Views a shape as (outer, axis, inner) around dimension `axis`.
inline void splitAround(const Shape& s, int axis, int& outer, int& extent, int& inner) {
  outer = 1;
  inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  extent = s[axis];
  for (int i = axis + 1; i < s.rank; ++i) inner *= s[i];
}

// Keras' merge mask: the AND of the masks present (nullptr when none is). A single mask is
// returned as is; several are combined into `combined`.
template <class Pass>
inline const Tensor* andOfMasks(const std::string& layer, const Pass& pass, Tensor& combined) {
  const Tensor* first = nullptr;
  int present = 0;
  for (size_t i = 0; i < pass.inputs.size(); ++i)
    if (const Tensor* m = maskOf(pass, i)) {
      expectMaskFits(layer, m, *pass.inputs[i]);
      if (!first) first = m;
      ++present;
    }
  if (present <= 1) return first;
  combined.resize(first->shape());
  combined.fill(1.f);
  for (size_t i = 0; i < pass.inputs.size(); ++i)
    if (const Tensor* m = maskOf(pass, i))
      // keep = keep AND (m != 0)
      for (int64_t k = 0; k < combined.size(); ++k)
        if ((*m)[k] == 0.f) combined[k] = 0.f;
  return &combined;
}

}  // namespace attn::layer_checks
