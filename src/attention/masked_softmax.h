// Masking shared by the attention layers. A mask is (B, T) with 1 = keep, 0 = padded (any nonzero
// value keeps the step, as Keras casts masks to bool).
#pragma once
#include <span>
#include <string>

#include "core/tensor.h"

namespace attn {

// The mask of input 0 of a pass, or nullptr (pass.masks may be empty or hold nullptr).
inline const Tensor* firstMask(std::span<const Tensor* const> masks) { return masks.empty() ? nullptr : masks[0]; }

// Throws naming `layer` unless the mask is (batch, steps).
void checkMaskShape(const Tensor& mask, int batch, int steps, const std::string& layer);

// weights = softmax over the steps axis of scores viewed as (batch, steps, inner).
// Masked steps get weight exactly 0: their scores become -inf before the softmax (the softmax
// kernel must map exp(-inf) to a finite ~0), and their weights are zeroed again afterwards so
// they are exactly 0 even where a fast exp only approximates 0.
// A row whose steps are all masked gets all-zero weights instead of 0/0 = NaN. `mask` may be
// nullptr (plain softmax). `scores` is left untouched; `weights` may alias it.
void maskedSoftmax(const float* scores, const float* mask, float* weights, int batch, int steps, int inner);

}  // namespace attn
