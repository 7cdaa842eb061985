// GRU (Keras), gate blocks [z, r, h]:
//   z = sigma(x W_z + h_{t-1} U_z + b_z), r = sigma(x W_r + h_{t-1} U_r + b_r)
//   resetAfter:  h~ = tanh(x W_h + b_xh + r * (h_{t-1} U_h + b_hh))     bias (2, 3U): [input; recurrent]
//   !resetAfter: h~ = tanh(x W_h + (r * h_{t-1}) U_h + b_h)             bias (3U)
//   h_t = z h_{t-1} + (1 - z) h~
//   x (B, T, D) -> h (B, T, U) with returnSequences, else (B, U); returnState adds h_T (B, U)
//   kernel (D, 3U), recurrent_kernel (U, 3U)   [Keras layout]
// Masked steps (mask (B, T) == 0) carry h over unchanged; the output there is the carried h.
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

class Gru final : public Layer {
 public:
  Gru(const Json& config, const std::string& name) : Layer(name) {
    ConfigReader options(config, name);
    rnn_.read(options);
    ATTN_CHECK(options.string("activation", "tanh") == "tanh", name, ": activation must be 'tanh', got '",
               options.string("activation", "tanh"), "'");
    // TF.js defaults to the hard sigmoid, Keras to the sigmoid: both load unchanged.
    gate_ = options.oneOf("recurrentActivation", "sigmoid", {"sigmoid", "hardSigmoid"}) == "sigmoid"
                ? kernels::GateActivation::Sigmoid
                : kernels::GateActivation::HardSigmoid;
    resetAfter_ = options.boolean("resetAfter", true);
    weights_.read(options, name);
    options.finish();
  }

  const char* className() const override { return "GRU"; }

  Json options() const override {
    Json o = rnn_.toJson();
    o["activation"] = "tanh";
    o["recurrentActivation"] = gate_ == kernels::GateActivation::Sigmoid ? "sigmoid" : "hardSigmoid";
    // useBias first: saved configs keep the key order files were written with (ordered JSON keeps a
    // key where it was first set, so weights_.write() leaves it there).
    o["useBias"] = weights_.useBias;
    o["resetAfter"] = resetAfter_;
    weights_.write(o);
    return o;
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore& store) override {
    inputDim_ = rnn::checkInputShape(in, name_);
    const int U = rnn_.units;
    kernel_ = addParam(store, "kernel", {inputDim_, 3 * U}, weights_.kernelInit, weights_.kernelReg);
    recurrent_ = addParam(store, "recurrent_kernel", {U, 3 * U}, weights_.recurrentInit, weights_.recurrentReg);
    if (weights_.useBias) bias_ = addParam(store, "bias", resetAfter_ ? Shape{2, 3 * U} : Shape{3 * U}, weights_.biasInit, weights_.biasReg);
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
    const int B = x.dim(0), T = x.dim(1), U = rnn_.units, G = 3 * U;
    const int64_t gateStride = int64_t(T) * G, stateStride = int64_t(T) * U;
    gates_.resize({B, T, G});
    Tensor& h = rnn_.returnSequences ? outputs_[0] : hidden_;
    h.resize({B, T, U});
    zeros_.resize({B, U});
    zeros_.zero();
    // x W + b_in for all B*T rows at once
    kernels::gemm(Trans::No, Trans::No, B * T, G, inputDim_, 1.f, x.data(), inputDim_, kernel_->value, G, 0.f,
                  gates_.data(), G);
    if (weights_.useBias) kernels::addRowVector(bias_->value, gates_.data(), B * T, G);
    if (resetAfter_) {
      inner_.resize({B, T, G});
    } else {
      resetState_.resize({B, T, U});
      inner_.resize({B, U});  // one step's (r * h_{t-1}) U_h
    }
    for (int s = 0; s < T; ++s) {
      const int t = rnn_.inputTime(s, T);
      float* g = gates_.data() + int64_t(t) * G;
      const ConstRows hPrev = s ? ConstRows(h.data() + int64_t(s - 1) * U, stateStride) : ConstRows(zeros_.data(), U);
      const Rows hOut{h.data() + int64_t(s) * U, stateStride};
      const ConstRows keep = mask ? ConstRows(mask + t, T) : ConstRows();
      if (resetAfter_) {
        float* in = inner_.data() + int64_t(t) * G;
        // inner = h_{t-1} U + b_rec
        fillRecurrentBias(in, B, gateStride);
        kernels::gemm(Trans::No, Trans::No, B, G, U, 1.f, hPrev.data, hPrev.stride, recurrent_->value, G, 1.f, in,
                      gateStride);
        kernels::gruForwardStep({B, U, Rows{g, gateStride}, ConstRows(in, gateStride), hPrev, hOut, keep, gate_});
      } else {
        // a_zr += h_{t-1} U_zr; then z, r and rh = r * h_{t-1}
        kernels::gemm(Trans::No, Trans::No, B, 2 * U, U, 1.f, hPrev.data, hPrev.stride, recurrent_->value, G, 1.f, g,
                      gateStride);
        const Rows rh{resetState_.data() + int64_t(t) * U, stateStride};
        kernels::gruResetBeforeGates({B, U, Rows{g, gateStride}, hPrev, rh, gate_});
        // inner_h = rh U_h; h~ = tanh(a_h + inner_h); h = z h_{t-1} + (1 - z) h~
        kernels::gemm(Trans::No, Trans::No, B, U, U, 1.f, rh.data, stateStride, recurrent_->value + 2 * U, G, 0.f,
                      inner_.data(), U);
        kernels::gruResetBeforeOutput({B, U, Rows{g, gateStride}, ConstRows(inner_.data(), U), hPrev, hOut, keep});
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
    const int B = x.dim(0), T = x.dim(1), U = rnn_.units, G = 3 * U;
    const int64_t gateStride = int64_t(T) * G, stateStride = int64_t(T) * U;
    const Tensor& h = rnn_.returnSequences ? outputs_[0] : hidden_;
    const float* dSeq = rnn_.returnSequences ? pass.outputGrads[0]->data() : nullptr;
    dX_.resize({B, T, G});
    dhA_.resize({B, U});
    dhB_.resize({B, U});
    float* dh = dhA_.data();
    float* dhPrev = dhB_.data();
    if (rnn_.returnSequences)
      kernels::fill(dh, 0.f, int64_t(B) * U);
    else
      kernels::copy(pass.outputGrads[0]->data(), dh, int64_t(B) * U);
    if (rnn_.returnState) kernels::addInPlace(pass.outputGrads[1]->data(), dh, int64_t(B) * U);
    if (resetAfter_)
      dInner_.resize({B, T, G});
    else
      dRh_.resize({B, U});

    for (int s = T - 1; s >= 0; --s) {
      const int t = rnn_.inputTime(s, T);
      if (dSeq) rnn::addStep(dSeq, s, dh, B, T, U);
      const ConstRows hPrev = s ? ConstRows(h.data() + int64_t(s - 1) * U, stateStride) : ConstRows(zeros_.data(), U);
      const ConstRows gates(gates_.data() + int64_t(t) * G, gateStride);
      const Rows dX{dX_.data() + int64_t(t) * G, gateStride};
      const ConstRows keep = mask ? ConstRows(mask + t, T) : ConstRows();
      if (resetAfter_) {
        const Rows dInner{dInner_.data() + int64_t(t) * G, gateStride};
        // d(x W + b_in), d(inner), dh_{t-1} = dh z
        kernels::gruBackwardStep({B, U, gates, ConstRows(inner_.data() + int64_t(t) * G, gateStride), hPrev,
                                  ConstRows(dh, U), dX, dInner, Rows{dhPrev, U}, keep, gate_});
        // dh_{t-1} += d(inner) U^T
        if (s)
          kernels::gemm(Trans::No, Trans::Yes, B, U, G, 1.f, dInner.data, gateStride, recurrent_->value, G, 1.f, dhPrev,
                        U);
      } else {
        // da_z, da_h, dh_{t-1} = dh z
        kernels::gruResetBeforeBackwardOutput({B, U, gates, hPrev, ConstRows(dh, U), dX, Rows{dhPrev, U}, keep, gate_});
        // d(rh) = da_h U_h^T
        kernels::gemm(Trans::No, Trans::Yes, B, U, U, 1.f, dX.data + 2 * U, gateStride, recurrent_->value + 2 * U, G,
                      0.f, dRh_.data(), U);
        // da_r, dh_{t-1} += d(rh) r
        kernels::gruResetBeforeBackwardGates(
            {B, U, gates, hPrev, ConstRows(dRh_.data(), U), dX, Rows{dhPrev, U}, keep, gate_});
        // dh_{t-1} += [da_z da_r] U_zr^T
        if (s)
          kernels::gemm(Trans::No, Trans::Yes, B, U, 2 * U, 1.f, dX.data, gateStride, recurrent_->value, G, 1.f, dhPrev,
                        U);
      }
      std::swap(dh, dhPrev);
    }

    const int rows = B * T;
    // dW += X^T dA, db(_in) += sum dA
    kernels::gemm(Trans::Yes, Trans::No, inputDim_, G, rows, 1.f, x.data(), inputDim_, dX_.data(), G, 1.f,
                  kernel_->grad, G);
    if (weights_.useBias) kernels::sumRows(dX_.data(), bias_->grad, rows, G);
    previous_.resize({B, T, U});
    rnn::gatherPreviousStates(rnn_, h.data(), previous_.data(), B, T, U);
    if (resetAfter_) {
      // dU += H_prev^T d(inner), db_rec += sum d(inner)
      kernels::gemm(Trans::Yes, Trans::No, U, G, rows, 1.f, previous_.data(), U, dInner_.data(), G, 1.f,
                    recurrent_->grad, G);
      if (weights_.useBias) kernels::sumRows(dInner_.data(), bias_->grad + G, rows, G);
    } else {
      // dU_zr += H_prev^T [da_z da_r]; dU_h += RH^T da_h
      kernels::gemm(Trans::Yes, Trans::No, U, 2 * U, rows, 1.f, previous_.data(), U, dX_.data(), G, 1.f,
                    recurrent_->grad, G);
      kernels::gemm(Trans::Yes, Trans::No, U, U, rows, 1.f, resetState_.data(), U, dX_.data() + 2 * U, G, 1.f,
                    recurrent_->grad + 2 * U, G);
    }
    // dx += dA W^T
    if (Tensor* dx = pass.inputGrads[0])
      kernels::gemm(Trans::No, Trans::Yes, rows, inputDim_, G, 1.f, dX_.data(), G, kernel_->value, G, 1.f, dx->data(),
                    inputDim_);
  }

 private:
  // inner rows start as the recurrent bias (or zero without bias) before h_{t-1} U is added.
  void fillRecurrentBias(float* inner, int batch, int64_t stride) {
    const int G = 3 * rnn_.units;
    for (int b = 0; b < batch; ++b) {
      if (weights_.useBias)
        kernels::copy(bias_->value + G, inner + b * stride, G);
      else
        kernels::fill(inner + b * stride, 0.f, G);
    }
  }

  rnn::Options rnn_;
  kernels::GateActivation gate_ = kernels::GateActivation::Sigmoid;
  int inputDim_ = 0;
  bool resetAfter_ = true;
  rnn::WeightOptions weights_;
  Param* kernel_ = nullptr;
  Param* recurrent_ = nullptr;
  Param* bias_ = nullptr;
  // gates_ (B, T, 3U) at input time: pre-activations, then z, r, h~. resetAfter: inner_ (B, T, 3U)
  // = h_{t-1} U + b_rec at input time; otherwise resetState_ (B, T, U) = r * h_{t-1} at input time.
  Tensor gates_, inner_, resetState_, hidden_, zeros_;
  Tensor dX_, dInner_, dRh_, dhA_, dhB_, previous_;
};

}  // namespace

ATTN_REGISTER_LAYER(Gru, "gru", "GRU")

}  // namespace attn
