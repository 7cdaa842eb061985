// Whole training steps (trainOnBatch: forward, loss, backward, Adam) and predict for the models
// of bench/models.json, the one definition the wasm and TF.js benchmarks (bench/js) use too.
// Registered at start-up from that file: BM_ModelTrain/<model> and BM_ModelPredict/<model>, in ms per batch.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/random.h"
#include "core/thread_pool.h"
#include "model/model.h"

namespace {

constexpr int kDataBatches = 4;  // distinct batches cycled through, so no step sees the same data twice in a row

std::filesystem::path modelsFile() {
  if (const char* path = std::getenv("ATTN_BENCH_MODELS")) return path;
  return std::filesystem::path(__FILE__).parent_path() / "models.json";
}

const attn::Json* findModel(const attn::Json& all, const std::string& name) {
  for (const auto& m : all["models"])
    if (m["name"] == name) return &m;
  return nullptr;
}

// Same recipe as bench/js/models.mjs: inputs uniform in [-1, 1), token ids in [1, vocab),
// targets 0/1 for binary cross-entropy and normal otherwise.
struct Batches {
  std::vector<attn::Tensor> xs, ys;
};
Batches makeBatches(const attn::Json& spec, int batch, int outputs, uint64_t seed) {
  attn::Rng rng(seed);
  Batches data;
  std::vector<int> shape = spec["input"]["shape"].get<std::vector<int>>();
  const bool ids = spec["input"]["dtype"] == "int32";
  const bool binary = spec["loss"] == "binaryCrossentropy";
  for (int b = 0; b < kDataBatches; ++b) {
    attn::Tensor x(attn::Shape(shape).withBatch(batch)), y(attn::Shape{batch, outputs});
    for (int64_t i = 0; i < x.size(); ++i)
      x[i] = ids ? static_cast<float>(1 + rng.below(spec["input"]["vocab"].get<uint32_t>() - 1))
                 : rng.uniform(-1.f, 1.f);
    for (int64_t i = 0; i < y.size(); ++i) y[i] = binary ? static_cast<float>(rng.below(2)) : rng.normal();
    data.xs.push_back(std::move(x));
    data.ys.push_back(std::move(y));
  }
  return data;
}

std::unique_ptr<attn::Model> buildModel(const attn::Json& all, const attn::Json& spec) {
  attn::Json config = {{"className", "Sequential"}, {"config", {{"name", spec["name"]}, {"layers", spec["layers"]}}}};
  auto model = std::make_unique<attn::Model>(config, 1);
  model->compile({{"optimizer", all["optimizer"]}, {"loss", spec["loss"]}});
  return model;
}

void runModel(benchmark::State& state, const attn::Json& all, const attn::Json& spec, bool train, int threads = 1) {
  attn::setThreads(threads);
  struct OneThreadAfter {
    ~OneThreadAfter() { attn::setThreads(1); }
  } restore;
  const int batch = all["batchSize"].get<int>();
  auto model = buildModel(all, spec);
  const int outputs = model->outputShape(0).back();
  const Batches data = makeBatches(spec, batch, outputs, 3);
  // Warm-up: sizes every workspace tensor (the steps after the first allocate nothing).
  for (int b = 0; b < kDataBatches; ++b) {
    if (train) model->trainOnBatch({data.xs[b]}, {data.ys[b]});
    else model->predict({data.xs[b]}, batch);
  }
  int b = 0;
  for (auto _ : state) {
    if (train) benchmark::DoNotOptimize(model->trainOnBatch({data.xs[b]}, {data.ys[b]}).values.data());
    else benchmark::DoNotOptimize(model->predict({data.xs[b]}, batch).data());
    b = (b + 1) % kDataBatches;
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetLabel(std::to_string(model->countParams()) + " params");
}

const bool registered = [] {
  std::ifstream in(modelsFile());
  if (!in) {
    benchmark::RegisterBenchmark("BM_ModelTrain/models.json-missing", [](benchmark::State& s) {
      s.SkipWithError(("cannot read " + modelsFile().string() + " (set ATTN_BENCH_MODELS)").c_str());
      for (auto _ : s) {
      }
    });
    return false;
  }
  static const attn::Json all = attn::Json::parse(in);
  for (const auto& entry : all["models"]) {
    const bool train = entry["task"] == "train";
    const attn::Json* spec = entry.contains("same") ? findModel(all, entry["same"]) : &entry;
    const std::string name = std::string(train ? "BM_ModelTrain/" : "BM_ModelPredict/") + spec->at("name").get<std::string>();
    benchmark::RegisterBenchmark(name.c_str(), [spec, train](benchmark::State& s) { runModel(s, all, *spec, train); })
        ->Unit(benchmark::kMillisecond);
    // Data-parallel training and predict on two threads (wall-clock: the main thread's CPU time is half).
    benchmark::RegisterBenchmark(
        (std::string(train ? "BM_ModelTrainThreads2/" : "BM_ModelPredictThreads2/") + spec->at("name").get<std::string>()).c_str(),
        [spec, train](benchmark::State& s) { runModel(s, all, *spec, train, 2); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  return true;
}();

}  // namespace
