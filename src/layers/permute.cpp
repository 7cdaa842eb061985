// Permute: reorders the per-sample axes, as keras.layers.Permute: dims are 1-based
// (the batch is axis 0 and stays put); output axis i is input axis dims[i].
//   x (B, d1, ..., dk) -> y (B, d_dims[0], ..., d_dims[k-1]); no parameters; mask dropped (as Keras).
#include "core/check.h"
#include "core/config.h"
#include "layers/registry.h"

namespace attn {
namespace {

class Permute final : public Layer {
 public:
  using Layer::Layer;
  const char* className() const override { return "Permute"; }

  void visitOptions(OptionList& o) override {
    o.intList("dims", dims_);
    if (!o.reading()) return;
    const int k = static_cast<int>(dims_.size());
    ATTN_CHECK(k >= 1 && k < kMaxRank, name_, ": option 'dims' must have between 1 and ", kMaxRank - 1,
               " entries, got ", k);
    std::vector<bool> seen(k, false);
    for (int d : dims_) {
      ATTN_CHECK(d >= 1 && d <= k && !seen[d - 1], name_, ": option 'dims' must be a permutation of 1..", k,
                 " (1-based, the batch axis excluded), got ", Json(dims_).dump());
      seen[d - 1] = true;
    }
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    const int k = static_cast<int>(dims_.size());
    ATTN_CHECK(in[0].rank == k, name_, ": dims ", Json(dims_).dump(), " need an input of rank ", k + 1,
               " (batch included), got shape ", in[0].str(true));
    outShape_ = in[0];
    // Input strides, read in output-axis order: walking y contiguously steps x by these.
    int64_t stride[kMaxRank];
    int64_t s = 1;
    for (int i = k - 1; i >= 0; --i) {
      stride[i] = s;
      s *= in[0][i];
    }
    for (int i = 0; i < k; ++i) {
      outShape_[i] = in[0][dims_[i] - 1];
      inputStride_[i] = stride[dims_[i] - 1];
    }
    setOutputCount(1);
    return {outShape_};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    Tensor& y = outputs_[0];
    y.resize(outShape_.withBatch(x.dim(0)));
    // y[b, j1..jk] = x[b, i] with i_{dims[a]} = j_a
    walk(x.dim(0), [&](int64_t out, int64_t in) { y[out] = x[in]; });
  }

  void onBackward(const BackwardPass& pass) override {
    Tensor* dx = pass.inputGrads[0];
    if (!dx) return;
    const Tensor& dy = *pass.outputGrads[0];
    // dx[b, i] += dy[b, j] (the inverse gather)
    walk(dy.dim(0), [&](int64_t out, int64_t in) { (*dx)[in] += dy[out]; });
  }

  const Tensor* outputMask(int) const override { return nullptr; }

 private:
  // Visits every output element in order with the flat index of its source element.
  template <class Visit>
  void walk(int batch, Visit visit) const {
    const int k = outShape_.rank;
    const int64_t perSample = outShape_.numel();
    for (int b = 0; b < batch; ++b) {
      int index[kMaxRank] = {};
      int64_t in = static_cast<int64_t>(b) * perSample;
      const int64_t outBase = in;
      for (int64_t out = 0; out < perSample; ++out) {
        visit(outBase + out, in);
        // Odometer step over the output axes, moving the input offset along.
        for (int a = k - 1; a >= 0; --a) {
          in += inputStride_[a];
          if (++index[a] < outShape_[a]) break;
          in -= inputStride_[a] * outShape_[a];
          index[a] = 0;
        }
      }
    }
  }

  std::vector<int> dims_;
  Shape outShape_;
  int64_t inputStride_[kMaxRank] = {};
};

}  // namespace

ATTN_REGISTER_LAYER(Permute, "permute", "Permute")

}  // namespace attn
