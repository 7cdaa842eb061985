// LambdaSum: y = sum of x over one axis, the seeds' Lambda(lambda x: K.sum(x, axis=-2)).
//   x (B, d1, ..., dk) -> y with that axis removed; `axis` counts the batch as axis 0 (Keras),
//   negative axes count from the end; the batch axis itself cannot be summed.
// Masks: when the summed axis is the time axis (axis 1) and the input has a (B, T) mask, masked
// steps contribute nothing: y[b, :] = sum_t m[b, t] x[b, t, :] (a plain Keras Lambda would add
// the padded steps' values too; they are meaningless, so we leave them out). The time axis is
// then gone and the output carries no mask; summing any other axis keeps the mask.
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/axes.h"
#include "layers/registry.h"

namespace attn {
namespace {

class LambdaSum final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "LambdaSum"; }
  void visitOptions(OptionList& o) override { o.integer("axis", axis_, -2); }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    ATTN_CHECK(in[0].rank >= 1, name_, ": expected input of rank >= 2 (batch included), got shape ",
               in[0].str(true));
    sampleAxis_ = axes::sampleAxis(name_, "axis", axis_, in[0].rank);
    axes::splitAround(in[0], sampleAxis_, outer_, extent_, inner_);
    Shape out;
    for (int i = 0; i < in[0].rank; ++i)
      if (i != sampleAxis_) out.dims[out.rank++] = in[0][i];
    outShape_ = out;
    setOutputCount(1);
    return {out};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const Tensor* mask = pass.mask(0);
    const int batch = x.dim(0);
    Tensor& y = outputs_[0];
    y.resize(outShape_.withBatch(batch));
    if (sampleAxis_ == 0 && mask) {
      y.zero();
      // y[b, :] = sum_t m[b, t] x[b, t, :]
      for (int b = 0; b < batch; ++b)
        for (int t = 0; t < extent_; ++t) {
          const float m = (*mask)[int64_t(b) * extent_ + t];
          if (m != 0.f)
            kernels::axpy(m, x.data() + (int64_t(b) * extent_ + t) * inner_, y.data() + int64_t(b) * inner_, inner_);
        }
      return;
    }
    // y[o, i] = sum_k x[o, k, i]
    kernels::reduceSum(x.data(), y.data(), batch * outer_, extent_, inner_);
  }

  void onBackward(const BackwardPass& pass) override {
    Tensor* dx = pass.inputGrads[0];
    if (!dx) return;
    const Tensor& dy = *pass.outputGrads[0];
    const Tensor* mask = pass.mask(0);
    const bool masked = sampleAxis_ == 0 && mask;
    const int rows = dx->dim(0) * outer_;
    // dx[o, k, i] += m[o, k] dy[o, i]  (m = 1 without a time mask)
    for (int o = 0; o < rows; ++o)
      for (int k = 0; k < extent_; ++k) {
        const float m = masked ? (*mask)[int64_t(o) * extent_ + k] : 1.f;
        if (m != 0.f)
          kernels::axpy(m, dy.data() + int64_t(o) * inner_, dx->data() + (int64_t(o) * extent_ + k) * inner_, inner_);
      }
  }

  const Tensor* outputMask(int) const override {
    return sampleAxis_ == 0 ? nullptr : Layer::outputMask(0);
  }

 private:
  int axis_ = -2, sampleAxis_ = 0, outer_ = 1, extent_ = 1, inner_ = 1;
  Shape outShape_;
};

}  // namespace

ATTN_REGISTER_LAYER(LambdaSum, "lambdaSum", "LambdaSum")

}  // namespace attn
