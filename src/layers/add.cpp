// Add: y = x_1 + ... + x_n elementwise, as keras.layers.Add (inputs of one shape; no broadcasting).
//   n >= 2 inputs (B, ...) -> y (B, ...); no parameters; output mask = AND of the input masks.
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/layer_checks.h"
#include "layers/registry.h"

namespace attn {
namespace {

class Add final : public Layer {
 public:
  Add(const Json& config, const std::string& name) : Layer(name) {
    ConfigReader options(config, name);
    options.finish();
  }

  const char* className() const override { return "Add"; }
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
    // y = x_1 + x_2 + ... + x_n
    kernels::add(pass.inputs[0]->data(), pass.inputs[1]->data(), y.data(), y.size());
    for (size_t i = 2; i < pass.inputs.size(); ++i) kernels::addInPlace(pass.inputs[i]->data(), y.data(), y.size());
    outputMask_ = layer_checks::andOfMasks(name_, pass, combinedMask_);
  }

  void backward(const BackwardPass& pass) override {
    const Tensor& dy = *pass.outputGrads[0];
    // dx_i += dy
    for (Tensor* dx : pass.inputGrads)
      if (dx) kernels::addInPlace(dy.data(), dx->data(), dy.size());
  }

  const Tensor* outputMask(const ForwardPass&, int) const override { return outputMask_; }

 private:
  Shape sampleShape_;
  size_t inputCount_ = 0;
  const Tensor* outputMask_ = nullptr;
  Tensor combinedMask_;
};

}  // namespace

ATTN_REGISTER_LAYER(Add, "add", "Add")

}  // namespace attn
