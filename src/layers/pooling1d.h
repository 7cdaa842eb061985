// What MaxPooling1D and AveragePooling1D share, as keras.layers.{Max,Average}Pooling1D: the
// options (poolSize, strides defaulting to poolSize, padding valid|same, channels last), the
// window geometry (layers/windows.h) and the output shape. x (B, T, C) -> y (B, T', C); the mask
// is consumed (the output steps are not the input's). The subclasses hold the reduction.
#pragma once
#include "core/check.h"
#include "core/config.h"
#include "layers/registry.h"
#include "layers/windows.h"

namespace attn {

class Pooling1D : public Layer {
 public:
  using Layer::Layer;

  void visitOptions(OptionList& o) override {
    o.windowSize("poolSize", poolSize_, 2);
    o.windowSize("strides", stride_, poolSize_);
    paddingOption(o, padding_, /*allowCausal=*/false);
    bool channelsLast = true;
    o.choice("dataFormat", channelsLast, true, {{"channelsLast", true}});
  }

  InputSpec inputSpec() const override { return {.sequences = true}; }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    windows_ = windowsOver(name_, padding_, in[0][0], in[0][1], poolSize_, stride_, 1);
    setOutputCount(1);
    return {Shape{windows_.outSteps, windows_.channels}};
  }

  const Tensor* outputMask(int) const override { return nullptr; }

 protected:
  // y (batch, T', C), sized for this batch.
  Tensor& pooledOutput(int batch) {
    outputs_[0].resize(Shape{batch, windows_.outSteps, windows_.channels});
    return outputs_[0];
  }
  // The input steps window t covers, clipped to the sequence: [first, last).
  int firstStep(int t) const { return std::max(0, t * windows_.stride - windows_.padLeft); }
  int lastStep(int t) const { return std::min(windows_.steps, t * windows_.stride - windows_.padLeft + windows_.taps); }

  int poolSize_ = 2, stride_ = 2;
  Padding padding_ = Padding::Valid;
  kernels::Windows1D windows_{};
};

// What GlobalAveragePooling1D and GlobalMaxPooling1D share: channels last, x (B, T, C) -> y (B, C),
// mask-aware (the subclass leaves masked steps out) and consuming the mask.
class GlobalPooling1D : public Layer {
 public:
  using Layer::Layer;

  // Keras' channels_first has no use in the seeds' models: only channelsLast is accepted.
  void visitOptions(OptionList& o) override {
    bool channelsLast = true;
    o.choice("dataFormat", channelsLast, true, {{"channelsLast", true}});
  }

  InputSpec inputSpec() const override { return {.sequences = true}; }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    steps_ = in[0][0];
    channels_ = in[0][1];
    setOutputCount(1);
    return {Shape{channels_}};
  }

  const Tensor* outputMask(int) const override { return nullptr; }

 protected:
  int steps_ = 0, channels_ = 0;
};

}  // namespace attn
