// Maximum: y = max(x_1, ..., x_n) elementwise, as keras.layers.Maximum (inputs of one shape).
//   n >= 2 inputs (B, ...) -> y (B, ...); no parameters; output mask = AND of the input masks.
//   The gradient goes to the first input holding the maximum (TF's maximum sends a tie to its
//   first operand, and Keras folds the inputs left to right).
#include "layers/elementwise_merge.h"

namespace attn {
namespace {

class Maximum final : public ElementwiseMerge {
 public:
  using ElementwiseMerge::ElementwiseMerge;
  const char* className() const override { return "Maximum"; }

  void onBackward(const BackwardPass& pass) override {
    const float* dy = pass.outputGrads[0]->data();
    const int64_t n = pass.outputGrads[0]->size();
    // dx_w[e] += dy[e] for the winner w = the first i with x_i[e] = y[e]
    for (int64_t e = 0; e < n; ++e) {
      size_t winner = 0;
      for (size_t i = 1; i < pass.inputs.size(); ++i)
        if (pass.inputs[i]->data()[e] > pass.inputs[winner]->data()[e]) winner = i;
      if (Tensor* dx = pass.inputGrads[winner]) dx->data()[e] += dy[e];
    }
  }

 protected:
  void combine(std::span<const Tensor* const> inputs, Tensor& y) override {
    float* out = y.data();
    for (int64_t e = 0; e < y.size(); ++e) {
      float best = inputs[0]->data()[e];
      for (size_t i = 1; i < inputs.size(); ++i) best = std::max(best, inputs[i]->data()[e]);
      out[e] = best;
    }
  }
};

}  // namespace

ATTN_REGISTER_LAYER(Maximum, "maximum", "Maximum")

}  // namespace attn
