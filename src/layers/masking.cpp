// Masking: masks the time steps whose features all equal maskValue, as keras.layers.Masking.
//   x (B, T, D) -> y (B, T, D);  keep[b, t] = any_d x[b, t, d] != maskValue;  y = x * keep
// and keep is the output mask, so the layers after it (LSTM, attention, pooling) skip padded
// steps of a numeric series without an Embedding. A mask coming in is replaced, as in Keras.
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

class Masking final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "Masking"; }
  void visitOptions(OptionList& o) override { o.number("maskValue", maskValue_, 0.f); }

  InputSpec inputSpec() const override { return {.sequences = true}; }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    setOutputCount(1);
    return {in[0]};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int batch = x.dim(0), T = x.dim(1), D = x.dim(2);
    Tensor& y = outputs_[0];
    y.resize(x.shape());
    keep_.resize(Shape{batch, T});
    for (int64_t row = 0; row < int64_t(batch) * T; ++row) {
      const float* xRow = x.data() + row * D;
      bool kept = false;
      for (int d = 0; d < D && !kept; ++d) kept = xRow[d] != maskValue_;
      keep_[row] = kept ? 1.f : 0.f;
      // y = x * keep
      if (kept)
        kernels::copy(xRow, y.data() + row * D, D);
      else
        kernels::fill(y.data() + row * D, 0.f, D);
    }
  }

  void onBackward(const BackwardPass& pass) override {
    Tensor* dx = pass.inputGrads[0];
    if (!dx) return;
    const Tensor& dy = *pass.outputGrads[0];
    const int D = dy.dim(2);
    // dx += dy * keep
    for (int64_t row = 0; row < keep_.size(); ++row)
      if (keep_[row] != 0.f) kernels::addInPlace(dy.data() + row * D, dx->data() + row * D, D);
  }

  const Tensor* outputMask(int) const override { return &keep_; }

 private:
  float maskValue_ = 0.f;
  Tensor keep_;
};

}  // namespace

ATTN_REGISTER_LAYER(Masking, "masking", "Masking")

}  // namespace attn
