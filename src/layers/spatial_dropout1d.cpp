// SpatialDropout1D: dropout of whole channels, as keras.layers.SpatialDropout1D. In training
// y[b, t, c] = x[b, t, c] m[b, c] with m = 1/(1-rate) kept, 0 dropped (each channel of each
// sample dropped with probability `rate` at every step at once, drawn from pass.rng); at
// inference y = x. x (B, T, C) -> y (B, T, C); no parameters; the input mask passes through.
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

class SpatialDropout1D final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "SpatialDropout1D"; }
  void visitOptions(OptionList& o) override {
    o.number("rate", rate_);
    o.require(rate_ >= 0.f && rate_ < 1.f, "option 'rate' must be in [0, 1), got ", rate_);
  }

  InputSpec inputSpec() const override { return {.sequences = true}; }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    setOutputCount(1);
    return {in[0]};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int batch = x.dim(0), T = x.dim(1), C = x.dim(2);
    Tensor& y = outputs_[0];
    y.resize(x.shape());
    dropped_ = pass.training && rate_ > 0.f;
    if (!dropped_) {
      // y = x
      kernels::copy(x.data(), y.data(), x.size());
      return;
    }
    ATTN_CHECK(pass.rng, name_, ": training needs a random generator");
    keep_.resize(Shape{batch, C});
    const float kept = 1.f / (1.f - rate_);
    // m[b, c] = 1/(1-rate) with probability 1-rate, else 0 (kept for backward)
    for (int64_t i = 0; i < keep_.size(); ++i) keep_[i] = pass.rng->uniform() >= rate_ ? kept : 0.f;
    // y[b, t, :] = x[b, t, :] * m[b, :]
    for (int b = 0; b < batch; ++b)
      for (int t = 0; t < T; ++t) {
        const int64_t row = (int64_t(b) * T + t) * C;
        kernels::mul(x.data() + row, keep_.data() + int64_t(b) * C, y.data() + row, C);
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

 private:
  float rate_ = 0.f;
  bool dropped_ = false;
  Tensor keep_;
};

}  // namespace

ATTN_REGISTER_LAYER(SpatialDropout1D, "spatialDropout1D", "SpatialDropout1D")

}  // namespace attn
