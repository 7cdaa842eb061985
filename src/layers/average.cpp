// Average: y = (x_1 + ... + x_n) / n elementwise, as keras.layers.Average (inputs of one shape).
//   n >= 2 inputs (B, ...) -> y (B, ...); no parameters; output mask = AND of the input masks.
#include "kernels/kernels.h"
#include "layers/elementwise_merge.h"

namespace attn {
namespace {

class Average final : public ElementwiseMerge {
 public:
  using ElementwiseMerge::ElementwiseMerge;
  const char* className() const override { return "Average"; }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& dy = *pass.outputGrads[0];
    // dx_i += dy / n
    const float share = 1.0f / static_cast<float>(pass.inputs.size());
    for (Tensor* dx : pass.inputGrads)
      if (dx) kernels::axpy(share, dy.data(), dx->data(), dy.size());
  }

 protected:
  void combine(std::span<const Tensor* const> inputs, Tensor& y) override {
    kernels::add(inputs[0]->data(), inputs[1]->data(), y.data(), y.size());
    for (size_t i = 2; i < inputs.size(); ++i) kernels::addInPlace(inputs[i]->data(), y.data(), y.size());
    kernels::scale(1.0f / static_cast<float>(inputs.size()), y.data(), y.size());
  }
};

}  // namespace

ATTN_REGISTER_LAYER(Average, "average", "Average")

}  // namespace attn
