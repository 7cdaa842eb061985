// Concatenate: joins n inputs along one axis, as keras.layers.Concatenate (axis counts the batch
// as 0, default -1). Viewing input i as (outer, a_i, inner) around that axis:
//   y[o, offset_i + k, j] = x_i[o, k, j];  inputs equal except on the axis -> y with sum a_i there.
// Masks (as Keras; a missing mask counts as all ones): joining along time (axis 1) concatenates
// the (B, T_i) masks; joining along any later axis ANDs them.
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/axes.h"
#include "layers/registry.h"

namespace attn {
namespace {

class Concatenate final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "Concatenate"; }
  void visitOptions(OptionList& o) override { o.integer("axis", axis_, -1); }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    ATTN_CHECK(in[0].rank >= 1, name_, ": expected inputs of rank >= 2 (batch included), got shape ",
               in[0].str(true));
    sampleAxis_ = axes::sampleAxis(name_, "axis", axis_, in[0].rank);
    Shape out = in[0];
    out[sampleAxis_] = 0;
    extents_.clear();
    for (size_t i = 0; i < in.size(); ++i) {
      bool fits = in[i].rank == in[0].rank;
      for (int d = 0; fits && d < in[0].rank; ++d) fits = d == sampleAxis_ || in[i][d] == in[0][d];
      ATTN_CHECK(fits, name_, ": inputs must match except on the concatenation axis ", axis_, ", got ",
                 in[0].str(true), " and ", in[i].str(true), " (input ", i, ")");
      out[sampleAxis_] += in[i][sampleAxis_];
      extents_.push_back(in[i][sampleAxis_]);
    }
    int extent;
    axes::splitAround(in[0], sampleAxis_, outer_, extent, inner_);
    outShape_ = out;
    setOutputCount(1);
    return {out};
  }

  void onForward(const ForwardPass& pass) override {
    const int batch = pass.inputs[0]->dim(0);
    Tensor& y = outputs_[0];
    y.resize(outShape_.withBatch(batch));
    const int64_t rows = int64_t(batch) * outer_;
    const int64_t outBlock = int64_t(outShape_[sampleAxis_]) * inner_;
    int64_t offset = 0;
    for (size_t i = 0; i < pass.inputs.size(); ++i) {
      const int64_t block = int64_t(extents_[i]) * inner_;
      // y[o, offset_i : offset_i + a_i, :] = x_i[o, :, :]
      for (int64_t o = 0; o < rows; ++o)
        kernels::copy(pass.inputs[i]->data() + o * block, y.data() + o * outBlock + offset, block);
      offset += block;
    }
    combineMasks(pass, batch);
  }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& dy = *pass.outputGrads[0];
    const int64_t rows = int64_t(dy.dim(0)) * outer_;
    const int64_t outBlock = int64_t(outShape_[sampleAxis_]) * inner_;
    int64_t offset = 0;
    for (size_t i = 0; i < pass.inputGrads.size(); ++i) {
      const int64_t block = int64_t(extents_[i]) * inner_;
      // dx_i[o, :, :] += dy[o, offset_i : offset_i + a_i, :]
      if (Tensor* dx = pass.inputGrads[i])
        for (int64_t o = 0; o < rows; ++o)
          kernels::addInPlace(dy.data() + o * outBlock + offset, dx->data() + o * block, block);
      offset += block;
    }
  }

  const Tensor* outputMask(int) const override { return outputMask_; }

 private:
  InputSpec inputSpec() const override { return {2, InputSpec::kAnyCount}; }

  void combineMasks(const ForwardPass& pass, int batch) {
    bool anyMask = false;
    for (size_t i = 0; i < pass.inputs.size(); ++i) anyMask = anyMask || pass.mask(i);
    outputMask_ = nullptr;
    // A rank-2 input has no time axis for a (B, T) mask to describe.
    if (!anyMask || outShape_.rank < 2) return;
    if (sampleAxis_ == 0) {
      const int steps = outShape_[0];
      mask_.resize(Shape{batch, steps});
      outputMask_ = &mask_;
      // mask = [m_1, m_2, ...] along time (ones where an input has none)
      int offset = 0;
      for (size_t i = 0; i < pass.inputs.size(); ++i) {
        const Tensor* m = pass.mask(i);
        for (int b = 0; b < batch; ++b)
          for (int t = 0; t < extents_[i]; ++t)
            mask_[int64_t(b) * steps + offset + t] = m ? (*m)[int64_t(b) * extents_[i] + t] : 1.f;
        offset += extents_[i];
      }
      return;
    }
    // mask = m_1 AND m_2 AND ...
    outputMask_ = andOfInputMasks(mask_);
  }

  int axis_ = -1, sampleAxis_ = 0, outer_ = 1, inner_ = 1;
  std::vector<int> extents_;
  Shape outShape_;
  const Tensor* outputMask_ = nullptr;
  Tensor mask_;
};

}  // namespace

ATTN_REGISTER_LAYER(Concatenate, "concatenate", "Concatenate")

}  // namespace attn
