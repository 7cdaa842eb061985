// Cost of one training step (forward, loss, backward, Adam) and of predict for a small MLP,
// through the whole model machinery: the overhead the graph adds on top of the kernels.
#include <benchmark/benchmark.h>

#include "core/random.h"
#include "model/model.h"

namespace {

std::unique_ptr<attn::Model> mlp(int inputs, int hidden, int classes) {
  using attn::Json;
  auto dense = [](int units, const char* activation) {
    return Json{{"className", "Dense"}, {"config", {{"units", units}, {"activation", activation}}}};
  };
  Json first = dense(hidden, "relu");
  first["config"]["inputShape"] = {inputs};
  auto model = attn::sequentialModel({first, dense(hidden, "relu"), dense(classes, "softmax")});
  model->compile({{"optimizer", "adam"}, {"loss", "sparseCategoricalCrossentropy"}, {"metrics", {"accuracy"}}});
  return model;
}

void BM_FitStep(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0)), hidden = static_cast<int>(state.range(1));
  auto model = mlp(64, hidden, 10);
  const int samples = batch * 16;
  attn::Rng rng(1);
  attn::Tensor x(attn::Shape{samples, 64}), y(attn::Shape{samples});
  for (int64_t i = 0; i < x.size(); ++i) x[i] = rng.normal();
  for (int64_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(rng.below(10));
  attn::FitOptions options;
  options.epochs = 1 << 30;
  options.batchSize = batch;
  options.seed = 1;
  auto session = model->beginFit({x}, {y}, options);
  for (auto _ : state) benchmark::DoNotOptimize(session->step().batchLoss);
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_FitStep)->Args({32, 64})->Args({32, 256})->Args({128, 256});

void BM_Predict(benchmark::State& state) {
  auto model = mlp(64, 256, 10);
  attn::Rng rng(2);
  attn::Tensor x(attn::Shape{1024, 64});
  for (int64_t i = 0; i < x.size(); ++i) x[i] = rng.normal();
  for (auto _ : state) benchmark::DoNotOptimize(model->predict({x}, 128));
  state.SetItemsProcessed(state.iterations() * 1024);
}
BENCHMARK(BM_Predict);

}  // namespace

