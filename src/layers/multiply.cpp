// Multiply: y = x_1 * ... * x_n elementwise, as keras.layers.Multiply (inputs of one shape).
//   n >= 2 inputs (B, ...) -> y (B, ...); no parameters; output mask = AND of the input masks.
#include "kernels/kernels.h"
#include "layers/elementwise_merge.h"

namespace attn {
namespace {

class Multiply final : public ElementwiseMerge {
 public:
  using ElementwiseMerge::ElementwiseMerge;
  const char* className() const override { return "Multiply"; }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& dy = *pass.outputGrads[0];
    const int64_t n = dy.size();
    // The product of the other inputs, rebuilt per input (no division, so zeros are safe).
    for (size_t i = 0; i < pass.inputs.size(); ++i) {
      Tensor* dx = pass.inputGrads[i];
      if (!dx) continue;
      others_.resize(dy.shape());
      kernels::copy(dy.data(), others_.data(), n);
      for (size_t j = 0; j < pass.inputs.size(); ++j)
        if (j != i) kernels::mul(pass.inputs[j]->data(), others_.data(), others_.data(), n);
      // dx_i += dy * prod_{j != i} x_j
      kernels::addInPlace(others_.data(), dx->data(), n);
    }
  }

 protected:
  void combine(std::span<const Tensor* const> inputs, Tensor& y) override {
    // y = x_1 * x_2 * ... * x_n
    kernels::mul(inputs[0]->data(), inputs[1]->data(), y.data(), y.size());
    for (size_t i = 2; i < inputs.size(); ++i) kernels::mul(inputs[i]->data(), y.data(), y.data(), y.size());
  }

 private:
  Tensor others_;
};

}  // namespace

ATTN_REGISTER_LAYER(Multiply, "multiply", "Multiply")

}  // namespace attn
