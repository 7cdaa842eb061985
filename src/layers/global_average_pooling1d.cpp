// GlobalAveragePooling1D: the mean over time, as keras.layers.GlobalAveragePooling1D.
//   x (B, T, D) -> y (B, D).  Without a mask y[b] = sum_t x[b, t] / T; with a (B, T) mask
//   y[b] = sum_t m[b, t] x[b, t] / sum_t m[b, t] (Keras' masked mean). The mask is consumed.
// A row whose steps are all masked gives 0 (Keras divides 0 by 0 and yields NaN). Options,
// shapes and masks: GlobalPooling1D (layers/pooling1d.h).
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/pooling1d.h"

namespace attn {
namespace {

class GlobalAveragePooling1D final : public GlobalPooling1D {
 public:
  using GlobalPooling1D::GlobalPooling1D;

  const char* className() const override { return "GlobalAveragePooling1D"; }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const Tensor* mask = pass.mask(0);
    const int batch = x.dim(0);
    Tensor& y = outputs_[0];
    y.resize(Shape{batch, channels_});
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
      kernels::gemm(kernels::Trans::No, kernels::Trans::No, 1, channels_, steps_, 1.f,
                    weights_.data() + int64_t(b) * steps_, steps_, x.data() + int64_t(b) * steps_ * channels_,
                    channels_, 0.f, y.data() + int64_t(b) * channels_, channels_);
  }

  void onBackward(const BackwardPass& pass) override {
    Tensor* dx = pass.inputGrads[0];
    if (!dx) return;
    const Tensor& dy = *pass.outputGrads[0];
    // dx[b, t, :] += w[b, t] dy[b, :]
    for (int b = 0; b < dy.dim(0); ++b)
      kernels::gemm(kernels::Trans::Yes, kernels::Trans::No, steps_, channels_, 1, 1.f,
                    weights_.data() + int64_t(b) * steps_, steps_, dy.data() + int64_t(b) * channels_, channels_, 1.f,
                    dx->data() + int64_t(b) * steps_ * channels_, channels_);
  }



 private:
  Tensor weights_;
};

}  // namespace

ATTN_REGISTER_LAYER(GlobalAveragePooling1D, "globalAveragePooling1D", "GlobalAveragePooling1D")

}  // namespace attn
