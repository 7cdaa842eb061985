// Add: y = x_1 + ... + x_n elementwise, as keras.layers.Add (inputs of one shape; no broadcasting).
//   n >= 2 inputs (B, ...) -> y (B, ...); no parameters; output mask = AND of the input masks.
#include "kernels/kernels.h"
#include "layers/elementwise_merge.h"

namespace attn {
namespace {

class Add final : public ElementwiseMerge {
 public:
  using ElementwiseMerge::ElementwiseMerge;
  const char* className() const override { return "Add"; }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& dy = *pass.outputGrads[0];
    // dx_i += dy
    for (Tensor* dx : pass.inputGrads)
      if (dx) kernels::addInPlace(dy.data(), dx->data(), dy.size());
  }

 protected:
  void combine(std::span<const Tensor* const> inputs, Tensor& y) override {
    // y = x_1 + x_2 + ... + x_n
    kernels::add(inputs[0]->data(), inputs[1]->data(), y.data(), y.size());
    for (size_t i = 2; i < inputs.size(); ++i) kernels::addInPlace(inputs[i]->data(), y.data(), y.size());
  }
};

}  // namespace

ATTN_REGISTER_LAYER(Add, "add", "Add")

}  // namespace attn
