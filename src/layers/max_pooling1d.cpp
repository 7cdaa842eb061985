// MaxPooling1D: y[b, t, c] = max over the steps s of window t of x[b, s, c], as
// keras.layers.MaxPooling1D (padding steps never win). The gradient goes to the first maximum.
// Options, geometry and masks: layers/pooling1d.h.
#include <algorithm>

#include "layers/pooling1d.h"

namespace attn {
namespace {

class MaxPooling1D final : public Pooling1D {
 public:
  using Pooling1D::Pooling1D;

  const char* className() const override { return "MaxPooling1D"; }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int batch = x.dim(0), T = windows_.steps, C = windows_.channels, out = windows_.outSteps;
    Tensor& y = pooledOutput(batch);
    winner_.resize(size_t(y.size()));  // same size every batch: no allocation after the first
    for (int b = 0; b < batch; ++b)
      for (int t = 0; t < out; ++t) {
        float* yRow = y.data() + (int64_t(b) * out + t) * C;
        int32_t* wRow = winner_.data() + (int64_t(b) * out + t) * C;
        const int first = firstStep(t), last = lastStep(t);
        const float* xFirst = x.data() + (int64_t(b) * T + first) * C;
        std::copy(xFirst, xFirst + C, yRow);
        std::fill(wRow, wRow + C, first);
        for (int s = first + 1; s < last; ++s) {
          const float* xRow = x.data() + (int64_t(b) * T + s) * C;
          for (int c = 0; c < C; ++c)
            if (xRow[c] > yRow[c]) {
              yRow[c] = xRow[c];
              wRow[c] = s;
            }
        }
      }
  }

  void onBackward(const BackwardPass& pass) override {
    Tensor* dx = pass.inputGrads[0];
    if (!dx) return;
    const Tensor& dy = *pass.outputGrads[0];
    const int batch = dy.dim(0), T = windows_.steps, C = windows_.channels, out = windows_.outSteps;
    // dx[b, winner, c] += dy[b, t, c]
    for (int b = 0; b < batch; ++b)
      for (int t = 0; t < out; ++t) {
        const int64_t row = (int64_t(b) * out + t) * C;
        for (int c = 0; c < C; ++c) (*dx)[(int64_t(b) * T + winner_[row + c]) * C + c] += dy[row + c];
      }
  }

 private:
  std::vector<int32_t> winner_;  // per output element: the input step that won
};

}  // namespace

ATTN_REGISTER_LAYER(MaxPooling1D, "maxPooling1D", "MaxPooling1D")

}  // namespace attn
