// The layer contract. Every layer is a forward/backward pair over batch-first tensors:
//   build()    once: checks per-sample input shapes, declares parameters, returns output shapes;
//   forward()  fills outputs() (layer-owned, resized per batch: no allocation after the first);
//   backward() reads the inputs and its own outputs/scratch from the last forward, ACCUMULATES
//              (+=) into the input gradients and the parameter gradients.
// The base owns the boundary: build/forward/backward are not virtual. The base checks the number
// of inputs, records the built per-sample shapes, checks every batch against them (one wording
// for every layer), checks and resolves the masks (one slot per input, nullptr when absent), and
// only then calls the layer's onBuild / onForward / onBackward, which keep only the checks that
// are truly theirs (an option that needs a rank, two inputs that must agree...).
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
#include "layers/option_list.h"
#include "layers/param.h"

namespace attn {

// The masks of a pass: one per input, (B, T) of 1/0 (1 = keep), or nullptr. Callers may pass an
// empty or short list; inside onForward / onBackward it always has one checked slot per input.
struct PassMasks {
  std::span<const Tensor* const> masks;
  const Tensor* mask(size_t input) const { return input < masks.size() ? masks[input] : nullptr; }
  const float* maskData(size_t input) const {
    const Tensor* m = mask(input);
    return m ? m->data() : nullptr;
  }
};

struct ForwardPass : PassMasks {
  ForwardPass(std::span<const Tensor* const> in, std::span<const Tensor* const> m = {}, bool train = false,
              Rng* random = nullptr)
      : PassMasks{m}, inputs(in), training(train), rng(random) {}
  std::span<const Tensor* const> inputs;  // batch-first, one per input of the layer
  bool training = false;
  Rng* rng = nullptr;  // randomness for dropout; non-null when training
};

struct BackwardPass : PassMasks {
  BackwardPass(std::span<const Tensor* const> in, std::span<const Tensor* const> m,
               std::span<const Tensor* const> dOut, std::span<Tensor* const> dIn)
      : PassMasks{m}, inputs(in), outputGrads(dOut), inputGrads(dIn) {}
  std::span<const Tensor* const> inputs;       // the same inputs as the last forward
  std::span<const Tensor* const> outputGrads;  // one per output, shaped like outputs(); never null
  std::span<Tensor* const> inputGrads;         // one per input, accumulate (+=); nullptr = not needed
};

// How many inputs a layer takes, and what they are called in error messages.
struct InputSpec {
  int min = 1;
  int max = 1;                            // kAnyCount: no upper bound (Concatenate, Add...)
  std::span<const char* const> names{};   // by position ("query", "value", "key"); empty: "input" / "input i"
  bool sequences = false;                 // every input is (batch, steps, features)
  static constexpr int kAnyCount = 1 << 20;
};

class Layer {
 public:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  void setName(std::string name) { name_ = std::move(name); }

  // Reads the options the factory was given; the registry calls it once, right after
  // construction (so a layer's constructor takes only its name).
  void readOptions(const Json& config);

  // Keras' class name ("Dense", "LSTM").
  virtual const char* className() const = 0;
  // The options that recreate this layer through its factory (camelCase, defaults included):
  // visitOptions() writing.
  Json options() const;

  // Per-sample shapes (no batch dimension) in and out. Throws attn::Error naming the layer when
  // the inputs do not fit ("dense_1: expected input of shape (None, 32), got (None, 31)").
  std::vector<Shape> build(const std::vector<Shape>& inputShapes, ParamStore& params);
  // Throws attn::Error naming the layer when a batch does not fit the built shapes or a mask
  // does not fit its input ("dense_1: expected input of shape (None, 32), got (4, 31)").
  void forward(const ForwardPass& pass);
  void backward(const BackwardPass& pass);

  // The mask of output `index` after forward(), or nullptr. Default: the first input's mask
  // passes through unchanged (Dense, Dropout, LSTM with returnSequences...). Layers that
  // consume the time axis return nullptr; Embedding(maskZero) returns its own.
  virtual const Tensor* outputMask(int index) const;

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
  // The layer's option list, declared once: it reads the options (readOptions) and writes them
  // (options()). See layers/option_list.h.
  virtual void visitOptions(OptionList& options) = 0;

  virtual InputSpec inputSpec() const { return {}; }
  // build(), forward() and backward() once the base has checked the inputs and masks: every
  // pass holds exactly the built number of inputs, of the built shapes, one batch size, and one
  // mask slot per input (nullptr or (batch, steps of that input)).
  virtual std::vector<Shape> onBuild(const std::vector<Shape>& inputShapes, ParamStore& params) = 0;
  virtual void onForward(const ForwardPass& pass) = 0;
  virtual void onBackward(const BackwardPass& pass) = 0;

  // The per-sample input shapes the layer was built for.
  const std::vector<Shape>& inputShapes() const { return inputShapes_; }
  // Keras' merge mask: the AND of the input masks present in the last forward pass (nullptr when
  // none is). A single mask is returned as is; several are combined into `combined`.
  const Tensor* andOfInputMasks(Tensor& combined) const;
  // "input", "input 1", "query"...: how errors name input `index`.
  std::string inputName(int index) const;

  // Declares "<layer name>/<shortName>" in the store and records it as this layer's parameter.
  Param* addParam(ParamStore& store, const std::string& shortName, const Shape& shape, const Initializer& init,
                  const Regularizer& reg = {}, bool trainable = true);
  // Resizes outputs() to `count` tensors of batch-first shapes (no allocation once large enough).
  void setOutputCount(int count) { outputs_.resize(count); }

  std::string name_;
  std::vector<Tensor> outputs_;
  std::vector<Param*> params_;
  bool logitGradients_ = false;

 private:
  std::string inputName(int index, int count) const;
  void checkInputs(std::span<const Tensor* const> inputs) const;
  void resolveMasks(std::span<const Tensor* const> inputs, std::span<const Tensor* const> given);

  std::vector<Shape> inputShapes_;
  std::vector<const Tensor*> masks_;  // one per input, sized at build: no allocation per batch
};

}  // namespace attn
