// SpatialDropout1D: dropout of whole channels, as keras.layers.SpatialDropout1D. In training
// y[b, t, c] = x[b, t, c] m[b, c]: each channel of each sample is dropped at every step at once
// (the rule: layers/dropout.h); at inference y = x. x (B, T, C) -> y (B, T, C); no parameters;
// the input mask passes through.
#include "layers/dropout.h"

namespace attn {
namespace {

class SpatialDropout1D final : public DropoutBase {
 public:
  using DropoutBase::DropoutBase;

  const char* className() const override { return "SpatialDropout1D"; }
  InputSpec inputSpec() const override { return {.sequences = true}; }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int batch = x.dim(0), T = x.dim(1), C = x.dim(2);
    if (!drawKeep(pass, Shape{batch, C})) return;
    // y[b, t, :] = x[b, t, :] * m[b, :]
    for (int b = 0; b < batch; ++b)
      for (int t = 0; t < T; ++t) {
        const int64_t row = (int64_t(b) * T + t) * C;
        kernels::mul(x.data() + row, keep_.data() + int64_t(b) * C, outputs_[0].data() + row, C);
      }
  }

  void onBackward(const BackwardPass& pass) override {
    Tensor* dx = pass.inputGrads[0];
    if (!dx) return;
    const Tensor& dy = *pass.outputGrads[0];
    if (!dropped_) {
      kernels::addInPlace(dy.data(), dx->data(), dy.size());
      return;
    }
    const int batch = dy.dim(0), T = dy.dim(1), C = dy.dim(2);
    // dx[b, t, :] += dy[b, t, :] * m[b, :]
    for (int b = 0; b < batch; ++b)
      for (int t = 0; t < T; ++t) {
        const int64_t row = (int64_t(b) * T + t) * C;
        kernels::mulAdd(dy.data() + row, keep_.data() + int64_t(b) * C, dx->data() + row, C);
      }
  }
};

}  // namespace

ATTN_REGISTER_LAYER(SpatialDropout1D, "spatialDropout1D", "SpatialDropout1D")

}  // namespace attn
