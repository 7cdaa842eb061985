// Losses and metrics, with Keras' reduction: a per-row loss (a row = one position of every axis
// but the last) averaged over the rows that the output mask keeps (all rows without a mask).
//   prediction (B, ..., C); target (B, ..., C), or (B, ...) / (B, ..., 1) of class ids for
//   sparseCategoricalCrossentropy; mask (B, T) or null, one weight per row when given.
// Cross-entropies can read the logits of a fused sigmoid/softmax (fromLogits): then the loss is
// computed stably from logits and the gradient is dLoss/dLogits. Otherwise predictions are
// clipped to [1e-7, 1 - 1e-7] as Keras does.
#pragma once
#include <string>

#include "core/tensor.h"
#include "kernels/activation.h"

namespace attn {

enum class LossKind { MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy,
                      SparseCategoricalCrossentropy };

// "mse" | "meanSquaredError" | "mae" | "meanAbsoluteError" | "binaryCrossentropy" |
// "categoricalCrossentropy" | "sparseCategoricalCrossentropy" (Keras' snake_case names too).
LossKind parseLoss(const std::string& name, const std::string& owner);
const char* lossName(LossKind kind);  // the camelCase name
// The activation a loss can absorb: Sigmoid for binary, Softmax for (sparse) categorical, else Linear.
Activation fusableActivation(LossKind kind);

constexpr float kLossEpsilon = 1e-7f;

struct LossInput {
  const Tensor* prediction = nullptr;  // probabilities / values, or logits when fromLogits
  bool fromLogits = false;
  const Tensor* target = nullptr;
  const Tensor* mask = nullptr;        // one weight per row, or null
  const Tensor* sampleWeight = nullptr;  // one weight per sample (B), or null: multiplies its rows' losses
};

// Returns the mean loss. When `grad` is non-null, ACCUMULATES scale * dLoss/dPrediction (or
// dLoss/dLogits) into it; it must already have the prediction's shape. Throws for sparse targets
// that are not class ids in [0, C) (`owner` names the output in the message).
// `rowWeight`, when given, receives the weight the mean was taken over (rows kept by the mask).
// `normalizer` > 0 replaces that weight as the divisor: a shard of a batch then returns (and
// differentiates) its share of the whole batch's mean, the shards' normalizer being the sum of
// their lossRowWeight.
double computeLoss(LossKind kind, const LossInput& in, Tensor* grad, const std::string& owner, float scale = 1.f,
                   double* rowWeight = nullptr, double normalizer = 0);
// The weight a loss over `in` is averaged over: its rows, or the rows its mask keeps.
double lossRowWeight(const LossInput& in);

// Keras' "accuracy" variant for a loss and shapes: binary (threshold 0.5) when the loss is binary
// cross-entropy or the prediction has one unit; sparse when targets are class ids; else argmax.
enum class AccuracyKind { Binary, Categorical, SparseCategorical };
AccuracyKind accuracyKindFor(LossKind loss, const Shape& prediction, const Shape& target);

struct MetricSum {
  double total = 0;   // sum of per-row values (weighted by the mask)
  double weight = 0;  // sum of row weights
  double mean() const { return weight > 0 ? total / weight : 0.0; }
  void reset() { total = weight = 0; }
};
// Adds this batch's correct predictions to `sum` (fromLogits: the prediction holds logits, whose
// ordering and sign agree with the probabilities', so sigmoid(z) > 0.5 iff z > 0).
void accumulateAccuracy(AccuracyKind kind, const LossInput& in, MetricSum& sum);

}  // namespace attn
