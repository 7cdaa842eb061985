// The sequence driver LSTM, GRU and SimpleRNN share; each of them is only a cell: its options,
// its parameters' shapes, and one forward and one backward time step.
//
// The driver owns what every Keras RNN does: the options (units, returnSequences, returnState,
// goBackwards, the weight initializers and regularizers), the kernel (D, G) / recurrent_kernel
// (U, G) / bias parameters, the input projection z = x W + b over all B*T rows at once, the time
// loop (in goBackwards order), the returned sequence or last step and states, and after the
// backward loop the gradients dW = X^T dZ, db = sum dZ, dU = H_prev^T dZ and dx = dZ W^T, each
// one gemm over all B*T rows.
//
// Storage convention: per-step projections and their gradients are kept at the INPUT time index
// t (so x W and X^T dZ are single gemms), hidden states at the PROCESSING step s (so with
// returnSequences the state buffer is the output, in Keras' order: reversed time under
// goBackwards). t = s, or T-1-s going backwards.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "kernels/kernels.h"
#include "kernels/recurrent.h"
#include "layers/layer.h"

namespace attn {

// One forward step over the batch. gates holds z_t = x_t W + b on entry (the cell adds
// h_{s-1} U itself: GRU splits that product); the cell writes h_s.
struct RecurrentForwardStep {
  int step = 0, time = 0, batch = 0, units = 0;
  kernels::Rows gates;       // (batch, G) at input time t
  kernels::ConstRows hPrev;  // h_{s-1}; zeros at step 0
  kernels::Rows h;           // h_s, written
  kernels::ConstRows keep;   // the mask at time t (empty: no mask); a masked row carries its state
};

// One backward step: from dL/dh_s the cell writes dL/dz_t and dL/dh_{s-1} (written, not
// accumulated; including the recurrent product dz U^T).
struct RecurrentBackwardStep {
  int step = 0, time = 0, batch = 0, units = 0;
  kernels::ConstRows gates;  // as the forward left them
  kernels::Rows dGates;      // (batch, G) at input time t, written
  kernels::ConstRows hPrev, h;
  kernels::ConstRows dh;     // dL/dh_s
  kernels::Rows dhPrev;      // dL/dh_{s-1}, written
  kernels::ConstRows keep;
};

class RecurrentLayer : public Layer {
 public:
  const Tensor* outputMask(int index) const final;

 protected:
  // gateBlocks: z has G = gateBlocks * units columns; stateCount: the states returnState adds.
  // gated: LSTM and GRU (activation 'tanh' only, recurrentActivation sigmoid or hardSigmoid).
  RecurrentLayer(const std::string& name, int gateBlocks, int stateCount, bool gated)
      : Layer(name), gateBlocks_(gateBlocks), stateCount_(stateCount), gated_(gated) {}
  // The options of every Keras RNN (units, returnSequences, returnState, goBackwards,
  // activation, recurrentActivation when gated, useBias, then the cell's own, then the
  // initializers and regularizers of kernel, recurrent_kernel and bias).
  void visitOptions(OptionList& options) final;
  virtual void visitCellOptions(OptionList& /*options*/) {}
  virtual Shape biasShape() const { return Shape{gateWidth()}; }
  virtual Initializer biasInitializer() const { return biasInit_; }
  // Scratch the cell needs for a batch, sized before the time loop.
  virtual void beginForward(int /*batch*/, int /*steps*/) {}
  virtual void forwardStep(const RecurrentForwardStep& step) = 0;
  // Per-batch backward set-up: the gradients of extra returned states (LSTM's c_T).
  virtual void beginBackward(const BackwardPass& /*pass*/, int /*batch*/, int /*steps*/) {}
  virtual void backwardStep(const RecurrentBackwardStep& step) = 0;
  // dU (and any recurrent bias) from all steps at once; previous (B*T, U) holds h_{s-1} lined up
  // with dGates at input time. Default: dU += previous^T dZ.
  virtual void recurrentGradients(const float* previous, int rows);
  // The (B, T, U) sequence of returned state k >= 1 (LSTM: 1 = the cell state).
  virtual const Tensor& stateSequence(int k) const;

  // The recurrent products of a step over U's gate blocks [firstBlock, firstBlock + blocks):
  //   forward   out = in U_blocks + beta out,   backward  out = in U_blocks^T + beta out.
  // Each block range is packed for the GEMM once per pass (at the first step that asks), not
  // once per step: the same numbers as kernels::gemm on U, with the packing out of the loop. A
  // batch too small for packed products (batch 1) multiplies U in place, unpacked.
  void recurrentProduct(int batch, kernels::ConstRows in, int firstBlock, int blocks, float beta, kernels::Rows out);
  void recurrentProductTransposed(int batch, kernels::ConstRows in, int firstBlock, int blocks, float beta,
                                  kernels::Rows out);

  int units() const { return units_; }
  int gateWidth() const { return gateBlocks_ * units_; }
  const Tensor& states() const { return *states_; }  // (B, T, U): h at every step

  bool useBias_ = true;
  kernels::GateActivation gate_ = kernels::GateActivation::Sigmoid;
  Activation activation_ = Activation::Tanh;  // SimpleRNN's; the gated cells use tanh
  Param* kernel_ = nullptr;
  Param* recurrent_ = nullptr;
  Param* bias_ = nullptr;
  Tensor gates_, dGates_, zeros_;  // (B, T, G) at input time; zeros_ (B, U) = h_{-1}
  Initializer biasInit_;

 private:
  InputSpec inputSpec() const final { return {.sequences = true}; }
  std::vector<Shape> onBuild(const std::vector<Shape>& inputShapes, ParamStore& store) final;
  void onForward(const ForwardPass& pass) final;
  void onBackward(const BackwardPass& pass) final;
  int inputTime(int step, int steps) const { return goBackwards_ ? steps - 1 - step : step; }
  struct BlocksOperand {
    const float* columns;
    int K, N;
  };
  BlocksOperand blocksOperand(int firstBlock, int blocks, kernels::Trans trans) const;
  const kernels::PackedB& packedRecurrent(int firstBlock, int blocks, kernels::Trans trans);
  void recurrentGemm(int batch, kernels::ConstRows in, int firstBlock, int blocks, kernels::Trans trans, float beta,
                     kernels::Rows out);

  int units_ = 0, gateBlocks_ = 1, stateCount_ = 1, inputDim_ = 0;
  bool gated_ = false, returnSequences_ = false, returnState_ = false, goBackwards_ = false;
  Initializer kernelInit_, recurrentInit_;
  Regularizer kernelReg_, recurrentReg_, biasReg_;
  Tensor hidden_;                     // the states when they are not the output
  const Tensor* states_ = nullptr;    // outputs_[0] with returnSequences, else hidden_
  Tensor dhA_, dhB_, previous_;
  // U's block ranges as packed this pass (forward and backward; at most four, GRU's): a pass
  // counter, bumped whenever a pass starts, marks what U may have changed under.
  struct PackedBlocks {
    int firstBlock = 0, blocks = 0;
    kernels::Trans trans = kernels::Trans::No;
    uint64_t pass = 0;
    kernels::PackedB packed;
  };
  std::vector<PackedBlocks> packedBlocks_;
  uint64_t pass_ = 0;
};

}  // namespace attn
