// What Add and Multiply share (Keras' _Merge): n >= 2 inputs of one per-sample shape, one output
// of that shape, the AND of the input masks as the output mask. Subclasses supply the arithmetic.
#pragma once
#include "core/check.h"
#include "core/config.h"
#include "layers/layer_checks.h"
#include "layers/registry.h"

namespace attn {

class ElementwiseMerge : public Layer {
 public:
  ElementwiseMerge(const Json& config, const std::string& name) : Layer(name) {
    ConfigReader options(config, name);
    options.finish();
  }

  Json options() const override { return Json::object(); }

  std::vector<Shape> build(const std::vector<Shape>& in, ParamStore&) override {
    ATTN_CHECK(in.size() >= 2, name_, ": expected at least 2 inputs, got ", in.size());
    for (size_t i = 1; i < in.size(); ++i)
      ATTN_CHECK(in[i] == in[0], name_, ": expected inputs of one shape, got ", in[0].str(true), " and ",
                 in[i].str(true), " (input ", i, ")");
    sampleShape_ = in[0];
    inputCount_ = in.size();
    setOutputCount(1);
    return {in[0]};
  }

  void forward(const ForwardPass& pass) override {
    ATTN_CHECK(pass.inputs.size() == inputCount_, name_, ": expected ", inputCount_, " inputs, got ",
               pass.inputs.size());
    const Tensor& first = *pass.inputs[0];
    for (const Tensor* x : pass.inputs) {
      layer_checks::expectSampleShape(name_, *x, sampleShape_);
      ATTN_CHECK(x->dim(0) == first.dim(0), name_, ": inputs disagree on the batch size: ", first.shape().str(),
                 " and ", x->shape().str());
    }
    Tensor& y = outputs_[0];
    y.resize(first.shape());
    combine(pass.inputs, y);
    outputMask_ = layer_checks::andOfMasks(name_, pass, combinedMask_);
  }

  const Tensor* outputMask(const ForwardPass&, int) const override { return outputMask_; }

 protected:
  // y = x_1 (op) x_2 (op) ... (op) x_n, over inputs already checked to share y's shape.
  virtual void combine(std::span<const Tensor* const> inputs, Tensor& y) = 0;

 private:
  Shape sampleShape_;
  size_t inputCount_ = 0;
  const Tensor* outputMask_ = nullptr;
  Tensor combinedMask_;
};

}  // namespace attn
