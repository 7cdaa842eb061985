// AveragePooling1D: y[b, t, :] = mean over the steps s of window t of x[b, s, :], as
// keras.layers.AveragePooling1D: with padding 'same' a window at an edge averages only the steps
// it covers (padding is not counted). Options, geometry and masks: layers/pooling1d.h.
#include "kernels/kernels.h"
#include "layers/pooling1d.h"

namespace attn {
namespace {

class AveragePooling1D final : public Pooling1D {
 public:
  using Pooling1D::Pooling1D;

  const char* className() const override { return "AveragePooling1D"; }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int batch = x.dim(0), T = windows_.steps, C = windows_.channels, out = windows_.outSteps;
    Tensor& y = pooledOutput(batch);
    y.zero();
    for (int b = 0; b < batch; ++b)
      for (int t = 0; t < out; ++t) {
        float* yRow = y.data() + (int64_t(b) * out + t) * C;
        const int first = firstStep(t), last = lastStep(t);
        // y = sum_s x[s] / count
        for (int s = first; s < last; ++s) kernels::addInPlace(x.data() + (int64_t(b) * T + s) * C, yRow, C);
        kernels::scale(1.f / static_cast<float>(last - first), yRow, C);
      }
  }

  void onBackward(const BackwardPass& pass) override {
    Tensor* dx = pass.inputGrads[0];
    if (!dx) return;
    const Tensor& dy = *pass.outputGrads[0];
    const int batch = dy.dim(0), T = windows_.steps, C = windows_.channels, out = windows_.outSteps;
    // dx[s] += dy[t] / count for every step s of window t
    for (int b = 0; b < batch; ++b)
      for (int t = 0; t < out; ++t) {
        const float* dyRow = dy.data() + (int64_t(b) * out + t) * C;
        const int first = firstStep(t), last = lastStep(t);
        const float share = 1.f / static_cast<float>(last - first);
        for (int s = first; s < last; ++s) kernels::axpy(share, dyRow, dx->data() + (int64_t(b) * T + s) * C, C);
      }
  }
};

}  // namespace

ATTN_REGISTER_LAYER(AveragePooling1D, "averagePooling1D", "AveragePooling1D")

}  // namespace attn
