// The rule Dropout and SpatialDropout1D share (inverted dropout): option `rate` in [0, 1); only
// in training, each unit of the keep mask is 1/(1-rate) with probability 1-rate and 0 otherwise,
// drawn from pass.rng; at inference the layer is the identity. Same shape in and out; the input
// mask passes through. The subclass says what one unit of the keep mask covers.
#pragma once
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {

class DropoutBase : public Layer {
 public:
  using Layer::Layer;

  void visitOptions(OptionList& o) override {
    o.number("rate", rate_);
    o.require(rate_ >= 0.f && rate_ < 1.f, "option 'rate' must be in [0, 1), got ", rate_);
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    setOutputCount(1);
    return {in[0]};
  }

 protected:
  // Sizes the output like x; in training with rate > 0 draws keep_ of `keepShape` and returns
  // true. Otherwise copies x to the output (y = x) and returns false.
  bool drawKeep(const ForwardPass& pass, const Shape& keepShape) {
    const Tensor& x = *pass.inputs[0];
    outputs_[0].resize(x.shape());
    dropped_ = pass.training && rate_ > 0.f;
    if (!dropped_) {
      kernels::copy(x.data(), outputs_[0].data(), x.size());
      return false;
    }
    ATTN_CHECK(pass.rng, name_, ": training needs a random generator");
    keep_.resize(keepShape);
    const float kept = 1.f / (1.f - rate_);
    for (int64_t i = 0; i < keep_.size(); ++i) keep_[i] = pass.rng->uniform() >= rate_ ? kept : 0.f;
    return true;
  }

  float rate_ = 0.f;
  bool dropped_ = false;
  Tensor keep_;
};

}  // namespace attn
