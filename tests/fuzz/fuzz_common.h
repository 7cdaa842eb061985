// What the fuzz target does with one input, shared by the libFuzzer entry point and the native
// regression test that replays tests/io/crashes/ (so a fixed crash stays fixed in every build).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/check.h"
#include "io/model_file.h"
#include "model/model.h"

namespace attn::fuzz {

// Inputs large enough to make a fuzz iteration slow are skipped rather than run.
constexpr int64_t kMaxProbeValues = 1 << 14;

// Loads `bytes`; when a model comes out, runs it once on zeros and saves it again, since a
// hostile file that loads may still describe a graph that misbehaves when run. Only attn::Error
// is an acceptable way to fail: anything else escapes and the fuzzer reports it.
inline void loadAndProbe(const uint8_t* bytes, size_t size) {
  std::unique_ptr<Model> model;
  try {
    model = loadModel(bytes, size);
  } catch (const Error&) {
    return;
  }
  // Layer outputs up to kMaxSampleValues per sample are legal but make a slow, huge probe.
  int64_t activations = 0;
  for (const LayerInfo& info : model->layers())
    for (const Shape& s : info.outputShapes) activations += s.numel();
  if (activations > (int64_t(1) << 20)) return;
  std::vector<Tensor> xs;
  int64_t values = 0;
  for (int i = 0; i < model->inputCount(); ++i) {
    const Shape s = model->inputShape(i).withBatch(2);
    values += s.numel();
    if (values > kMaxProbeValues) return;
    xs.emplace_back(s);  // zeros: valid floats and valid token ids alike
  }
  try {
    model->predict(xs);
  } catch (const Error&) {
  }
  const std::vector<uint8_t> again = saveModel(*model);
  try {
    loadModel(again);
  } catch (const Error&) {
  }
}

// The fuzzer mutates bytes, which breaks the checksum almost every time: also try each input
// with its checksum made right, so the mutations reach the header, config and weight parsers.
inline void fuzzOne(const uint8_t* data, size_t size) {
  loadAndProbe(data, size);
  if (size < 8) return;
  std::vector<uint8_t> fixed(data, data + size);
  const uint32_t sum = fnv1a(fixed.data(), fixed.size() - 4);
  std::memcpy(fixed.data() + fixed.size() - 4, &sum, 4);
  loadAndProbe(fixed.data(), fixed.size());
}

}  // namespace attn::fuzz
