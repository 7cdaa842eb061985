// One layer at a time, batch 64: the recurrent layers and the attention layers, forward alone
// (inference: training = false) and forward + backward (training = true, then the gradients of
// the inputs and the parameters). Figures are ms per batch; items/s counts samples.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "core/random.h"
#include "layers/registry.h"

namespace {

constexpr int kBatch = 64;

// A built layer with random inputs and output gradients, ready to run forward/backward.
struct LayerRig {
  attn::ParamStore store;
  std::unique_ptr<attn::Layer> layer;
  std::vector<attn::Tensor> inputs, inputGrads, outputGrads;
  std::vector<const attn::Tensor*> inputPtrs, outputGradPtrs;
  std::vector<attn::Tensor*> inputGradPtrs;
  attn::Rng rng{7};

  // `sharedInputs`: the layer gets the same tensor several times (self-attention: query = value).
  LayerRig(const std::string& type, const attn::Json& options, const std::vector<attn::Shape>& shapes,
           int sharedInputs = 1) {
    layer = attn::createLayer(type, options);
    std::vector<attn::Shape> perSample;
    for (const auto& s : shapes)
      for (int k = 0; k < sharedInputs; ++k) perSample.push_back(s);
    const auto outShapes = layer->build(perSample, store);
    store.allocate(rng);
    for (const auto& s : shapes) {
      attn::Tensor x(s.withBatch(kBatch));
      for (int64_t i = 0; i < x.size(); ++i) x[i] = rng.uniform(-1.f, 1.f);
      inputs.push_back(std::move(x));
      inputGrads.emplace_back(s.withBatch(kBatch));
    }
    for (int k = 0; k < sharedInputs; ++k)
      for (size_t i = 0; i < inputs.size(); ++i) {
        inputPtrs.push_back(&inputs[i]);
        inputGradPtrs.push_back(&inputGrads[i]);
      }
    for (const auto& s : outShapes) {
      attn::Tensor g(s.withBatch(kBatch));
      for (int64_t i = 0; i < g.size(); ++i) g[i] = rng.normal() * 0.1f;
      outputGrads.push_back(std::move(g));
    }
    for (const auto& g : outputGrads) outputGradPtrs.push_back(&g);
  }

  void forward(bool training) {
    layer->forward(attn::ForwardPass(inputPtrs, {}, training, &rng));
  }
  void backward() {
    layer->backward(attn::BackwardPass(inputPtrs, {}, outputGradPtrs, inputGradPtrs));
  }
};

void runLayer(benchmark::State& state, const std::string& type, const attn::Json& options,
              const std::vector<attn::Shape>& shapes, bool withBackward, int sharedInputs = 1) {
  LayerRig rig(type, options, shapes, sharedInputs);
  // Warm-up: the first batch sizes every scratch tensor.
  rig.forward(withBackward);
  if (withBackward) rig.backward();
  for (auto _ : state) {
    rig.forward(withBackward);
    if (withBackward) {
      rig.backward();
      // Keep the accumulated gradients bounded, as the optimizer's zeroing does in training.
      rig.store.zeroGrads();
      for (auto& g : rig.inputGrads) g.zero();
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetLabel(std::to_string(rig.layer->countParams()) + " params");
}

// Arguments: steps T, backward (0/1).
void BM_LSTM(benchmark::State& s) {
  const int steps = static_cast<int>(s.range(0));
  runLayer(s, "lstm", {{"units", 64}, {"returnSequences", true}}, {attn::Shape{steps, 32}}, s.range(1));
}
void BM_GRU(benchmark::State& s) {
  const int steps = static_cast<int>(s.range(0));
  runLayer(s, "gru", {{"units", 64}, {"returnSequences", true}}, {attn::Shape{steps, 32}}, s.range(1));
}
void BM_AttentionLuong(benchmark::State& s) {
  const int steps = static_cast<int>(s.range(0));
  runLayer(s, "attention", {{"units", 32}, {"score", "luong"}}, {attn::Shape{steps, 64}}, s.range(1));
}
void BM_AttentionBahdanau(benchmark::State& s) {
  const int steps = static_cast<int>(s.range(0));
  runLayer(s, "attention", {{"units", 32}, {"score", "bahdanau"}}, {attn::Shape{steps, 64}}, s.range(1));
}
void BM_AdditiveSelfAttention(benchmark::State& s) {
  const int steps = static_cast<int>(s.range(0));
  runLayer(s, "additiveSelfAttention", attn::Json::object(), {attn::Shape{steps, 64}}, s.range(1));
}
// Self-attention: query = value = x (B, T, 64), 4 heads of 16.
void BM_MultiHeadAttention(benchmark::State& s) {
  const int steps = static_cast<int>(s.range(0));
  runLayer(s, "multiHeadAttention", {{"numHeads", 4}, {"keyDim", 16}}, {attn::Shape{steps, 64}}, s.range(1), 2);
}

#define ATTN_LAYER_ARGS ArgNames({"T", "backward"})->ArgsProduct({{20, 100}, {0, 1}})->Unit(benchmark::kMillisecond)
BENCHMARK(BM_LSTM)->ATTN_LAYER_ARGS;
BENCHMARK(BM_GRU)->ATTN_LAYER_ARGS;
BENCHMARK(BM_AttentionLuong)->ATTN_LAYER_ARGS;
BENCHMARK(BM_AttentionBahdanau)->ATTN_LAYER_ARGS;
BENCHMARK(BM_AdditiveSelfAttention)->ATTN_LAYER_ARGS;
BENCHMARK(BM_MultiHeadAttention)->ATTN_LAYER_ARGS;

}  // namespace
