// The layer contract. Every layer is a forward/backward pair over batch-first tensors:
//   build()    once: checks per-sample input shapes, declares parameters, returns output shapes;
//   forward()  fills outputs() (layer-owned, resized per batch: no allocation after the first);
//   backward() reads the inputs and its own outputs/scratch from the last forward, ACCUMULATES
//              (+=) into the input gradients and the parameter gradients.
// Layers call kernels (src/kernels) for the arithmetic and never touch SIMD themselves.
#pragma once
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/random.h"
#include "core/shape.h"
#include "core/tensor.h"
#include "kernels/activation.h"
#include "layers/param.h"

namespace attn {

struct ForwardPass {
  std::span<const Tensor* const> inputs;  // batch-first, one per input of the layer
  std::span<const Tensor* const> masks;   // per input: (B, T) of 1/0 (1 = keep), or nullptr; may be empty
  bool training = false;
  Rng* rng = nullptr;  // randomness for dropout; non-null when training
};

struct BackwardPass {
  std::span<const Tensor* const> inputs;       // the same inputs as the last forward
  std::span<const Tensor* const> masks;        // the same masks as the last forward
  std::span<const Tensor* const> outputGrads;  // one per output, shaped like outputs(); never null
  std::span<Tensor* const> inputGrads;         // one per input, accumulate (+=); nullptr = not needed
};

class Layer {
 public:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  void setName(std::string name) { name_ = std::move(name); }

  // Keras' class name ("Dense", "LSTM").
  virtual const char* className() const = 0;
  // The options that recreate this layer through its factory (camelCase, defaults included).
  virtual Json options() const = 0;

  // Per-sample shapes (no batch dimension) in and out. Throws attn::Error naming the layer when
  // the inputs do not fit ("dense_1: expected input with last dimension 32, got 31").
  virtual std::vector<Shape> build(const std::vector<Shape>& inputShapes, ParamStore& params) = 0;
  virtual void forward(const ForwardPass& pass) = 0;
  virtual void backward(const BackwardPass& pass) = 0;

  // The mask of output `index` after forward(), or nullptr. Default: the first input's mask
  // passes through unchanged (Dense, Dropout, LSTM with returnSequences...). Layers that
  // consume the time axis return nullptr; Embedding(maskZero) returns its own.
  virtual const Tensor* outputMask(const ForwardPass& pass, int index) const;

  // Attention layers: the attention weights of the last forward pass (shapes in API.md).
  virtual const Tensor* attentionWeights() const { return nullptr; }

  // Loss fusion: a layer whose output 0 ends in sigmoid/softmax reports it here and keeps its
  // pre-activation in outputLogits(). When the model fuses that activation into a
  // cross-entropy loss it calls setLogitGradients(true); backward then receives dLoss/dLogits
  // in outputGrads[0] and must skip the activation's derivative.
  virtual Activation outputActivation() const { return Activation::Linear; }
  virtual const Tensor* outputLogits() const { return nullptr; }
  void setLogitGradients(bool on) { logitGradients_ = on; }

  std::vector<Tensor>& outputs() { return outputs_; }
  const std::vector<Tensor>& outputs() const { return outputs_; }
  const Tensor& output(int index = 0) const { return outputs_.at(index); }
  // In Keras order (kernel, recurrent_kernel, bias...).
  const std::vector<Param*>& params() const { return params_; }
  int64_t countParams(bool trainableOnly = false) const;

 protected:
  // Declares "<layer name>/<shortName>" in the store and records it as this layer's parameter.
  Param* addParam(ParamStore& store, const std::string& shortName, const Shape& shape, const Initializer& init,
                  const Regularizer& reg = {}, bool trainable = true);
  // Resizes outputs() to `count` tensors of batch-first shapes (no allocation once large enough).
  void setOutputCount(int count) { outputs_.resize(count); }

  std::string name_;
  std::vector<Tensor> outputs_;
  std::vector<Param*> params_;
  bool logitGradients_ = false;
};

}  // namespace attn
