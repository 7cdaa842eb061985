// TimeDistributed: applies one inner layer to every time step, as keras.layers.TimeDistributed,
// by folding time into the batch: x (B, T, ...) -> (B*T, ...) -> inner -> (B*T, ...') -> (B, T, ...').
// The inner layer is given as a spec {"className": "Dense", "config": {...}}; its parameters are
// declared under this layer's name ("time_distributed/kernel", as Keras names them) and it shares
// the loss-fusion hooks. The input mask passes through.
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

class TimeDistributed final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "TimeDistributed"; }
  // The wrapped layer, as its spec {className, config}.
  void visitOptions(OptionList& o) override {
    o.custom(
        "layer",
        [&](const Json& spec) {
          o.require(spec.is_object() && spec.contains("className"),
                    "option 'layer' must be a layer spec {className, config}, got ", spec.dump());
          inner_ = createLayer(spec);
          innerName_ = inner_->name();
        },
        [&] {
          Json spec = layerSpec(*inner_);
          spec["config"]["name"] = innerName_;
          return spec;
        });
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore& store) override {
    ATTN_CHECK(in[0].rank >= 2, name_, ": expected input of rank >= 3 (None, steps, ...), got shape ",
               in[0].str(true));
    // Declared while the inner layer carries our name, so its parameters live under it; later
    // messages from the inner layer name both.
    inner_->setName(name_);
    std::vector<Shape> innerOut = inner_->build({in[0].dropFirst()}, store);
    inner_->setName(name_ + "/" + innerName_);
    ATTN_CHECK(innerOut.size() == 1, name_, ": the wrapped layer must have one output, got ", innerOut.size());
    ATTN_CHECK(innerOut[0].rank + 2 <= kMaxRank, name_, ": the wrapped layer's output ", innerOut[0].str(true),
               " has too many axes");
    params_ = inner_->params();
    innerOutShape_ = innerOut[0];
    Shape out;
    out.rank = innerOut[0].rank + 1;
    out.dims[0] = in[0][0];
    for (int d = 0; d < innerOut[0].rank; ++d) out.dims[d + 1] = innerOut[0][d];
    outShape_ = out;
    setOutputCount(1);
    return {out};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int batch = x.dim(0), steps = inputShapes()[0][0];
    // x (B, T, ...) -> (B*T, ...), the same bytes
    folded_.resize(inputShapes()[0].dropFirst().withBatch(batch * steps));
    kernels::copy(x.data(), folded_.data(), x.size());
    const Tensor* innerInputs[] = {&folded_};
    ForwardPass innerPass{innerInputs, {}, pass.training, pass.rng};
    inner_->forward(innerPass);
    const Tensor& innerY = inner_->output(0);
    Tensor& y = outputs_[0];
    y.resize(outShape_.withBatch(batch));
    // (B*T, ...') -> (B, T, ...')
    kernels::copy(innerY.data(), y.data(), y.size());
    if (const Tensor* logits = inner_->outputLogits(); logits && logits != &innerY) {
      logits_.resize(y.shape());
      kernels::copy(logits->data(), logits_.data(), logits_.size());
    }
  }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& dy = *pass.outputGrads[0];
    Tensor* dx = pass.inputGrads[0];
    const int batch = dy.dim(0), steps = inputShapes()[0][0];
    foldedGrad_.resize(innerOutShape_.withBatch(batch * steps));
    kernels::copy(dy.data(), foldedGrad_.data(), dy.size());
    if (dx) {
      foldedInputGrad_.resize(folded_.shape());
      foldedInputGrad_.zero();
    }
    const Tensor* innerInputs[] = {&folded_};
    const Tensor* innerGrads[] = {&foldedGrad_};
    Tensor* innerInputGrads[] = {dx ? &foldedInputGrad_ : nullptr};
    inner_->setLogitGradients(logitGradients_);
    inner_->backward(BackwardPass{innerInputs, {}, innerGrads, innerInputGrads});
    // dx (B, T, ...) += the folded gradient
    if (dx) kernels::addInPlace(foldedInputGrad_.data(), dx->data(), dx->size());
  }

  Activation outputActivation() const override { return inner_->outputActivation(); }
  const Tensor* outputLogits() const override {
    const Tensor* logits = inner_->outputLogits();
    if (!logits) return nullptr;
    return logits == &inner_->output(0) ? &outputs_[0] : &logits_;
  }

  const Layer& inner() const { return *inner_; }

 private:
  std::unique_ptr<Layer> inner_;
  std::string innerName_;
  Shape innerOutShape_, outShape_;
  Tensor folded_, foldedGrad_, foldedInputGrad_, logits_;
};

}  // namespace

ATTN_REGISTER_LAYER(TimeDistributed, "timeDistributed", "TimeDistributed")

}  // namespace attn
