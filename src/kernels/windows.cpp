// im2col / col2im for 1-D windows: whole channel rows are copied (or added) per tap, so the
// convolution itself is one GEMM over all windows of the batch.
#include <cstring>

#include "kernels/kernels.h"

namespace attn::kernels {

void gatherWindows(const Windows1D& w, const float* x, float* cols, int batch) {
  const int C = w.channels;
  const int64_t rowWidth = int64_t(w.taps) * C;
  for (int b = 0; b < batch; ++b) {
    const float* seq = x + int64_t(b) * w.steps * C;
    for (int t = 0; t < w.outSteps; ++t) {
      float* row = cols + (int64_t(b) * w.outSteps + t) * rowWidth;
      for (int j = 0; j < w.taps; ++j) {
        const int s = t * w.stride - w.padLeft + j * w.dilation;
        if (s >= 0 && s < w.steps)
          std::memcpy(row + int64_t(j) * C, seq + int64_t(s) * C, sizeof(float) * C);
        else
          fill(row + int64_t(j) * C, 0.f, C);
      }
    }
  }
}

void scatterWindows(const Windows1D& w, const float* dcols, float* dx, int batch) {
  const int C = w.channels;
  const int64_t rowWidth = int64_t(w.taps) * C;
  for (int b = 0; b < batch; ++b) {
    float* seq = dx + int64_t(b) * w.steps * C;
    for (int t = 0; t < w.outSteps; ++t) {
      const float* row = dcols + (int64_t(b) * w.outSteps + t) * rowWidth;
      for (int j = 0; j < w.taps; ++j) {
        const int s = t * w.stride - w.padLeft + j * w.dilation;
        if (s >= 0 && s < w.steps) addInPlace(row + int64_t(j) * C, seq + int64_t(s) * C, C);
      }
    }
  }
}

}  // namespace attn::kernels
