// Flatten: y[b, :] = x[b, ...] in row-major order, as keras.layers.Flatten.
//   x (B, d1, ..., dk) -> y (B, d1*...*dk); no parameters; the mask is dropped (Keras: Flatten
//   does not support masking, so its output carries none).
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

class Flatten final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "Flatten"; }
  // Keras' channels_first has no use in the seeds' models: only channelsLast is accepted.
  void visitOptions(OptionList& o) override {
    bool channelsLast = true;
    o.choice("dataFormat", channelsLast, true, {{"channelsLast", true}});
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    ATTN_CHECK(in[0].rank >= 1, name_, ": expected input of rank >= 1 (per sample), got shape ", in[0].str(true));
    setOutputCount(1);
    return {Shape{static_cast<int>(in[0].numel())}};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    Tensor& y = outputs_[0];
    y.resize(Shape{x.dim(0), static_cast<int>(inputShapes()[0].numel())});
    // y = x (same bytes, new shape)
    kernels::copy(x.data(), y.data(), x.size());
  }

  void onBackward(const BackwardPass& pass) override {
    // dx += dy
    if (Tensor* dx = pass.inputGrads[0]) kernels::addInPlace(pass.outputGrads[0]->data(), dx->data(), dx->size());
  }

  const Tensor* outputMask(int) const override { return nullptr; }

 private:
};

}  // namespace

ATTN_REGISTER_LAYER(Flatten, "flatten", "Flatten")

}  // namespace attn
