// GlobalAveragePooling1D: the mean over time, as keras.layers.GlobalAveragePooling1D.
//   x (B, T, D) -> y (B, D).  Without a mask y[b] = sum_t x[b, t] / T; with a (B, T) mask
//   y[b] = sum_t m[b, t] x[b, t] / sum_t m[b, t] (Keras' masked mean). The mask is consumed.
// A row whose steps are all masked gives 0 (Keras divides 0 by 0 and yields NaN).
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

class GlobalAveragePooling1D final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "GlobalAveragePooling1D"; }
  // Keras' channels_first has no use in the seeds' models: only channelsLast is accepted.
  void visitOptions(OptionList& o) override {
    bool channelsLast = true;
    o.choice("dataFormat", channelsLast, true, {{"channelsLast", true}});
  }

  InputSpec inputSpec() const override { return {.sequences = true}; }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    steps_ = in[0][0];
    features_ = in[0][1];
    setOutputCount(1);
    return {Shape{features_}};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const Tensor* mask = pass.mask(0);
    const int batch = x.dim(0);
    Tensor& y = outputs_[0];
    y.resize(Shape{batch, features_});
    // Per-row weights 1/count for every kept step, kept for the backward pass.
    weights_.resize(Shape{batch, steps_});
    for (int b = 0; b < batch; ++b) {
      float* w = weights_.data() + int64_t(b) * steps_;
      if (!mask) {
        kernels::fill(w, 1.f / static_cast<float>(steps_), steps_);
        continue;
      }
      const float* m = mask->data() + int64_t(b) * steps_;
      const float count = kernels::sum(m, steps_);
      for (int t = 0; t < steps_; ++t) w[t] = count > 0.f ? m[t] / count : 0.f;
    }
    // y[b, :] = sum_t w[b, t] x[b, t, :]  with w = m / sum(m)
    for (int b = 0; b < batch; ++b)
      kernels::gemm(kernels::Trans::No, kernels::Trans::No, 1, features_, steps_, 1.f,
                    weights_.data() + int64_t(b) * steps_, steps_, x.data() + int64_t(b) * steps_ * features_,
                    features_, 0.f, y.data() + int64_t(b) * features_, features_);
  }

  void onBackward(const BackwardPass& pass) override {
    Tensor* dx = pass.inputGrads[0];
    if (!dx) return;
    const Tensor& dy = *pass.outputGrads[0];
    // dx[b, t, :] += w[b, t] dy[b, :]
    for (int b = 0; b < dy.dim(0); ++b)
      kernels::gemm(kernels::Trans::Yes, kernels::Trans::No, steps_, features_, 1, 1.f,
                    weights_.data() + int64_t(b) * steps_, steps_, dy.data() + int64_t(b) * features_, features_, 1.f,
                    dx->data() + int64_t(b) * steps_ * features_, features_);
  }

  const Tensor* outputMask(int) const override { return nullptr; }

 private:
  int steps_ = 0, features_ = 0;
  Tensor weights_;
};

}  // namespace

ATTN_REGISTER_LAYER(GlobalAveragePooling1D, "globalAveragePooling1D", "GlobalAveragePooling1D")

}  // namespace attn
