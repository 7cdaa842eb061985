// SimpleRNN (Keras): h_t = f(x_t W + h_{t-1} U + b)
//   x (B, T, D) -> h (B, T, U) with returnSequences, else (B, U); returnState adds h_T (B, U)
//   kernel (D, U), recurrent_kernel (U, U), bias (U)   [Keras layout]
// Masked steps (mask (B, T) == 0) carry h over unchanged; the output there is the carried h.
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/recurrent_common.h"
#include "layers/registry.h"

namespace attn {
namespace {

using kernels::Trans;

class SimpleRnn final : public Layer {
 public:
  SimpleRnn(const Json& config, const std::string& name) : Layer(name) {
    ConfigReader options(config, name);
    rnn_.read(options);
    activation_ = parseActivation(options.string("activation", "tanh"), name);
    weights_.read(options, name);
    options.finish();
  }

  const char* className() const override { return "SimpleRNN"; }

  Json options() const override {
    Json o = rnn_.toJson();
    o["activation"] = activationName(activation_);
    weights_.write(o);
    return o;
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore& store) override {
    inputDim_ = rnn::checkInputShape(in, name_);
    const int U = rnn_.units;
    kernel_ = addParam(store, "kernel", {inputDim_, U}, weights_.kernelInit, weights_.kernelReg);
    recurrent_ = addParam(store, "recurrent_kernel", {U, U}, weights_.recurrentInit, weights_.recurrentReg);
    if (weights_.useBias) bias_ = addParam(store, "bias", {U}, weights_.biasInit, weights_.biasReg);
    auto out = rnn::outputShapes(rnn_, in[0][0], 1);
    setOutputCount(static_cast<int>(out.size()));
    return out;
  }

  const Tensor* outputMask(int index) const override {
    return index == 0 && rnn_.returnSequences ? Layer::outputMask(0) : nullptr;
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const float* mask = pass.maskData(0);
    const int B = x.dim(0), T = x.dim(1), U = rnn_.units;
    const int64_t stride = int64_t(T) * U;
    pre_.resize({B, T, U});
    Tensor& h = rnn_.returnSequences ? outputs_[0] : hidden_;
    h.resize({B, T, U});
    // a = x W + b for all B*T rows at once
    kernels::gemm(Trans::No, Trans::No, B * T, U, inputDim_, 1.f, x.data(), inputDim_, kernel_->value, U, 0.f,
                  pre_.data(), U);
    if (weights_.useBias) kernels::addRowVector(bias_->value, pre_.data(), B * T, U);
    for (int s = 0; s < T; ++s) {
      const int t = rnn_.inputTime(s, T);
      float* a = pre_.data() + int64_t(t) * U;
      float* hs = h.data() + int64_t(s) * U;
      const float* hPrev = hs - U;
      // a_t += h_{t-1} U
      if (s) kernels::gemm(Trans::No, Trans::No, B, U, U, 1.f, hPrev, stride, recurrent_->value, U, 1.f, a, stride);
      // h_t = f(a_t), or h_{t-1} on masked rows
      for (int b = 0; b < B; ++b) {
        float* row = hs + b * stride;
        if (mask && mask[int64_t(b) * T + t] == 0.f) {
          if (s)
            kernels::copy(hPrev + b * stride, row, U);
          else
            kernels::fill(row, 0.f, U);
        } else {
          kernels::activationForward(activation_, a + b * stride, row, U, U);
        }
      }
    }
    if (!rnn_.returnSequences) {
      outputs_[0].resize({B, U});
      rnn::copyLastStep(h.data(), outputs_[0].data(), B, T, U);
    }
    if (rnn_.returnState) {
      outputs_[1].resize({B, U});
      rnn::copyLastStep(h.data(), outputs_[1].data(), B, T, U);
    }
  }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const float* mask = pass.maskData(0);
    const int B = x.dim(0), T = x.dim(1), U = rnn_.units;
    const int64_t stride = int64_t(T) * U;
    const Tensor& h = rnn_.returnSequences ? outputs_[0] : hidden_;
    const float* dSeq = rnn_.returnSequences ? pass.outputGrads[0]->data() : nullptr;
    dPre_.resize({B, T, U});
    dhA_.resize({B, U});
    dhB_.resize({B, U});
    float* dh = dhA_.data();
    float* dhPrev = dhB_.data();
    if (rnn_.returnSequences)
      kernels::fill(dh, 0.f, int64_t(B) * U);
    else
      kernels::copy(pass.outputGrads[0]->data(), dh, int64_t(B) * U);
    if (rnn_.returnState) kernels::addInPlace(pass.outputGrads[1]->data(), dh, int64_t(B) * U);
    for (int s = T - 1; s >= 0; --s) {
      const int t = rnn_.inputTime(s, T);
      if (dSeq) rnn::addStep(dSeq, s, dh, B, T, U);
      float* da = dPre_.data() + int64_t(t) * U;
      const float* a = pre_.data() + int64_t(t) * U;
      const float* hs = h.data() + int64_t(s) * U;
      // da_t = dh_t f'(a_t); masked rows: da = 0 and dh passes to h_{t-1}
      for (int b = 0; b < B; ++b) {
        float* dRow = da + b * stride;
        if (mask && mask[int64_t(b) * T + t] == 0.f) {
          kernels::fill(dRow, 0.f, U);
          kernels::copy(dh + b * U, dhPrev + b * U, U);
        } else {
          kernels::activationBackward(activation_, a + b * stride, hs + b * stride, dh + b * U, dRow, U, U);
          kernels::fill(dhPrev + b * U, 0.f, U);
        }
      }
      // dh_{t-1} += da_t U^T
      if (s) kernels::gemm(Trans::No, Trans::Yes, B, U, U, 1.f, da, stride, recurrent_->value, U, 1.f, dhPrev, U);
      std::swap(dh, dhPrev);
    }
    const int rows = B * T;
    // dW += X^T dA, db += sum dA, dU += H_prev^T dA
    kernels::gemm(Trans::Yes, Trans::No, inputDim_, U, rows, 1.f, x.data(), inputDim_, dPre_.data(), U, 1.f,
                  kernel_->grad, U);
    if (weights_.useBias) kernels::sumRows(dPre_.data(), bias_->grad, rows, U);
    previous_.resize({B, T, U});
    rnn::gatherPreviousStates(rnn_, h.data(), previous_.data(), B, T, U);
    kernels::gemm(Trans::Yes, Trans::No, U, U, rows, 1.f, previous_.data(), U, dPre_.data(), U, 1.f, recurrent_->grad,
                  U);
    // dx += dA W^T
    if (Tensor* dx = pass.inputGrads[0])
      kernels::gemm(Trans::No, Trans::Yes, rows, inputDim_, U, 1.f, dPre_.data(), U, kernel_->value, U, 1.f, dx->data(),
                    inputDim_);
  }

 private:
  rnn::Options rnn_;
  int inputDim_ = 0;
  Activation activation_ = Activation::Tanh;
  rnn::WeightOptions weights_;
  Param* kernel_ = nullptr;
  Param* recurrent_ = nullptr;
  Param* bias_ = nullptr;
  Tensor pre_, hidden_, dPre_, dhA_, dhB_, previous_;  // pre_, dPre_ at input time; hidden_ at step
};

}  // namespace

ATTN_REGISTER_LAYER(SimpleRnn, "simpleRNN", "SimpleRNN")

}  // namespace attn
