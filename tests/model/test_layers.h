// Layers that exist only in the model tests, so the graph machinery can be tested before the
// real merge / dropout / masking layers land: TestAdd (sums its inputs), TestDropout (inverted
// dropout drawing from pass.rng), TestMaskZero (identity whose mask marks steps with x[..., 0] != 0).
#pragma once
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn::testing {

class TestAdd final : public Layer {
 public:
  using Layer::Layer;
  const char* className() const override { return "TestAdd"; }
  void visitOptions(OptionList&) override {}
  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    for (const Shape& s : in)
      ATTN_CHECK(s == in[0], name_, ": inputs must have equal shapes, got ", in[0].str(true), " and ", s.str(true));
    setOutputCount(1);
    return {in[0]};
  }
  void onForward(const ForwardPass& pass) override {
    Tensor& y = outputs_[0];
    y.resize(pass.inputs[0]->shape());
    kernels::copy(pass.inputs[0]->data(), y.data(), y.size());
    for (size_t i = 1; i < pass.inputs.size(); ++i) kernels::addInPlace(pass.inputs[i]->data(), y.data(), y.size());
  }
  void onBackward(const BackwardPass& pass) override {
    for (Tensor* dx : pass.inputGrads)
      if (dx) kernels::addInPlace(pass.outputGrads[0]->data(), dx->data(), dx->size());
  }
  InputSpec inputSpec() const override { return {2, InputSpec::kAnyCount}; }
};

class TestDropout final : public Layer {
 public:
  using Layer::Layer;
  const char* className() const override { return "TestDropout"; }
  void visitOptions(OptionList& o) override { o.numberInRange("rate", rate_, 0.5f, 0.f, 0.99f); }
  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    setOutputCount(1);
    return {in[0]};
  }
  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    Tensor& y = outputs_[0];
    y.resize(x.shape());
    keep_.resize(x.shape());
    for (int64_t i = 0; i < x.size(); ++i) {
      keep_[i] = pass.training ? (pass.rng->uniform() >= rate_ ? 1.f / (1.f - rate_) : 0.f) : 1.f;
      y[i] = x[i] * keep_[i];
    }
  }
  void onBackward(const BackwardPass& pass) override {
    if (Tensor* dx = pass.inputGrads[0]) kernels::mulAdd(pass.outputGrads[0]->data(), keep_.data(), dx->data(), dx->size());
  }

 private:
  float rate_ = 0.5f;
  Tensor keep_;
};

class TestMaskZero final : public Layer {
 public:
  using Layer::Layer;
  const char* className() const override { return "TestMaskZero"; }
  void visitOptions(OptionList&) override {}
  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    ATTN_CHECK(in[0].rank == 2, name_, ": expected (T, D) inputs");
    setOutputCount(1);
    return {in[0]};
  }
  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    outputs_[0] = x;
    mask_.resize(Shape{x.dim(0), x.dim(1)});
    for (int64_t r = 0; r < mask_.size(); ++r) mask_[r] = x[r * x.dim(2)] != 0.f ? 1.f : 0.f;
  }
  void onBackward(const BackwardPass& pass) override {
    if (Tensor* dx = pass.inputGrads[0]) kernels::addInPlace(pass.outputGrads[0]->data(), dx->data(), dx->size());
  }
  const Tensor* outputMask(int) const override { return &mask_; }

 private:
  Tensor mask_;
};

}  // namespace attn::testing

namespace attn::testing {

// TestAttention: a = softmax over time of x[..., 0]; y = sum_t a_t x_t.  (B, T, D) -> (B, D),
// attention weights (B, T). Forward only: it exists to test getAttention.
class TestAttention final : public Layer {
 public:
  using Layer::Layer;
  const char* className() const override { return "TestAttention"; }
  void visitOptions(OptionList&) override {}
  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    ATTN_CHECK(in[0].rank == 2, name_, ": expected (T, D) inputs");
    setOutputCount(1);
    return {Shape{in[0][1]}};
  }
  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int B = x.dim(0), T = x.dim(1), D = x.dim(2);
    weights_.resize(Shape{B, T});
    for (int b = 0; b < B; ++b)
      for (int t = 0; t < T; ++t) weights_[b * T + t] = x[(int64_t(b) * T + t) * D];
    kernels::softmax(weights_.data(), weights_.data(), B, T, 1);
    outputs_[0].resize(Shape{B, D});
    outputs_[0].zero();
    for (int b = 0; b < B; ++b)
      for (int t = 0; t < T; ++t)
        kernels::axpy(weights_[b * T + t], x.data() + (int64_t(b) * T + t) * D, outputs_[0].data() + b * D, D);
  }
  void onBackward(const BackwardPass&) override {}
  const Tensor* outputMask(int) const override { return nullptr; }
  const Tensor* attentionWeights() const override { return &weights_; }

 private:
  Tensor weights_;
};

}  // namespace attn::testing
