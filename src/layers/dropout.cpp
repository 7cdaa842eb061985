// Dropout (inverted): in training y = x * m with m = 1/(1-rate) kept, 0 dropped (each element
// dropped with probability `rate`, drawn from pass.rng); at inference y = x.
//   x (B, ...) -> y (B, ...); no parameters; the input mask passes through.
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

class Dropout final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "Dropout"; }
  void visitOptions(OptionList& o) override {
    o.number("rate", rate_);
    o.require(rate_ >= 0.f && rate_ < 1.f, "option 'rate' must be in [0, 1), got ", rate_);
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    setOutputCount(1);
    return {in[0]};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    Tensor& y = outputs_[0];
    y.resize(x.shape());
    dropped_ = pass.training && rate_ > 0.f;
    if (!dropped_) {
      // y = x
      kernels::copy(x.data(), y.data(), x.size());
      return;
    }
    ATTN_CHECK(pass.rng, name_, ": training needs a random generator");
    keep_.resize(x.shape());
    const float kept = 1.f / (1.f - rate_);
    // m_i = 1/(1-rate) with probability 1-rate, else 0 (kept for backward)
    for (int64_t i = 0; i < keep_.size(); ++i) keep_[i] = pass.rng->uniform() >= rate_ ? kept : 0.f;
    // y = x * m
    kernels::mul(x.data(), keep_.data(), y.data(), x.size());
  }

  void onBackward(const BackwardPass& pass) override {
    Tensor* dx = pass.inputGrads[0];
    if (!dx) return;
    const Tensor& dy = *pass.outputGrads[0];
    // dx += dy * m  (m = 1 at inference)
    if (dropped_)
      kernels::mulAdd(dy.data(), keep_.data(), dx->data(), dy.size());
    else
      kernels::addInPlace(dy.data(), dx->data(), dy.size());
  }

 private:
  float rate_ = 0.f;
  bool dropped_ = false;
  Tensor keep_;
};

}  // namespace

ATTN_REGISTER_LAYER(Dropout, "dropout", "Dropout")

}  // namespace attn
