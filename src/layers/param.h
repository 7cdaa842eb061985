// Parameters live in one flat block per model (llm.c style): zeroing every gradient is one
// memset and an optimizer step is one loop. Layers declare parameters while building and keep
// the returned Param*; its value/grad pointers become valid once the store is allocated.
#pragma once
#include <cstdint>
#include <deque>
#include <string>

#include "core/json.h"
#include "core/random.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace attn {

struct Initializer {
  enum class Kind { Zeros, Ones, Constant, GlorotUniform, GlorotNormal, HeUniform, HeNormal, Orthogonal,
                    RandomUniform, RandomNormal, LstmBias };
  Kind kind = Kind::Zeros;
  float a = 0.f, b = 0.f;  // Constant: a; RandomUniform: [a, b]; RandomNormal: mean a, stddev b;
                           // Orthogonal: gain a; LstmBias: a = units (forget-gate block set to 1)

  static Initializer zeros() { return {Kind::Zeros}; }
  static Initializer ones() { return {Kind::Ones}; }
  static Initializer constant(float v) { return {Kind::Constant, v}; }
  static Initializer glorotUniform() { return {Kind::GlorotUniform}; }
  static Initializer orthogonal(float gain = 1.f) { return {Kind::Orthogonal, gain}; }
  static Initializer randomUniform(float low, float high) { return {Kind::RandomUniform, low, high}; }
  static Initializer randomNormal(float mean, float stddev) { return {Kind::RandomNormal, mean, stddev}; }
  // Keras' unit_forget_bias for a (4 * units) LSTM bias laid out [i, f, c, o].
  static Initializer lstmBias(int units) { return {Kind::LstmBias, static_cast<float>(units)}; }
};

// "glorotUniform" | "zeros" | "ones" | "orthogonal" | "randomUniform" | "randomNormal" |
// "heUniform" | "heNormal" | "glorotNormal", or {type, ...}; null keeps `fallback`.
Initializer parseInitializer(const Json& spec, const Initializer& fallback, const std::string& owner);
Json initializerToJson(const Initializer& init);

struct Regularizer {
  float l1 = 0.f, l2 = 0.f;
  bool active() const { return l1 != 0.f || l2 != 0.f; }
};
// {l2: 0.01} | {l1: 0.01} | {l1, l2}; null -> none.
Regularizer parseRegularizer(const Json& spec, const std::string& owner);
Json regularizerToJson(const Regularizer& reg);

struct Param {
  std::string name;  // "dense_1/kernel", Keras' weight names without the ":0"
  Shape shape;
  Initializer init;
  Regularizer regularizer;
  bool trainable = true;
  float* value = nullptr;  // valid after ParamStore::allocate()
  float* grad = nullptr;   // trainable only; accumulated by backward passes
  int64_t size() const { return shape.numel(); }
};

class ParamStore {
 public:
  ParamStore() = default;
  ParamStore(const ParamStore&) = delete;
  ParamStore& operator=(const ParamStore&) = delete;

  // Declares a parameter. The pointer stays valid for the store's lifetime.
  Param* add(std::string name, const Shape& shape, const Initializer& init, const Regularizer& reg = {},
             bool trainable = true);
  // Lays every parameter out (trainable ones in one block, with a gradient block beside it;
  // non-trainable state in another) and runs the initializers in declaration order. With
  // `sharedValues` (a store declared the same way: a data-parallel replica's source), the
  // trainable parameters read its values in place instead, with no value block of their own and
  // no initializer run; their gradients and the state stay this store's.
  void allocate(Rng& rng, ParamStore* sharedValues = nullptr);
  bool allocated() const { return allocated_; }

  std::deque<Param>& params() { return params_; }
  const std::deque<Param>& params() const { return params_; }
  float* trainableValues() { return values_.data(); }
  float* trainableGrads() { return grads_.data(); }
  int64_t trainableSize() const { return grads_.size(); }
  int64_t totalSize() const;

  void zeroGrads() { grads_.zero(); }
  // Adds the regularizers' gradients to the gradient block and returns their loss
  // (sum l1 |w| + l2 w^2 over regularized parameters), as Keras adds them to the loss.
  float applyRegularization();
  float regularizationLoss() const;

 private:
  std::deque<Param> params_;
  Tensor values_, grads_, state_;
  bool allocated_ = false;
};

// Whether `given` names the weight `ours` ("<layer>/<path>"), in the library's, TF.js' or Keras'
// spelling: a ":0" suffix and Keras' cell level ("lstm/lstm_cell/kernel", "lstm/cell/kernel") are
// ignored. The layer part is not compared (weight lists are positional across layers, as in
// Keras' set_weights, and a Keras model's layer names differ from ours); the path within the layer
// is, so two same-shaped weights given in the wrong order are caught. A name without '/' is
// compared with the last part of ours ("kernel").
bool weightNameMatches(const std::string& ours, const std::string& given);

// Runs `init` into a buffer of `shape` (fan-in/fan-out as Keras computes them).
void initialize(const Initializer& init, const Shape& shape, float* out, Rng& rng);

}  // namespace attn
