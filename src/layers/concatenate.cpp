// Concatenate: joins n inputs along one axis, as keras.layers.Concatenate (axis counts the batch
// as 0, default -1). Viewing input i as (outer, a_i, inner) around that axis:
//   y[o, offset_i + k, j] = x_i[o, k, j];  inputs equal except on the axis -> y with sum a_i there.
// Masks (as Keras; a missing mask counts as all ones): joining along time (axis 1) concatenates
// the (B, T_i) masks; joining along any later axis ANDs them.
#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/layer_checks.h"
#include "layers/registry.h"

namespace attn {
namespace {

class Concatenate final : public Layer {
 public:
  Concatenate(const Json& config, const std::string& name) : Layer(name) {
    ConfigReader options(config, name);
    axis_ = options.integer("axis", -1);
    options.finish();
  }

  const char* className() const override { return "Concatenate"; }
  Json options() const override { return Json{{"axis", axis_}}; }

  std::vector<Shape> build(const std::vector<Shape>& in, ParamStore&) override {
    ATTN_CHECK(in.size() >= 2, name_, ": expected at least 2 inputs, got ", in.size());
    ATTN_CHECK(in[0].rank >= 1, name_, ": expected inputs of rank >= 2 (batch included), got shape ",
               in[0].str(true));
    sampleAxis_ = layer_checks::sampleAxis(name_, "axis", axis_, in[0].rank);
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
    layer_checks::splitAround(in[0], sampleAxis_, outer_, extent, inner_);
    sampleShapes_ = in;
    outShape_ = out;
    setOutputCount(1);
    return {out};
  }

  void forward(const ForwardPass& pass) override {
    ATTN_CHECK(pass.inputs.size() == sampleShapes_.size(), name_, ": expected ", sampleShapes_.size(),
               " inputs, got ", pass.inputs.size());
    const int batch = pass.inputs[0]->dim(0);
    for (size_t i = 0; i < pass.inputs.size(); ++i) {
      layer_checks::expectSampleShape(name_, *pass.inputs[i], sampleShapes_[i]);
      ATTN_CHECK(pass.inputs[i]->dim(0) == batch, name_, ": inputs disagree on the batch size: ",
                 pass.inputs[0]->shape().str(), " and ", pass.inputs[i]->shape().str());
    }
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

  void backward(const BackwardPass& pass) override {
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

  const Tensor* outputMask(const ForwardPass&, int) const override { return hasMask_ ? &mask_ : nullptr; }

 private:
  void combineMasks(const ForwardPass& pass, int batch) {
    hasMask_ = false;
    for (size_t i = 0; i < pass.inputs.size(); ++i)
      if (const Tensor* m = layer_checks::maskOf(pass, i)) {
        layer_checks::expectMaskFits(name_, m, *pass.inputs[i]);
        hasMask_ = true;
      }
    // A rank-2 input has no time axis for a (B, T) mask to describe.
    if (!hasMask_ || outShape_.rank < 2) {
      hasMask_ = false;
      return;
    }
    const int steps = outShape_[0];
    mask_.resize(Shape{batch, steps});
    if (sampleAxis_ == 0) {
      // mask = [m_1, m_2, ...] along time (ones where an input has none)
      int offset = 0;
      for (size_t i = 0; i < pass.inputs.size(); ++i) {
        const Tensor* m = layer_checks::maskOf(pass, i);
        for (int b = 0; b < batch; ++b)
          for (int t = 0; t < extents_[i]; ++t)
            mask_[int64_t(b) * steps + offset + t] = m ? (*m)[int64_t(b) * extents_[i] + t] : 1.f;
        offset += extents_[i];
      }
      return;
    }
    // mask = m_1 AND m_2 AND ...
    mask_.fill(1.f);
    for (size_t i = 0; i < pass.inputs.size(); ++i)
      if (const Tensor* m = layer_checks::maskOf(pass, i))
        for (int64_t k = 0; k < mask_.size(); ++k)
          if ((*m)[k] == 0.f) mask_[k] = 0.f;
  }

  int axis_ = -1, sampleAxis_ = 0, outer_ = 1, inner_ = 1;
  std::vector<int> extents_;
  std::vector<Shape> sampleShapes_;
  Shape outShape_;
  bool hasMask_ = false;
  Tensor mask_;
};

}  // namespace

ATTN_REGISTER_LAYER(Concatenate, "concatenate", "Concatenate")

}  // namespace attn
