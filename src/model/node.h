// Internal to src/model: the graph node and output records behind Model's private
// declarations, shared by the files that implement Model.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/model.h"

namespace attn {

struct Model::Node {
  std::string name;
  std::string className;         // "InputLayer" for inputs
  std::unique_ptr<Layer> layer;  // null for inputs
  Shape inputShape;              // inputs only: per sample
  bool hidden = false;           // a Sequential's implicit input: not listed in layers()/summary
  std::vector<std::pair<int, int>> inbound;  // (node, output index)
  std::vector<Shape> outputShapes;           // per sample
  int consumers = 0;                         // uses of this node's outputs by other nodes and model outputs

  // Wiring, fixed after build: tensors live in layers and in the model's batch tensors.
  std::vector<const Tensor*> outputs;  // per output
  std::vector<const Tensor*> in, inMasks;
  std::vector<Tensor*> inGrads;
  std::vector<Tensor> grads;  // dLoss/dOutput per output (unused for inputs)
  std::vector<const Tensor*> gradPtrs;
  std::vector<const Tensor*> outMasks;  // per output, refreshed by every forward
};

struct Model::OutputSlot {
  int node = 0, index = 0;
  std::string prefix;  // "" for a single output, else "<layer>_"
  LossKind loss = LossKind::MeanSquaredError;
  bool fused = false;  // the loss reads the layer's logits and hands back dLoss/dLogits
  std::vector<MetricKind> metrics;
  int lossSlot = 0;                 // index of "<out>_loss" in metricNames_ (0 = "loss" when single)
  std::vector<int> metricSlots;     // per metric
};

// One shard of a data-parallel batch: a replica of the model (same graph, loss and metrics; it
// reads the model's trainable weights in place) and what its pass adds up.
struct Model::Shard {
  std::unique_ptr<Model> replica;
  int compileGeneration = -1;  // of the model when the replica was compiled
  Rng rng;                     // dropout, seeded per batch and shard
  std::vector<double> outputLosses, totals, weights, rowWeights;
};

namespace detail {
// "1 output", "3 outputs"
inline std::string plural(int64_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}
}  // namespace detail

}  // namespace attn
