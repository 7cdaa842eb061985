// Checks shared by the recurrent layer tests (LSTM, GRU, SimpleRNN, Bidirectional).
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "testing/layer_harness.h"

namespace attn::testing {

// Gradient check of one configuration over (T, D) inputs, optionally with tail padding per row
// (`padded[b]` masked steps at the end of row b). With a mask it also asserts that every masked
// step gets exactly zero input gradient and every kept step some nonzero gradient.
inline void expectRecurrentGradients(const std::string& type, const Json& options, int steps, int features,
                                     const std::vector<int>& padded = {}, float paramStddev = 0.f) {
  SCOPED_TRACE(type + " " + options.dump() + (padded.empty() ? "" : " masked"));
  const int batch = padded.empty() ? 2 : static_cast<int>(padded.size());
  LayerHarness h(makeLayer(type, options), {Shape{steps, features}}, batch, 5);
  if (paramStddev > 0) h.randomizeParams(paramStddev);
  if (!padded.empty()) h.maskTail(0, padded);
  // The hard sigmoid has kinks at +-2.5: a central difference must not straddle one.
  GradCheckOptions check;
  if (options.value("recurrentActivation", "") == "hardSigmoid") check.epsilon = 1e-3f;
  EXPECT_TRUE(gradientsMatch(h, check));
  if (padded.empty()) return;
  h.forwardBackward();
  const Tensor& dx = h.inputGrads[0];
  for (int b = 0; b < batch; ++b)
    for (int t = 0; t < steps; ++t) {
      bool anyNonzero = false;
      for (int d = 0; d < features; ++d) {
        const float g = dx[(int64_t(b) * steps + t) * features + d];
        if (t >= steps - padded[b]) {
          ASSERT_EQ(g, 0.f) << "masked step b=" << b << " t=" << t << " got gradient";
        }
        anyNonzero |= g != 0.f;
      }
      if (t < steps - padded[b]) {
        EXPECT_TRUE(anyNonzero) << "kept step b=" << b << " t=" << t << " has no gradient";
      }
    }
}

// Tail padding for a batch big enough that the recurrent products take the packed-U path (more
// rows than the GEMM's register tile; smaller batches multiply U unpacked). The central
// differences of a gradient check change U between passes, so a pass that multiplied U as it was
// packed before the change fails the check. Rows keep 1..steps steps, so masks run there too.
inline std::vector<int> packedBatchPadding(int steps) {
  std::vector<int> padded(kernels::gemmTiling().rows + 1);
  for (size_t b = 0; b < padded.size(); ++b) padded[b] = int(b) % steps;
  return padded;
}

// Masked steps must not influence anything: changing the input at masked steps leaves every
// output unchanged. With returnSequences the output at a masked step repeats the previous one.
inline void expectMaskedStepsIgnored(const std::string& type, const Json& options, int steps, int features) {
  SCOPED_TRACE(type + " " + options.dump());
  const std::vector<int> padded = {0, 2, steps - 1};
  LayerHarness h(makeLayer(type, options), {Shape{steps, features}}, 3, 9);
  h.maskTail(0, padded);
  h.forward();
  std::vector<Tensor> before = h.layer().outputs();
  for (int b = 0; b < 3; ++b)
    for (int t = steps - padded[b]; t < steps; ++t)
      for (int d = 0; d < features; ++d) h.inputs[0][(int64_t(b) * steps + t) * features + d] += 3.f;
  h.forward();
  for (size_t o = 0; o < before.size(); ++o)
    for (int64_t i = 0; i < before[o].size(); ++i)
      ASSERT_EQ(h.layer().output(int(o))[i], before[o][i]) << o << "," << i;
}

}  // namespace attn::testing

namespace attn::testing {

// Runs forward + backward twice through the layer directly (the harness's own bookkeeping
// allocates) and asserts that the second batch allocates no tensor memory at all.
inline void expectNoAllocationAfterFirstBatch(LayerHarness& h) {
  std::vector<const Tensor*> in, mask, dOut;
  std::vector<Tensor*> dIn;
  std::vector<Tensor> grads, probes;
  for (auto& t : h.inputs) in.push_back(&t);
  for (auto& m : h.masks) mask.push_back(m.empty() ? nullptr : &m);
  for (auto& t : h.inputs) grads.emplace_back(t.shape());
  for (auto& g : grads) dIn.push_back(&g);
  for (const Shape& s : h.outputShapes()) probes.emplace_back(s.withBatch(h.inputs[0].dim(0)));
  for (auto& p : probes) {
    p.fill(0.5f);
    dOut.push_back(&p);
  }
  Rng rng(3);
  auto batch = [&] {
    h.layer().forward(ForwardPass{in, mask, true, &rng});
    h.layer().backward(BackwardPass{in, mask, dOut, dIn});
  };
  batch();
  const int64_t before = Tensor::allocationCount();
  batch();
  batch();
  EXPECT_EQ(Tensor::allocationCount(), before) << "tensor allocations after the first batch";
}

}  // namespace attn::testing
