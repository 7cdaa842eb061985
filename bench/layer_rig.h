// A layer built alone at batch 64 with random inputs and output gradients, ready to run forward
// and backward; and the benchmark cases, which are the `perf` rows of the layer-case table
// (tests/layer_cases.json). Shared by the native benchmarks (bench_layers.cpp) and the wasm ones
// (wasm/layer_bench.cpp), so both time the same cases.
#pragma once
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/random.h"
#include "layers/registry.h"

namespace attn::bench {

constexpr int kBatch = 64;
// The sequence lengths every `perf` row runs at ("T" in its shapes).
constexpr int kPerfSteps[] = {20, 100};

struct PerfCase {
  std::string name;  // "LSTM": the benchmark is BM_LSTM
  std::string type;
  Json options;
  Json shapes;       // per sample, "T" for the sequence length
  std::vector<Shape> at(int steps) const {
    std::vector<Shape> out;
    for (const Json& shape : shapes) {
      std::vector<int> dims;
      for (const Json& d : shape) dims.push_back(d.is_string() ? steps : d.get<int>());
      out.emplace_back(dims);
    }
    return out;
  }
};

inline std::vector<PerfCase> perfCases() {
  std::ifstream file(std::string(ATTN_SOURCE_DIR) + "/tests/layer_cases.json");
  const Json table = Json::parse(file, nullptr, false);
  std::vector<PerfCase> out;
  if (table.is_discarded()) return out;
  for (const Json& row : table.at("cases")) {
    if (!row.contains("perf")) continue;
    const Json& perf = row.at("perf");
    out.push_back({perf.at("name").get<std::string>(), row.at("type").get<std::string>(), perf.at("options"),
                   perf.at("shapes")});
  }
  return out;
}

struct LayerRig {
  ParamStore store;
  std::unique_ptr<Layer> layer;
  std::vector<Tensor> inputs, inputGrads, outputGrads;
  std::vector<const Tensor*> inputPtrs, outputGradPtrs;
  std::vector<Tensor*> inputGradPtrs;
  Rng rng{7};

  LayerRig(const std::string& type, const Json& options, const std::vector<Shape>& shapes) {
    layer = createLayer(type, options);
    const auto outShapes = layer->build(shapes, store);
    store.allocate(rng);
    for (const auto& s : shapes) {
      Tensor x(s.withBatch(kBatch));
      for (int64_t i = 0; i < x.size(); ++i) x[i] = rng.uniform(-1.f, 1.f);
      inputs.push_back(std::move(x));
      inputGrads.emplace_back(s.withBatch(kBatch));
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      inputPtrs.push_back(&inputs[i]);
      inputGradPtrs.push_back(&inputGrads[i]);
    }
    for (const auto& s : outShapes) {
      Tensor g(s.withBatch(kBatch));
      for (int64_t i = 0; i < g.size(); ++i) g[i] = rng.normal() * 0.1f;
      outputGrads.push_back(std::move(g));
    }
    for (const auto& g : outputGrads) outputGradPtrs.push_back(&g);
  }

  // One training step's layer work (training = withBackward), the gradients kept bounded as the
  // optimizer's zeroing does in training.
  void step(bool withBackward) {
    layer->forward(ForwardPass(inputPtrs, {}, withBackward, &rng));
    if (!withBackward) return;
    layer->backward(BackwardPass(inputPtrs, {}, outputGradPtrs, inputGradPtrs));
    store.zeroGrads();
    for (auto& g : inputGrads) g.zero();
  }
};

}  // namespace attn::bench
