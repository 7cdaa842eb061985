// What Add, Average, Maximum and Multiply share (Keras' _Merge): n >= 2 inputs of one per-sample shape, one output
// of that shape, the AND of the input masks as the output mask. Subclasses supply the arithmetic.
#pragma once
#include "core/check.h"
#include "core/config.h"
#include "layers/registry.h"

namespace attn {

class ElementwiseMerge : public Layer {
 public:
  using Layer::Layer;

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    for (size_t i = 1; i < in.size(); ++i)
      ATTN_CHECK(in[i] == in[0], name_, ": expected inputs of one shape, got ", in[0].str(true), " and ",
                 in[i].str(true), " (input ", i, ")");
    setOutputCount(1);
    return {in[0]};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& first = *pass.inputs[0];
    Tensor& y = outputs_[0];
    y.resize(first.shape());
    combine(pass.inputs, y);
    outputMask_ = andOfInputMasks(combinedMask_);
  }

  const Tensor* outputMask(int) const override { return outputMask_; }

 protected:
  void visitOptions(OptionList&) override {}  // none
  InputSpec inputSpec() const override { return {2, InputSpec::kAnyCount}; }
  // y = x_1 (op) x_2 (op) ... (op) x_n, over inputs already checked to share y's shape.
  virtual void combine(std::span<const Tensor* const> inputs, Tensor& y) = 0;

 private:
  const Tensor* outputMask_ = nullptr;
  Tensor combinedMask_;
};

}  // namespace attn
