// Reshape: the same elements in row-major order under a new per-sample shape, as
// keras.layers.Reshape; one entry of targetShape may be -1 (inferred).
//   x (B, ...) -> y (B, targetShape...); no parameters; the mask is dropped (as Keras).
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

class Reshape final : public Layer {
 public:
  using Layer::Layer;
  const char* className() const override { return "Reshape"; }

  void visitOptions(OptionList& o) override {
    o.intList("targetShape", target_);
    if (!o.reading()) return;
    ATTN_CHECK(!target_.empty() && static_cast<int>(target_.size()) < kMaxRank, name_,
               ": option 'targetShape' must have between 1 and ", kMaxRank - 1, " entries, got ", target_.size());
    int unknown = 0;
    for (int d : target_) {
      ATTN_CHECK(d >= 1 || d == -1, name_, ": option 'targetShape' entries must be positive or -1, got ", d);
      unknown += d == -1;
    }
    ATTN_CHECK(unknown <= 1, name_, ": option 'targetShape' may contain -1 only once");
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    const int64_t total = in[0].numel();
    int64_t known = 1;
    int unknownAt = -1;
    for (size_t i = 0; i < target_.size(); ++i) {
      if (target_[i] == -1)
        unknownAt = static_cast<int>(i);
      else if (__builtin_mul_overflow(known, static_cast<int64_t>(target_[i]), &known) || known > total)
        fail(name_, ": cannot reshape input of shape ", in[0].str(true), " (", total,
             " values per sample) to target shape ", Shape(target_).str(true));
    }
    Shape out(target_);
    if (unknownAt >= 0) {
      ATTN_CHECK(known > 0 && total % known == 0, name_, ": cannot reshape input of shape ", in[0].str(true),
                 " (", total, " values per sample) to target shape ", Shape(target_).str(true));
      out[unknownAt] = static_cast<int>(total / known);
    } else {
      ATTN_CHECK(known == total, name_, ": cannot reshape input of shape ", in[0].str(true), " (", total,
                 " values per sample) to target shape ", out.str(true), " (", known, " values)");
    }
    outShape_ = out;
    setOutputCount(1);
    return {out};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    Tensor& y = outputs_[0];
    y.resize(outShape_.withBatch(x.dim(0)));
    // y = x (same bytes, new shape)
    kernels::copy(x.data(), y.data(), x.size());
  }

  void onBackward(const BackwardPass& pass) override {
    // dx += dy
    if (Tensor* dx = pass.inputGrads[0]) kernels::addInPlace(pass.outputGrads[0]->data(), dx->data(), dx->size());
  }

  const Tensor* outputMask(int) const override { return nullptr; }

 private:
  std::vector<int> target_;
  Shape outShape_;
};

}  // namespace

ATTN_REGISTER_LAYER(Reshape, "reshape", "Reshape")

}  // namespace attn
