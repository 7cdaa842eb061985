// Helpers for the layer tests in this folder (masks after a forward pass, error messages).
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/check.h"
#include "layers/registry.h"
#include "testing/allocations.h"
#include "testing/layer_harness.h"

namespace attn::testing {

// Runs forward over the harness's inputs and masks and returns the output mask the layer reports.
inline const Tensor* forwardMask(LayerHarness& h, bool training = false, int index = 0) {
  std::vector<const Tensor*> in, mask;
  for (auto& t : h.inputs) in.push_back(&t);
  for (auto& m : h.masks) mask.push_back(m.empty() ? nullptr : &m);
  Rng rng(3);
  ForwardPass pass{in, mask, training, &rng};
  h.layer().forward(pass);
  return h.layer().outputMask(index);
}

// Succeeds when `run` throws attn::Error whose message contains every fragment.
inline ::testing::AssertionResult throwsWith(const std::function<void()>& run,
                                             std::initializer_list<std::string> fragments) {
  try {
    run();
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const auto& f : fragments)
      if (message.find(f) == std::string::npos)
        return ::testing::AssertionFailure() << "message \"" << message << "\" lacks \"" << f << "\"";
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no attn::Error thrown";
}

// backward() must add into the input and parameter gradients, not overwrite them: a second
// backward pass over the same forward doubles every gradient.
inline ::testing::AssertionResult backwardAccumulates(LayerHarness& h, bool training = false) {
  std::vector<const Tensor*> in, mask, dOut;
  std::vector<Tensor*> dIn;
  std::vector<Tensor> grads, outGrads;
  for (auto& t : h.inputs) grads.emplace_back(t.shape());
  for (auto& t : h.inputs) in.push_back(&t);
  for (auto& m : h.masks) mask.push_back(m.empty() ? nullptr : &m);
  for (auto& g : grads) dIn.push_back(&g);
  auto forward = [&] {
    Rng rng(5);
    h.layer().forward(ForwardPass{in, mask, training, &rng});
  };
  forward();
  for (const auto& o : h.layer().outputs()) {
    outGrads.emplace_back(o.shape());
    for (int64_t i = 0; i < outGrads.back().size(); ++i) outGrads.back()[i] = 0.5f - 0.37f * float(i % 7);
  }
  for (auto& g : outGrads) dOut.push_back(&g);
  h.store().zeroGrads();
  h.layer().backward(BackwardPass{in, mask, dOut, dIn});
  std::vector<Tensor> once = grads;
  const int64_t paramCount = h.store().trainableSize();
  std::vector<float> paramsOnce(h.store().trainableGrads(), h.store().trainableGrads() + paramCount);
  forward();
  h.layer().backward(BackwardPass{in, mask, dOut, dIn});
  auto close = [](float twice, float single) { return std::fabs(twice - 2 * single) <= 1e-5f * (1 + std::fabs(twice)); };
  for (size_t k = 0; k < grads.size(); ++k)
    for (int64_t i = 0; i < grads[k].size(); ++i)
      if (!close(grads[k][i], once[k][i]))
        return ::testing::AssertionFailure() << "input " << k << " gradient [" << i << "] went from " << once[k][i]
                                             << " to " << grads[k][i] << " instead of doubling";
  for (int64_t i = 0; i < paramCount; ++i)
    if (!close(h.store().trainableGrads()[i], paramsOnce[i]))
      return ::testing::AssertionFailure() << "parameter gradient [" << i << "] went from " << paramsOnce[i] << " to "
                                           << h.store().trainableGrads()[i] << " instead of doubling";
  return ::testing::AssertionSuccess();
}

// The spec of a layer recreates a layer with the same spec (what save/load relies on).
inline ::testing::AssertionResult optionsRoundTrip(const std::string& type, const Json& options) {
  auto layer = makeLayer(type, options);
  const Json spec = layerSpec(*layer);
  const Json again = layerSpec(*createLayer(spec));
  if (spec != again) return ::testing::AssertionFailure() << spec.dump() << " became " << again.dump();
  return ::testing::AssertionSuccess();
}

// Builds a layer outside a harness (for build-time errors).
inline std::vector<Shape> buildLayer(const std::string& type, const Json& options, const std::vector<Shape>& shapes) {
  auto layer = makeLayer(type, options);
  ParamStore store;
  return layer->build(shapes, store);
}

// Tensor allocations made by one forward + backward once the layer has seen a batch: layers
// keep their scratch, so this must be 0.
inline int64_t allocationsAfterFirstBatch(LayerHarness& h, bool training = false) {
  std::vector<const Tensor*> in, mask, dOut;
  std::vector<Tensor*> dIn;
  std::vector<Tensor> grads;
  for (auto& t : h.inputs) grads.emplace_back(t.shape());
  for (auto& t : h.inputs) in.push_back(&t);
  for (auto& m : h.masks) mask.push_back(m.empty() ? nullptr : &m);
  for (auto& g : grads) dIn.push_back(&g);
  Rng rng(5);
  ForwardPass pass{in, mask, training, &rng};
  h.layer().forward(pass);
  std::vector<Tensor> outGrads;
  for (const auto& o : h.layer().outputs()) {
    outGrads.emplace_back(o.shape());
    outGrads.back().fill(0.5f);
  }
  for (auto& g : outGrads) dOut.push_back(&g);
  h.layer().backward(BackwardPass{in, mask, dOut, dIn});
  return allocationsDuring([&] {
           h.layer().forward(pass);
           h.layer().backward(BackwardPass{in, mask, dOut, dIn});
         }).total();
}

}  // namespace attn::testing
