// LayerHarness: builds one layer outside a model, feeds it random inputs, and checks its
// backward pass against central finite differences of a fixed random projection of its
// outputs, loss = sum_o sum_i probe_o[i] * out_o[i]. Every layer test uses it.
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"
#include "layers/layer.h"
#include "layers/param.h"

namespace attn::testing {

class LayerHarness {
 public:
  // inputShapes are per sample (no batch). Inputs start as N(0,1) samples; parameters as the
  // layer's initializers draw them (seeded).
  LayerHarness(std::unique_ptr<Layer> layer, const std::vector<Shape>& inputShapes, int batch, uint64_t seed = 1);

  Layer& layer() { return *layer_; }
  const std::vector<Shape>& outputShapes() const { return outputShapes_; }
  ParamStore& store() { return store_; }

  std::vector<Tensor> inputs;  // batch-first
  std::vector<Tensor> masks;   // per input; an empty Tensor means "no mask"
  // Gives input `index` a (B, T) mask with the last `padded[b]` steps of row b masked out.
  void maskTail(int index, const std::vector<int>& padded);
  // Fills input `index` with integer ids in [low, high) (Embedding inputs).
  void fillIds(int index, int low, int high);
  // Overwrites all trainable parameters with N(0, stddev) draws (to leave saturated inits).
  void randomizeParams(float stddev = 0.5f);

  // Runs forward; the pass's Rng is re-seeded every call so dropout repeats its mask.
  void forward(bool training = false);
  double probeLoss();     // of the last forward
  double probeAbsLoss();  // sum |probe * out| of the last forward
  // Zeroes every gradient, runs forward + backward with the probes as output gradients.
  void forwardBackward(bool training = false);
  std::vector<Tensor> inputGrads;  // after forwardBackward; empty tensors for ids inputs

 private:
  std::unique_ptr<Layer> layer_;
  ParamStore store_;
  std::vector<Shape> outputShapes_;
  std::vector<Tensor> probes_;
  std::vector<bool> isIds_;
  uint64_t seed_;
};

struct GradCheckOptions {
  float epsilon = 1e-2f;
  double relativeTolerance = 2e-2;
  // Added to the float32 rounding floor that gradientsMatch computes per case (see there).
  double absoluteTolerance = 1e-5;
  bool training = false;
  // Elements checked per tensor at most (chosen evenly; all when the tensor is smaller).
  int maxElements = 200;
  bool checkInputs = true;
  bool checkParams = true;
};

// Compares analytic gradients of inputs (not id inputs) and trainable parameters with central
// differences. Fails on any non-finite analytic or numeric value, and with the tensor, element, analytic and numeric values of the worst entry.
::testing::AssertionResult gradientsMatch(LayerHarness& harness, const GradCheckOptions& options = {});

// Creates a layer through the registry: makeLayer("dense", {{"units", 3}}).
std::unique_ptr<Layer> makeLayer(const std::string& type, const Json& options);

}  // namespace attn::testing
