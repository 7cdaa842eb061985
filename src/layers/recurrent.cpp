#include "layers/recurrent.h"

#include <utility>

#include "core/check.h"
#include "kernels/kernels.h"

namespace attn {
namespace {

using kernels::ConstRows;
using kernels::Rows;
using kernels::Trans;

// out[b] = seq[b, T-1]: the state after the last step.
void copyLastStep(const float* seq, float* out, int batch, int steps, int width) {
  for (int b = 0; b < batch; ++b)
    kernels::copy(seq + (int64_t(b) * steps + steps - 1) * width, out + int64_t(b) * width, width);
}

}  // namespace

void RecurrentLayer::visitOptions(OptionList& o) {
  o.positiveInt("units", units_);
  o.boolean("returnSequences", returnSequences_, false);
  o.boolean("returnState", returnState_, false);
  o.boolean("goBackwards", goBackwards_, false);
  o.activation("activation", activation_, Activation::Tanh);
  if (gated_) {
    // The fused gate kernels are sigmoid/tanh (Keras' defaults): anything else is refused rather
    // than silently computed differently. TF.js defaults to the hard sigmoid, Keras to the
    // sigmoid: both load unchanged.
    o.require(activation_ == Activation::Tanh, "activation must be 'tanh', got '", activationName(activation_), "'");
    o.choice("recurrentActivation", gate_, kernels::GateActivation::Sigmoid,
             {{"sigmoid", kernels::GateActivation::Sigmoid}, {"hardSigmoid", kernels::GateActivation::HardSigmoid}});
  }
  o.boolean("useBias", useBias_, true);
  visitCellOptions(o);
  o.initializer("kernelInitializer", kernelInit_, Initializer::glorotUniform());
  o.initializer("recurrentInitializer", recurrentInit_, Initializer::orthogonal());
  o.initializer("biasInitializer", biasInit_, Initializer::zeros());
  o.regularizer("kernelRegularizer", kernelReg_);
  o.regularizer("recurrentRegularizer", recurrentReg_);
  o.regularizer("biasRegularizer", biasReg_);
}

std::vector<Shape> RecurrentLayer::onBuild(const std::vector<Shape>& in, ParamStore& store) {
  inputDim_ = in[0][1];
  const int G = gateWidth();
  kernel_ = addParam(store, "kernel", {inputDim_, G}, kernelInit_, kernelReg_);
  recurrent_ = addParam(store, "recurrent_kernel", {units_, G}, recurrentInit_, recurrentReg_);
  if (useBias_) bias_ = addParam(store, "bias", biasShape(), biasInitializer(), biasReg_);
  // The sequence (T, U) or the last state (U), then one (U) per returned state.
  std::vector<Shape> out{returnSequences_ ? Shape{in[0][0], units_} : Shape{units_}};
  if (returnState_)
    for (int k = 0; k < stateCount_; ++k) out.push_back(Shape{units_});
  setOutputCount(static_cast<int>(out.size()));
  return out;
}

const Tensor* RecurrentLayer::outputMask(int index) const {
  return index == 0 && returnSequences_ ? Layer::outputMask(0) : nullptr;
}

const Tensor& RecurrentLayer::stateSequence(int /*k*/) const { return *states_; }

// op(U_blocks): U's gate blocks [firstBlock, firstBlock + blocks) as (U, width) for the forward
// product, or transposed, (width, U), for the backward one.
RecurrentLayer::BlocksOperand RecurrentLayer::blocksOperand(int firstBlock, int blocks, Trans trans) const {
  const int U = units_, width = blocks * U;
  return {recurrent_->value + int64_t(firstBlock) * U, trans == Trans::No ? U : width, trans == Trans::No ? width : U};
}

const kernels::PackedB& RecurrentLayer::packedRecurrent(int firstBlock, int blocks, Trans trans) {
  PackedBlocks* entry = nullptr;
  for (PackedBlocks& p : packedBlocks_)
    if (p.firstBlock == firstBlock && p.blocks == blocks && p.trans == trans) entry = &p;
  if (!entry) {
    entry = &packedBlocks_.emplace_back();
    entry->firstBlock = firstBlock;
    entry->blocks = blocks;
    entry->trans = trans;
  }
  if (entry->pass != pass_) {
    const BlocksOperand b = blocksOperand(firstBlock, blocks, trans);
    kernels::packB(trans, b.K, b.N, b.columns, gateWidth(), entry->packed);
    entry->pass = pass_;
  }
  return entry->packed;
}

// out = in op(U_blocks) + beta out, with U packed once per pass. A batch too small for packed
// products (batch 1) multiplies U in place instead: gemm gives gemmPackedB's numbers, and
// packing U at every pass would be work for nothing.
void RecurrentLayer::recurrentGemm(int batch, ConstRows in, int firstBlock, int blocks, Trans trans, float beta,
                                   Rows out) {
  const BlocksOperand b = blocksOperand(firstBlock, blocks, trans);
  if (kernels::gemmPacks(Trans::No, trans, batch, b.N, b.K))
    kernels::gemmPackedB(Trans::No, batch, 1.f, in.data, int(in.stride), packedRecurrent(firstBlock, blocks, trans),
                         beta, out.data, int(out.stride));
  else
    kernels::gemm(Trans::No, trans, batch, b.N, b.K, 1.f, in.data, int(in.stride), b.columns, gateWidth(), beta,
                  out.data, int(out.stride));
}

void RecurrentLayer::recurrentProduct(int batch, ConstRows in, int firstBlock, int blocks, float beta, Rows out) {
  recurrentGemm(batch, in, firstBlock, blocks, Trans::No, beta, out);
}

void RecurrentLayer::recurrentProductTransposed(int batch, ConstRows in, int firstBlock, int blocks, float beta,
                                                Rows out) {
  recurrentGemm(batch, in, firstBlock, blocks, Trans::Yes, beta, out);
}

void RecurrentLayer::onForward(const ForwardPass& pass) {
  ++pass_;
  const Tensor& x = *pass.inputs[0];
  const float* mask = pass.maskData(0);
  const int B = x.dim(0), T = x.dim(1), U = units_, G = gateWidth();
  const int64_t gateStride = int64_t(T) * G, stateStride = int64_t(T) * U;
  gates_.resize({B, T, G});
  Tensor& h = returnSequences_ ? outputs_[0] : hidden_;
  states_ = &h;
  h.resize({B, T, U});
  zeros_.resize({B, U});
  zeros_.zero();
  // z = x W + b for all B*T rows at once; the time loop only adds the recurrent part
  kernels::gemm(Trans::No, Trans::No, B * T, G, inputDim_, 1.f, x.data(), inputDim_, kernel_->value, G, 0.f,
                gates_.data(), G, useBias_ ? bias_->value : nullptr);
  beginForward(B, T);
  for (int s = 0; s < T; ++s) {
    const int t = inputTime(s, T);
    forwardStep({s, t, B, U, Rows{gates_.data() + int64_t(t) * G, gateStride},
                 s ? ConstRows(h.data() + int64_t(s - 1) * U, stateStride) : ConstRows(zeros_.data(), U),
                 Rows{h.data() + int64_t(s) * U, stateStride}, mask ? ConstRows(mask + t, T) : ConstRows()});
  }
  if (!returnSequences_) {
    outputs_[0].resize({B, U});
    copyLastStep(h.data(), outputs_[0].data(), B, T, U);
  }
  if (returnState_)  // [output, h_T, then the cell's other states at T]
    for (int k = 0; k < stateCount_; ++k) {
      outputs_[1 + k].resize({B, U});
      copyLastStep(stateSequence(k).data(), outputs_[1 + k].data(), B, T, U);
    }
}

void RecurrentLayer::onBackward(const BackwardPass& pass) {
  ++pass_;
  const Tensor& x = *pass.inputs[0];
  const float* mask = pass.maskData(0);
  const int B = x.dim(0), T = x.dim(1), U = units_, G = gateWidth();
  const int64_t gateStride = int64_t(T) * G, stateStride = int64_t(T) * U;
  const Tensor& h = *states_;
  const float* dSeq = returnSequences_ ? pass.outputGrads[0]->data() : nullptr;
  dGates_.resize({B, T, G});
  dhA_.resize({B, U});
  dhB_.resize({B, U});
  float* dh = dhA_.data();
  float* dhPrev = dhB_.data();
  // dL/dh_T: from the last output and from the returned h.
  if (returnSequences_)
    kernels::fill(dh, 0.f, int64_t(B) * U);
  else
    kernels::copy(pass.outputGrads[0]->data(), dh, int64_t(B) * U);
  if (returnState_) kernels::addInPlace(pass.outputGrads[1]->data(), dh, int64_t(B) * U);
  beginBackward(pass, B, T);
  for (int s = T - 1; s >= 0; --s) {
    const int t = inputTime(s, T);
    // dh_s += dL/dy_s where every step is an output
    if (dSeq)
      for (int b = 0; b < B; ++b) kernels::addInPlace(dSeq + (int64_t(b) * T + s) * U, dh + int64_t(b) * U, U);
    backwardStep({s, t, B, U, ConstRows(gates_.data() + int64_t(t) * G, gateStride),
                  Rows{dGates_.data() + int64_t(t) * G, gateStride},
                  s ? ConstRows(h.data() + int64_t(s - 1) * U, stateStride) : ConstRows(zeros_.data(), U),
                  ConstRows(h.data() + int64_t(s) * U, stateStride), ConstRows(dh, U), Rows{dhPrev, U},
                  mask ? ConstRows(mask + t, T) : ConstRows()});
    std::swap(dh, dhPrev);
  }
  const int rows = B * T;
  // dW += X^T dZ, db += sum dZ over all B*T rows
  kernels::gemm(Trans::Yes, Trans::No, inputDim_, G, rows, 1.f, x.data(), inputDim_, dGates_.data(), G, 1.f,
                kernel_->grad, G);
  if (useBias_) kernels::sumRows(dGates_.data(), bias_->grad, rows, G);
  // previous[b, t(s)] = h[b, s-1] (zero for s = 0): the recurrent product's left operand of every
  // step, lined up with dZ so dU is one gemm over all B*T rows.
  previous_.resize({B, T, U});
  for (int b = 0; b < B; ++b)
    for (int s = 0; s < T; ++s) {
      float* row = previous_.data() + (int64_t(b) * T + inputTime(s, T)) * U;
      if (s == 0)
        kernels::fill(row, 0.f, U);
      else
        kernels::copy(h.data() + (int64_t(b) * T + s - 1) * U, row, U);
    }
  recurrentGradients(previous_.data(), rows);
  // dx += dZ W^T
  if (Tensor* dx = pass.inputGrads[0])
    kernels::gemm(Trans::No, Trans::Yes, rows, inputDim_, G, 1.f, dGates_.data(), G, kernel_->value, G, 1.f,
                  dx->data(), inputDim_);
}

void RecurrentLayer::recurrentGradients(const float* previous, int rows) {
  const int U = units_, G = gateWidth();
  // dU += H_prev^T dZ
  kernels::gemm(Trans::Yes, Trans::No, U, G, rows, 1.f, previous, U, dGates_.data(), G, 1.f, recurrent_->grad, G);
}

}  // namespace attn
