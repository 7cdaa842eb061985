// GlobalMaxPooling1D: the max over time, as keras.layers.GlobalMaxPooling1D.
//   x (B, T, C) -> y (B, C);  y[b, c] = max_t x[b, t, c] over the kept steps of the (B, T) mask
// (all steps without one). Like GlobalAveragePooling1D it is mask-aware and consumes the mask; a
// row whose steps are all masked gives 0. The gradient goes to the first maximum. Options, shapes
// and masks: GlobalPooling1D (layers/pooling1d.h).
#include <algorithm>

#include "layers/pooling1d.h"

namespace attn {
namespace {

class GlobalMaxPooling1D final : public GlobalPooling1D {
 public:
  using GlobalPooling1D::GlobalPooling1D;

  const char* className() const override { return "GlobalMaxPooling1D"; }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const float* mask = pass.maskData(0);
    const int batch = x.dim(0), T = steps_, C = channels_;
    Tensor& y = outputs_[0];
    y.resize(Shape{batch, C});
    y.zero();
    winner_.resize(size_t(y.size()));
    std::fill(winner_.begin(), winner_.end(), -1);  // -1: no kept step
    for (int b = 0; b < batch; ++b) {
      float* yRow = y.data() + int64_t(b) * C;
      int32_t* wRow = winner_.data() + int64_t(b) * C;
      for (int t = 0; t < T; ++t) {
        if (mask && mask[int64_t(b) * T + t] == 0.f) continue;
        const float* xRow = x.data() + (int64_t(b) * T + t) * C;
        for (int c = 0; c < C; ++c)
          if (wRow[c] < 0 || xRow[c] > yRow[c]) {
            yRow[c] = xRow[c];
            wRow[c] = t;
          }
      }
    }
  }

  void onBackward(const BackwardPass& pass) override {
    Tensor* dx = pass.inputGrads[0];
    if (!dx) return;
    const Tensor& dy = *pass.outputGrads[0];
    // dx[b, winner, c] += dy[b, c]
    for (int b = 0; b < dy.dim(0); ++b)
      for (int c = 0; c < channels_; ++c) {
        const int t = winner_[int64_t(b) * channels_ + c];
        if (t >= 0) (*dx)[(int64_t(b) * steps_ + t) * channels_ + c] += dy[int64_t(b) * channels_ + c];
      }
  }


 private:
  std::vector<int32_t> winner_;  // per (b, c): the step that won, -1 for none
};

}  // namespace

ATTN_REGISTER_LAYER(GlobalMaxPooling1D, "globalMaxPooling1D", "GlobalMaxPooling1D")

}  // namespace attn
