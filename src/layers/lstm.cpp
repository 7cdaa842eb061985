// LSTM (Keras): per step z = x_t W + b + h_{t-1} U with gate blocks [i, f, c, o];
//   c_t = sigma(z_f) c_{t-1} + sigma(z_i) tanh(z_c),  h_t = sigma(z_o) tanh(c_t)
//   x (B, T, D) -> h (B, T, U) with returnSequences, else (B, U); returnState adds h_T (B, U), c_T (B, U)
//   kernel (D, 4U), recurrent_kernel (U, 4U), bias (4U)   [Keras layout]
// Masked steps (mask (B, T) == 0) carry h and c over unchanged; the output there is the carried h.
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "kernels/recurrent.h"
#include "layers/recurrent_common.h"
#include "layers/registry.h"

namespace attn {
namespace {

using kernels::ConstRows;
using kernels::Rows;
using kernels::Trans;

class Lstm final : public Layer {
 public:
  Lstm(const Json& config, const std::string& name) : Layer(name) {
    ConfigReader options(config, name);
    rnn_.read(options);
    // The fused gate kernel is sigmoid/tanh (Keras' defaults): anything else is refused rather
    // than silently computed differently.
    ATTN_CHECK(options.string("activation", "tanh") == "tanh", name, ": activation must be 'tanh', got '",
               options.string("activation", "tanh"), "'");
    // TF.js defaults to the hard sigmoid, Keras to the sigmoid: both load unchanged.
    gate_ = options.oneOf("recurrentActivation", "sigmoid", {"sigmoid", "hardSigmoid"}) == "sigmoid"
                ? kernels::GateActivation::Sigmoid
                : kernels::GateActivation::HardSigmoid;
    unitForgetBias_ = options.boolean("unitForgetBias", true);
    weights_.read(options, name);
    options.finish();
  }

  const char* className() const override { return "LSTM"; }

  Json options() const override {
    Json o = rnn_.toJson();
    o["activation"] = "tanh";
    o["recurrentActivation"] = gate_ == kernels::GateActivation::Sigmoid ? "sigmoid" : "hardSigmoid";
    // useBias first: saved configs keep the key order files were written with (ordered JSON keeps a
    // key where it was first set, so weights_.write() leaves it there).
    o["useBias"] = weights_.useBias;
    o["unitForgetBias"] = unitForgetBias_;
    weights_.write(o);
    return o;
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore& store) override {
    inputDim_ = rnn::checkInputShape(in, name_);
    const int U = rnn_.units;
    kernel_ = addParam(store, "kernel", {inputDim_, 4 * U}, weights_.kernelInit, weights_.kernelReg);
    recurrent_ = addParam(store, "recurrent_kernel", {U, 4 * U}, weights_.recurrentInit, weights_.recurrentReg);
    if (weights_.useBias) {
      // unit_forget_bias: zeros with a forget block of ones. (Keras keeps a custom biasInitializer for
      // the other blocks; the Initializer cannot compose, so a non-zero one is ignored here.)
      const Initializer init = unitForgetBias_ ? Initializer::lstmBias(U) : weights_.biasInit;
      bias_ = addParam(store, "bias", {4 * U}, init, weights_.biasReg);
    }
    auto out = rnn::outputShapes(rnn_, in[0][0], 2);
    setOutputCount(static_cast<int>(out.size()));
    return out;
  }

  const Tensor* outputMask(int index) const override {
    return index == 0 && rnn_.returnSequences ? Layer::outputMask(0) : nullptr;
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const float* mask = pass.maskData(0);
    const int B = x.dim(0), T = x.dim(1), U = rnn_.units, G = 4 * U;
    const int64_t gateStride = int64_t(T) * G, stateStride = int64_t(T) * U;
    gates_.resize({B, T, G});
    Tensor& h = rnn_.returnSequences ? outputs_[0] : hidden_;
    h.resize({B, T, U});
    cell_.resize({B, T, U});
    tanhCell_.resize({B, T, U});
    zeros_.resize({B, U});
    zeros_.zero();
    // z = x W + b for all B*T rows at once; the time loop only adds h_{t-1} U
    kernels::gemm(Trans::No, Trans::No, B * T, G, inputDim_, 1.f, x.data(), inputDim_, kernel_->value, G, 0.f,
                  gates_.data(), G);
    if (weights_.useBias) kernels::addRowVector(bias_->value, gates_.data(), B * T, G);
    for (int s = 0; s < T; ++s) {
      const int t = rnn_.inputTime(s, T);
      float* g = gates_.data() + int64_t(t) * G;
      const ConstRows hPrev = s ? ConstRows(h.data() + int64_t(s - 1) * U, stateStride) : ConstRows(zeros_.data(), U);
      const ConstRows cPrev =
          s ? ConstRows(cell_.data() + int64_t(s - 1) * U, stateStride) : ConstRows(zeros_.data(), U);
      // z_t += h_{t-1} U
      if (s)
        kernels::gemm(Trans::No, Trans::No, B, G, U, 1.f, hPrev.data, stateStride, recurrent_->value, G, 1.f, g,
                      gateStride);
      // gates, c_t, h_t (masked rows carry c, h)
      kernels::lstmForwardStep(
          {B, U, Rows{g, gateStride}, cPrev, hPrev, Rows{cell_.data() + int64_t(s) * U, stateStride},
           Rows{tanhCell_.data() + int64_t(s) * U, stateStride}, Rows{h.data() + int64_t(s) * U, stateStride},
           mask ? ConstRows(mask + t, T) : ConstRows(), gate_});
    }
    if (!rnn_.returnSequences) {
      outputs_[0].resize({B, U});
      rnn::copyLastStep(h.data(), outputs_[0].data(), B, T, U);
    }
    if (rnn_.returnState) {  // [output, h_T, c_T]
      outputs_[1].resize({B, U});
      rnn::copyLastStep(h.data(), outputs_[1].data(), B, T, U);
      outputs_[2].resize({B, U});
      rnn::copyLastStep(cell_.data(), outputs_[2].data(), B, T, U);
    }
  }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const float* mask = pass.maskData(0);
    const int B = x.dim(0), T = x.dim(1), U = rnn_.units, G = 4 * U;
    const int64_t gateStride = int64_t(T) * G, stateStride = int64_t(T) * U;
    const Tensor& h = rnn_.returnSequences ? outputs_[0] : hidden_;
    const float* dSeq = rnn_.returnSequences ? pass.outputGrads[0]->data() : nullptr;
    dGates_.resize({B, T, G});
    dhA_.resize({B, U});
    dhB_.resize({B, U});
    dc_.resize({B, U});
    float* dh = dhA_.data();
    float* dhPrev = dhB_.data();
    // dL/dh_T and dL/dc_T: from the last output and from the returned states.
    if (rnn_.returnSequences)
      kernels::fill(dh, 0.f, int64_t(B) * U);
    else
      kernels::copy(pass.outputGrads[0]->data(), dh, int64_t(B) * U);
    if (rnn_.returnState) {
      kernels::addInPlace(pass.outputGrads[1]->data(), dh, int64_t(B) * U);
      kernels::copy(pass.outputGrads[2]->data(), dc_.data(), int64_t(B) * U);
    } else {
      dc_.zero();
    }
    for (int s = T - 1; s >= 0; --s) {
      const int t = rnn_.inputTime(s, T);
      float* dg = dGates_.data() + int64_t(t) * G;
      if (dSeq) rnn::addStep(dSeq, s, dh, B, T, U);
      const ConstRows cPrev =
          s ? ConstRows(cell_.data() + int64_t(s - 1) * U, stateStride) : ConstRows(zeros_.data(), U);
      // dz_t from dh_t, dc_t; dc_{t-1} = dc_t f (masked rows: dz = 0, dh and dc pass through)
      kernels::lstmBackwardStep({B, U, ConstRows(gates_.data() + int64_t(t) * G, gateStride), cPrev,
                                 ConstRows(tanhCell_.data() + int64_t(s) * U, stateStride), ConstRows(dh, U),
                                 Rows{dc_.data(), U}, Rows{dg, gateStride}, Rows{dhPrev, U},
                                 mask ? ConstRows(mask + t, T) : ConstRows(), gate_});
      // dh_{t-1} += dz_t U^T  (h_0 is a constant: nothing to propagate from the first step)
      if (s) kernels::gemm(Trans::No, Trans::Yes, B, U, G, 1.f, dg, gateStride, recurrent_->value, G, 1.f, dhPrev, U);
      std::swap(dh, dhPrev);
    }
    const int rows = B * T;
    // dW += X^T dZ, db += sum dZ over all B*T rows
    kernels::gemm(Trans::Yes, Trans::No, inputDim_, G, rows, 1.f, x.data(), inputDim_, dGates_.data(), G, 1.f,
                  kernel_->grad, G);
    if (weights_.useBias) kernels::sumRows(dGates_.data(), bias_->grad, rows, G);
    // dU += H_prev^T dZ
    previous_.resize({B, T, U});
    rnn::gatherPreviousStates(rnn_, h.data(), previous_.data(), B, T, U);
    kernels::gemm(Trans::Yes, Trans::No, U, G, rows, 1.f, previous_.data(), U, dGates_.data(), G, 1.f, recurrent_->grad,
                  G);
    // dx += dZ W^T
    if (Tensor* dx = pass.inputGrads[0])
      kernels::gemm(Trans::No, Trans::Yes, rows, inputDim_, G, 1.f, dGates_.data(), G, kernel_->value, G, 1.f,
                    dx->data(), inputDim_);
  }

 private:
  rnn::Options rnn_;
  kernels::GateActivation gate_ = kernels::GateActivation::Sigmoid;
  int inputDim_ = 0;
  bool unitForgetBias_ = true;
  rnn::WeightOptions weights_;
  Param* kernel_ = nullptr;
  Param* recurrent_ = nullptr;
  Param* bias_ = nullptr;
  // (B, T, 4U) gate pre-activations, then activations, at input time; (B, T, U) states at step.
  Tensor gates_, hidden_, cell_, tanhCell_, zeros_;
  Tensor dGates_, dhA_, dhB_, dc_, previous_;
};

}  // namespace

ATTN_REGISTER_LAYER(Lstm, "lstm", "LSTM")

}  // namespace attn
