// RepeatVector: y[b, t, :] = x[b, :] for t < n, as keras.layers.RepeatVector.
//   x (B, D) -> y (B, n, D); no parameters; no output mask (as Keras).
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

class RepeatVector final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "RepeatVector"; }
  void visitOptions(OptionList& o) override { o.positiveInt("n", n_); }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    ATTN_CHECK(in[0].rank == 1, name_, ": expected input of rank 2 (None, features), got shape ", in[0].str(true));
    features_ = in[0][0];
    setOutputCount(1);
    return {Shape{n_, features_}};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int batch = x.dim(0);
    Tensor& y = outputs_[0];
    y.resize(Shape{batch, n_, features_});
    // y[b, t, :] = x[b, :]
    for (int b = 0; b < batch; ++b)
      for (int t = 0; t < n_; ++t)
        kernels::copy(x.data() + int64_t(b) * features_, y.data() + (int64_t(b) * n_ + t) * features_, features_);
  }

  void onBackward(const BackwardPass& pass) override {
    Tensor* dx = pass.inputGrads[0];
    if (!dx) return;
    const Tensor& dy = *pass.outputGrads[0];
    // dx[b, :] += sum_t dy[b, t, :]
    for (int b = 0; b < dy.dim(0); ++b)
      kernels::sumRows(dy.data() + int64_t(b) * n_ * features_, dx->data() + int64_t(b) * features_, n_, features_);
  }

  const Tensor* outputMask(int) const override { return nullptr; }

 private:
  int n_ = 0, features_ = 0;
};

}  // namespace

ATTN_REGISTER_LAYER(RepeatVector, "repeatVector", "RepeatVector")

}  // namespace attn
