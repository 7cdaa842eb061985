// Conv1D beyond the table (tests/layer_cases.json runs its gradients and TF.js parity for every
// padding mode, strides and dilation): the output lengths of Keras' rule, causality, the mask,
// and the options Keras refuses.
#include <gtest/gtest.h>

#include "layer_test_util.h"

namespace attn::conv1d_test {
namespace {

using namespace testing;

TEST(Conv1D, OutputLengthsFollowKerasForEveryPadding) {
  // (T, kernelSize, strides, dilationRate, padding) -> T'
  struct Case { int steps, kernel, stride, dilation; const char* padding; int out; };
  for (const Case& c : {Case{10, 3, 1, 1, "valid", 8}, Case{10, 3, 2, 1, "valid", 4}, Case{10, 3, 1, 3, "valid", 4},
                        Case{10, 4, 3, 1, "same", 4}, Case{10, 3, 1, 2, "same", 10}, Case{10, 3, 1, 4, "causal", 10},
                        Case{10, 2, 4, 1, "causal", 3}, Case{3, 3, 1, 1, "valid", 1}}) {
    const auto out = buildLayer("conv1D", {{"filters", 5}, {"kernelSize", c.kernel}, {"strides", c.stride},
                                           {"dilationRate", c.dilation}, {"padding", c.padding}},
                                {Shape{c.steps, 2}});
    EXPECT_EQ(out[0], (Shape{c.out, 5})) << c.padding << " T=" << c.steps << " k=" << c.kernel << " s=" << c.stride
                                         << " d=" << c.dilation;
  }
}

TEST(Conv1D, CausalOutputsDoNotSeeTheFuture) {
  LayerHarness h(makeLayer("conv1D", {{"filters", 3}, {"kernelSize", 3}, {"dilationRate", 2}, {"padding", "causal"}}),
                 {Shape{8, 2}}, 2);
  h.forward();
  const Tensor before = h.layer().output();
  // Change step 5 of every sequence: outputs 0..4 stay, output 5 changes.
  for (int b = 0; b < 2; ++b)
    for (int c = 0; c < 2; ++c) h.inputs[0][(b * 8 + 5) * 2 + c] += 1.f;
  h.forward();
  const Tensor& after = h.layer().output();
  for (int b = 0; b < 2; ++b)
    for (int t = 0; t < 8; ++t)
      for (int f = 0; f < 3; ++f) {
        const int64_t i = (b * 8 + t) * 3 + f;
        if (t < 5) {
          EXPECT_EQ(after[i], before[i]) << "b " << b << " t " << t;
        }
      }
  EXPECT_NE(after[5 * 3], before[5 * 3]);
}

TEST(Conv1D, ConsumesTheMask) {
  LayerHarness h(makeLayer("conv1D", {{"filters", 2}, {"kernelSize", 2}}), {Shape{5, 3}}, 2);
  h.maskTail(0, {2, 0});
  EXPECT_EQ(forwardMask(h), nullptr);
}

TEST(Conv1D, RefusesWhatKerasRefuses) {
  EXPECT_TRUE(throwsWith([] { makeLayer("conv1D", {{"filters", 2}, {"kernelSize", 0}}); },
                         {"option 'kernelSize' must be a positive integer"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("conv1D", {{"filters", 2}}); }, {"option 'kernelSize' is required"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("conv1D", {{"filters", 2}, {"kernelSize", {3, 3}}}); },
                         {"option 'kernelSize' must be a positive integer (or a list of one), got [3,3]"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("conv1D", {{"filters", 2}, {"kernelSize", 3}, {"padding", "full"}}); },
                         {"option 'padding'", "'full'", "valid", "same", "causal"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("conv1D", {{"filters", 2}, {"kernelSize", 3}, {"strides", 2}, {"dilationRate", 2}}); },
                         {"strides > 1 are not supported together with dilationRate > 1"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("conv1D", {{"filters", 2}, {"kernelSize", 4}, {"dilationRate", 2}}, {Shape{6, 3}}); },
                         {"a window of 7 steps does not fit an input of 6 steps with padding 'valid'"}));
  // Keras' tuple spellings are accepted and written back as numbers.
  EXPECT_TRUE(optionsRoundTrip("conv1D", {{"filters", 2}, {"kernelSize", {3}}, {"strides", {1}}}));
  EXPECT_EQ(makeLayer("conv1D", {{"filters", 2}, {"kernelSize", {3}}})->options()["kernelSize"], 3);
}

}  // namespace
}  // namespace attn::conv1d_test
