// What LSTM, GRU and SimpleRNN share: the options every Keras RNN has, the mask lookup, the
// order in which steps visit time, and the sequence bookkeeping around the time loop.
//
// Storage convention of the recurrent layers: per-step projections and their gradients are kept
// at the INPUT time index t (so x W and X^T dZ are single gemms over all B*T rows), the hidden
// states at the PROCESSING step s (so with returnSequences the state buffer is the output, in
// Keras' order: reversed time under goBackwards). t = s, or T-1-s going backwards.
#pragma once
#include <span>
#include <string>

#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/layer.h"

namespace attn::rnn {

struct Options {
  int units = 0;
  bool returnSequences = false, returnState = false, goBackwards = false;

  void read(ConfigReader& options) {
    units = options.positiveInt("units");
    returnSequences = options.boolean("returnSequences", false);
    returnState = options.boolean("returnState", false);
    goBackwards = options.boolean("goBackwards", false);
  }
  Json toJson() const {
    return Json{{"units", units},
                {"returnSequences", returnSequences},
                {"returnState", returnState},
                {"goBackwards", goBackwards}};
  }
  int inputTime(int step, int steps) const { return goBackwards ? steps - 1 - step : step; }
};

// The weight options every Keras RNN has: bias on/off, and an initializer and a regularizer for
// each of kernel, recurrent_kernel and bias (Keras defaults: glorotUniform, orthogonal, zeros).
struct WeightOptions {
  bool useBias = true;
  Initializer kernelInit, recurrentInit, biasInit;
  Regularizer kernelReg, recurrentReg, biasReg;

  void read(ConfigReader& options, const std::string& name) {
    useBias = options.boolean("useBias", true);
    kernelInit = parseInitializer(options.raw("kernelInitializer"), Initializer::glorotUniform(), name);
    recurrentInit = parseInitializer(options.raw("recurrentInitializer"), Initializer::orthogonal(), name);
    biasInit = parseInitializer(options.raw("biasInitializer"), Initializer::zeros(), name);
    kernelReg = parseRegularizer(options.raw("kernelRegularizer"), name);
    recurrentReg = parseRegularizer(options.raw("recurrentRegularizer"), name);
    biasReg = parseRegularizer(options.raw("biasRegularizer"), name);
  }
  void write(Json& o) const {
    o["useBias"] = useBias;
    o["kernelInitializer"] = initializerToJson(kernelInit);
    o["recurrentInitializer"] = initializerToJson(recurrentInit);
    o["biasInitializer"] = initializerToJson(biasInit);
    o["kernelRegularizer"] = regularizerToJson(kernelReg);
    o["recurrentRegularizer"] = regularizerToJson(recurrentReg);
    o["biasRegularizer"] = regularizerToJson(biasReg);
  }
};

// Checks the per-sample input shape (T, D) and returns D.
inline int checkInputShape(const std::vector<Shape>& in, const std::string& name) {
  ATTN_CHECK(in[0].rank == 2, name, ": expected input of shape (timesteps, features), got ", in[0].str(true));
  ATTN_CHECK(in[0][0] >= 1, name, ": expected at least 1 time step, got ", in[0].str(true));
  return in[0][1];
}

// Output shapes: the sequence (T, U) or the last state (U), then one (U) per state.
inline std::vector<Shape> outputShapes(const Options& o, int steps, int stateCount) {
  std::vector<Shape> out;
  out.push_back(o.returnSequences ? Shape{steps, o.units} : Shape{o.units});
  if (o.returnState)
    for (int k = 0; k < stateCount; ++k) out.push_back(Shape{o.units});
  return out;
}

// out[b] = seq[b, T-1]: the state after the last step.
inline void copyLastStep(const float* seq, float* out, int batch, int steps, int width) {
  for (int b = 0; b < batch; ++b)
    kernels::copy(seq + (int64_t(b) * steps + steps - 1) * width, out + int64_t(b) * width, width);
}

// grad[b] += seqGrad[b, step]
inline void addStep(const float* seqGrad, int step, float* grad, int batch, int steps, int width) {
  for (int b = 0; b < batch; ++b)
    kernels::addInPlace(seqGrad + (int64_t(b) * steps + step) * width, grad + int64_t(b) * width, width);
}

// prev[b, t(s)] = states[b, s-1] (zero for s = 0): the recurrent product's left operand of every
// step, lined up with the per-step gradients so dU is one gemm over all B*T rows.
inline void gatherPreviousStates(const Options& o, const float* states, float* prev, int batch, int steps, int width) {
  for (int b = 0; b < batch; ++b)
    for (int s = 0; s < steps; ++s) {
      float* row = prev + (int64_t(b) * steps + o.inputTime(s, steps)) * width;
      if (s == 0)
        kernels::fill(row, 0.f, width);
      else
        kernels::copy(states + (int64_t(b) * steps + s - 1) * width, row, width);
    }
}

}  // namespace attn::rnn
