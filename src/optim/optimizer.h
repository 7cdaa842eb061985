// Optimizers with Keras' (TF2) update rules. Each step is one loop over the model's flat block of
// trainable values and gradients; per-parameter state (momentum, moments) is a flat Tensor of
// the same size. Options as API.md: 'sgd' | 'adam' | 'rmsprop', or {type, learningRate, ...}.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/tensor.h"

namespace attn {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual const char* type() const = 0;  // "sgd", "adam", "rmsprop"
  // {type, ...every option with its value}: recreates this optimizer through createOptimizer.
  virtual Json config() const = 0;

  // Sizes the state for `size` trainable values (zeroed; iterations restart at 0).
  void reset(int64_t size);
  // values -= update(grads); counts one iteration.
  void step(float* values, const float* grads, int64_t size);
  // The same step in parts that may run at once (the model's sharded step, on the pool):
  // beginStep counts the iteration, then updateRange over disjoint ranges covering the values.
  // Every rule is elementwise, so the parts give step's numbers whatever their boundaries.
  void beginStep(int64_t size);
  void updateRange(float* values, const float* grads, int64_t first, int64_t count) {
    update(values + first, grads + first, first, count, iterations_);
  }

  int64_t iterations() const { return iterations_; }
  float learningRate() const { return learningRate_; }
  void setLearningRate(float lr) { learningRate_ = lr; }
  // The state tensors in a fixed order, for saving/restoring (all of size()).
  std::vector<Tensor*> stateSlots();
  void setIterations(int64_t n) { iterations_ = n; }

 protected:
  explicit Optimizer(float learningRate, int slotCount) : learningRate_(learningRate), slots_(slotCount) {}
  // The update of values [first, first + count) (values and grads point at `first`, the state
  // slots are indexed from it); `iteration` counts from 1.
  virtual void update(float* values, const float* grads, int64_t first, int64_t count, int64_t iteration) = 0;

  float learningRate_;
  std::vector<Tensor> slots_;
  int64_t iterations_ = 0;
};

// From "adam" or {type: "adam", learningRate: 0.01, ...}; unknown types or options throw.
std::unique_ptr<Optimizer> createOptimizer(const Json& spec);

}  // namespace attn
