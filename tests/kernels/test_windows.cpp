// im2col / col2im (kernels::gatherWindows / scatterWindows): gather copies the right steps and
// zeros the padding, and scatter is exactly its transpose (<gather(x), c> = <x, scatter(c)>),
// which is what makes Conv1D's input gradient right.
#include <gtest/gtest.h>

#include <vector>

#include "core/random.h"
#include "kernels/kernels.h"

namespace attn::windows_test {
namespace {

using kernels::Windows1D;

TEST(Windows, GatherPlacesEachTapAndZerosThePadding) {
  // T = 4, C = 2, 2 taps, dilation 2, stride 1, one step of left padding: window t covers t-1, t+1.
  const Windows1D w{4, 2, 2, 1, 2, 1, 3};
  std::vector<float> x = {0, 1, 10, 11, 20, 21, 30, 31};
  std::vector<float> cols(3 * 4, -7.f);
  kernels::gatherWindows(w, x.data(), cols.data(), 1);
  EXPECT_EQ(cols, (std::vector<float>{0, 0, 10, 11, /**/ 0, 1, 20, 21, /**/ 10, 11, 30, 31}));
}

TEST(Windows, ScatterIsTheTransposeOfGather) {
  Rng rng(3);
  for (const Windows1D& w : {Windows1D{9, 3, 3, 2, 1, 1, 5}, Windows1D{9, 3, 3, 1, 3, 6, 9}, Windows1D{7, 2, 4, 3, 1, 0, 2}}) {
    const int batch = 2;
    std::vector<float> x(size_t(batch) * w.steps * w.channels), c(size_t(batch) * w.outSteps * w.taps * w.channels);
    for (float& v : x) v = rng.normal();
    for (float& v : c) v = rng.normal();
    std::vector<float> gathered(c.size()), scattered(x.size(), 0.f);
    kernels::gatherWindows(w, x.data(), gathered.data(), batch);
    kernels::scatterWindows(w, c.data(), scattered.data(), batch);
    double left = 0, right = 0;
    for (size_t i = 0; i < c.size(); ++i) left += double(gathered[i]) * c[i];
    for (size_t i = 0; i < x.size(); ++i) right += double(x[i]) * scattered[i];
    EXPECT_NEAR(left, right, 1e-4 * (1 + std::abs(left))) << "stride " << w.stride << " dilation " << w.dilation;
  }
}

}  // namespace
}  // namespace attn::windows_test
