// Bidirectional (Keras): runs a recurrent layer over the input and a copy of it with goBackwards
// flipped, then merges the two outputs (the backward sequence is reversed back into input time).
//   x (B, T, D) -> concat: (B, T, 2U) or (B, 2U); sum | mul | ave: (B, T, U) or (B, U)
//   returnState appends the forward layer's states, then the backward layer's (LSTM: h, c, h, c).
//   Params: the forward layer's, then the backward layer's, as "<name>/forward_<inner>/kernel" ...
// With a mask and returnSequences, outputs at masked steps are zero (Keras forces
// zero_output_for_mask on both directions so the reversed sequences line up).
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

enum class Merge { Concat, Sum, Mul, Ave };

class Bidirectional final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "Bidirectional"; }

  // The wrapped recurrent layer as its spec {className, config} (the backward copy is derived
  // from it), and how the two directions merge.
  void visitOptions(OptionList& o) override {
    o.custom(
        "layer",
        [&](const Json& spec) {
          o.require(spec.is_object(), "option 'layer' must be a layer spec {className, config}, got ", spec.dump());
          forward_ = createLayer(spec);
          const std::string inner = forward_->className();
          o.require(inner == "LSTM" || inner == "GRU" || inner == "SimpleRNN",
                    "option 'layer' must be an LSTM, GRU or SimpleRNN, got ", inner);
          innerName_ = forward_->name();
          const Json innerOptions = forward_->options();
          returnSequences_ = innerOptions.at("returnSequences").get<bool>();
          returnState_ = innerOptions.at("returnState").get<bool>();
          Json backwardSpec = layerSpec(*forward_);
          backwardSpec["config"]["goBackwards"] = !innerOptions.at("goBackwards").get<bool>();
          backward_ = createLayer(backwardSpec);
        },
        [&] {
          Json spec = layerSpec(*forward_);
          spec["config"]["name"] = innerName_;
          return spec;
        });
    o.choice("mergeMode", merge_, Merge::Concat,
             {{"concat", Merge::Concat}, {"sum", Merge::Sum}, {"mul", Merge::Mul}, {"ave", Merge::Ave}});
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore& store) override {
    // Named here, not in the constructor: a model may rename this layer before building it.
    forward_->setName(name_ + "/forward_" + innerName_);
    backward_->setName(name_ + "/backward_" + innerName_);
    const std::vector<Shape> f = forward_->build(in, store);
    const std::vector<Shape> b = backward_->build(in, store);
    params_ = forward_->params();
    params_.insert(params_.end(), backward_->params().begin(), backward_->params().end());
    units_ = f[0].back();
    stateCount_ = static_cast<int>(f.size()) - 1;
    std::vector<Shape> out{f[0]};
    if (merge_ == Merge::Concat) out[0][-1] = 2 * units_;
    out.insert(out.end(), f.begin() + 1, f.end());
    out.insert(out.end(), b.begin() + 1, b.end());
    setOutputCount(static_cast<int>(out.size()));
    forwardGrads_.assign(1 + stateCount_, nullptr);
    backwardGrads_.assign(1 + stateCount_, nullptr);
    return out;
  }

  const Tensor* outputMask(int index) const override {
    return index == 0 && returnSequences_ ? Layer::outputMask(0) : nullptr;
  }

  void onForward(const ForwardPass& pass) override {
    forward_->forward(pass);
    backward_->forward(pass);
    const Tensor& yF = forward_->output(0);
    const Tensor& yB = backward_->output(0);
    const int B = yF.dim(0), T = returnSequences_ ? yF.dim(1) : 1, U = units_;
    // The mask matters here only where outputs are per step (Keras zeroes masked outputs).
    const float* mask = returnSequences_ ? pass.maskData(0) : nullptr;
    const int width = merge_ == Merge::Concat ? 2 * U : U;
    Tensor& y = outputs_[0];
    y.resize(returnSequences_ ? Shape{B, T, width} : Shape{B, width});
    for (int b = 0; b < B; ++b)
      for (int t = 0; t < T; ++t) {
        float* out = y.data() + (int64_t(b) * T + t) * width;
        if (mask && mask[int64_t(b) * T + t] == 0.f) {
          kernels::fill(out, 0.f, width);
          continue;
        }
        const float* f = yF.data() + (int64_t(b) * T + t) * U;
        const float* r = yB.data() + (int64_t(b) * T + (T - 1 - t)) * U;  // the backward sequence, reversed back
        // y = [f, r] | f + r | f * r | (f + r) / 2
        switch (merge_) {
          case Merge::Concat:
            kernels::copy(f, out, U);
            kernels::copy(r, out + U, U);
            break;
          case Merge::Sum:
            kernels::add(f, r, out, U);
            break;
          case Merge::Mul:
            kernels::mul(f, r, out, U);
            break;
          case Merge::Ave:
            kernels::add(f, r, out, U);
            kernels::scale(0.5f, out, U);
            break;
        }
      }
    for (int k = 0; k < stateCount_; ++k) {
      outputs_[1 + k] = forward_->output(1 + k);  // (B, U) copies; same size every batch, no allocation
      outputs_[1 + stateCount_ + k] = backward_->output(1 + k);
    }
  }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& yF = forward_->output(0);
    const Tensor& yB = backward_->output(0);
    const int B = yF.dim(0), T = returnSequences_ ? yF.dim(1) : 1, U = units_;
    const float* mask = returnSequences_ ? pass.maskData(0) : nullptr;
    const int width = merge_ == Merge::Concat ? 2 * U : U;
    const Tensor& dy = *pass.outputGrads[0];
    dForward_.resize(yF.shape());
    dBackward_.resize(yB.shape());
    for (int b = 0; b < B; ++b)
      for (int t = 0; t < T; ++t) {
        const int64_t fRow = (int64_t(b) * T + t) * U, rRow = (int64_t(b) * T + (T - 1 - t)) * U;
        float* df = dForward_.data() + fRow;
        float* dr = dBackward_.data() + rRow;
        if (mask && mask[int64_t(b) * T + t] == 0.f) {  // the output there was a constant zero
          kernels::fill(df, 0.f, U);
          kernels::fill(dr, 0.f, U);
          continue;
        }
        const float* g = dy.data() + (int64_t(b) * T + t) * width;
        switch (merge_) {
          case Merge::Concat:  // df = dy[:U], dr = dy[U:]
            kernels::copy(g, df, U);
            kernels::copy(g + U, dr, U);
            break;
          case Merge::Sum:  // df = dr = dy
            kernels::copy(g, df, U);
            kernels::copy(g, dr, U);
            break;
          case Merge::Mul:  // df = dy r, dr = dy f
            kernels::mul(g, yB.data() + rRow, df, U);
            kernels::mul(g, yF.data() + fRow, dr, U);
            break;
          case Merge::Ave:  // df = dr = dy / 2
            kernels::copy(g, df, U);
            kernels::scale(0.5f, df, U);
            kernels::copy(df, dr, U);
            break;
        }
      }
    forwardGrads_[0] = &dForward_;
    backwardGrads_[0] = &dBackward_;
    for (int k = 0; k < stateCount_; ++k) {
      forwardGrads_[1 + k] = pass.outputGrads[1 + k];
      backwardGrads_[1 + k] = pass.outputGrads[1 + stateCount_ + k];
    }
    // Both directions read the same input: their input gradients both accumulate into dx.
    forward_->backward(BackwardPass{pass.inputs, pass.masks, forwardGrads_, pass.inputGrads});
    backward_->backward(BackwardPass{pass.inputs, pass.masks, backwardGrads_, pass.inputGrads});
  }

 private:
  std::unique_ptr<Layer> forward_, backward_;
  std::string innerName_;
  Merge merge_ = Merge::Concat;
  bool returnSequences_ = false, returnState_ = false;
  int units_ = 0, stateCount_ = 0;
  Tensor dForward_, dBackward_;
  std::vector<const Tensor*> forwardGrads_, backwardGrads_;
};

}  // namespace

ATTN_REGISTER_LAYER(Bidirectional, "bidirectional", "Bidirectional")

}  // namespace attn
