// Proves that training allocates nothing after the first epoch, with the library's real layers:
// every global operator new in this test executable and every Tensor buffer allocation are
// counted (tests/testing/allocations.h), over whole epochs of FitSession::step().
#include <gtest/gtest.h>

#include <cmath>

#include "core/random.h"
#include "model/model.h"
#include "testing/allocations.h"

namespace attn::no_allocation_test {
namespace {

using testing::allocationsDuring;

const std::vector<std::pair<std::string, Json>> kOptimizers = {
    {"sgd+nesterov", {{"type", "sgd"}, {"learningRate", 0.01}, {"momentum", 0.9}, {"nesterov", true}}},
    {"adam", "adam"},
    {"rmsprop+momentum", {{"type", "rmsprop"}, {"momentum", 0.5}}},
};

// Runs the first epoch (which may allocate), then counts what the remaining epochs allocate.
testing::Allocations allocationsAfterTheFirstEpoch(FitSession& session, int* steps = nullptr) {
  FitProgress p;
  do p = session.step();
  while (!p.epochEnded);  // the whole first epoch, validation included
  int count = 0;
  const auto rest = allocationsDuring([&] {
    while (!session.done()) {
      session.step();
      ++count;
    }
  });
  if (steps) *steps = count;
  return rest;
}

TEST(NoAllocation, MlpWithEveryOptimizerAllocatesNothingAfterTheFirstEpoch) {
  // A functional model with fan-out, Add, Dropout, BatchNormalization, LayerNormalization, two
  // outputs (one a fused sigmoid) and an L2 regularizer. 23 samples with a 0.25 validation
  // split -> 17 training samples in batches of 5, 5, 5, 2 and 6 validation samples in batches
  // of 5, 1: both last batches are smaller.
  for (const auto& [label, optimizer] : kOptimizers) {
    SCOPED_TRACE(label);
    auto x = input({6});
    auto h = layers::apply("dense", {{"units", 8}, {"activation", "relu"}, {"kernelRegularizer", {{"l2", 0.01}}}}, x);
    auto normalized = layers::apply("batchNormalization", Json::object(), h);
    auto a = layers::apply("dense", {{"units", 8}, {"activation", "tanh"}}, normalized);
    auto merged = layers::apply("add", Json::object(), {h, a});
    auto dropped = layers::apply("dropout", {{"rate", 0.2}}, merged);
    auto layerNormed = layers::apply("layerNormalization", Json::object(), dropped);
    auto y = layers::apply("dense", {{"units", 3}, {"activation", "sigmoid"}}, layerNormed);
    auto z = layers::apply("dense", {{"units", 1}}, h);
    auto model = functionalModel({x}, {y, z});
    model->compile({{"optimizer", optimizer}, {"loss", {"binaryCrossentropy", "mse"}}, {"metrics", {"accuracy"}}});
    Rng rng(1);
    Tensor xs(Shape{23, 6}), ys(Shape{23, 3}), zs(Shape{23, 1});
    for (int64_t i = 0; i < xs.size(); ++i) xs[i] = rng.normal();
    for (int64_t i = 0; i < ys.size(); ++i) ys[i] = static_cast<float>(rng.below(2));
    for (int64_t i = 0; i < zs.size(); ++i) zs[i] = rng.normal();
    FitOptions options;
    options.epochs = 5;
    options.batchSize = 5;
    options.validationSplit = 0.25;
    options.seed = 3;
    auto session = model->beginFit({xs}, {ys, zs}, options);
    ASSERT_EQ(session->batchesPerEpoch(), 4);
    ASSERT_EQ(session->validationSamples(), 6);
    int steps = 0;
    const auto counted = allocationsAfterTheFirstEpoch(*session, &steps);
    EXPECT_EQ(steps, 16);
    EXPECT_EQ(counted.news, 0) << "operator new calls during epochs 2..5";
    EXPECT_EQ(counted.tensors, 0) << "tensor allocations during epochs 2..5";
    EXPECT_EQ(session->history().epochs(), 5);
    EXPECT_TRUE(std::isfinite(session->history().at("val_loss").back()));
  }
}

// One model per attention layer, on token ids with and without the embedding's mask, trained
// with every optimizer: the attention layer (with its dropout on where it has one) between a
// recurrent or embedding layer and a fused softmax output.
struct AttentionCase {
  const char* label;
  // tokens (B, 12) embedded to (B, 12, 6) -> the attention block -> (B, features)
  SymbolicTensor (*block)(const SymbolicTensor& embedded);
};

SymbolicTensor lstmSequences(const SymbolicTensor& x) {
  return layers::apply("lstm", {{"units", 8}, {"returnSequences", true}}, x);
}
SymbolicTensor pooled(const SymbolicTensor& x) { return layers::apply("globalAveragePooling1D", Json::object(), x); }

const AttentionCase kAttentionCases[] = {
    {"attention luong", [](const SymbolicTensor& e) {
       return layers::apply("attention", {{"units", 6}, {"score", "luong"}}, lstmSequences(e));
     }},
    {"attention bahdanau", [](const SymbolicTensor& e) {
       return layers::apply("attention", {{"units", 6}, {"score", "bahdanau"}}, lstmSequences(e));
     }},
    {"bigru + additiveSelfAttention", [](const SymbolicTensor& e) {
       auto h = layers::apply(
           "bidirectional", {{"layer", {{"className", "GRU"}, {"config", {{"units", 4}, {"returnSequences", true}}}}}}, e);
       return layers::apply("additiveSelfAttention", Json::object(), h);
     }},
    {"timeAttention + lstm", [](const SymbolicTensor& e) {
       return layers::apply("lstm", {{"units", 5}}, layers::apply("timeAttention", {{"singleVector", true}}, e));
     }},
    {"pooling + featureAttention", [](const SymbolicTensor& e) {
       return layers::apply("featureAttention", Json::object(), pooled(e));
     }},
    {"dotAttention (concat, scaled, causal, dropout)", [](const SymbolicTensor& e) {
       auto h = lstmSequences(e);
       return pooled(layers::apply(
           "dotAttention", {{"scoreMode", "concat"}, {"useScale", true}, {"causal", true}, {"dropout", 0.1}}, {h, h}));
     }},
    {"additiveAttention (query, value, key, dropout)", [](const SymbolicTensor& e) {
       auto h = lstmSequences(e);
       return pooled(layers::apply("additiveAttention", {{"dropout", 0.1}}, {h, e, h}));
     }},
    {"multiHeadAttention (dropout)", [](const SymbolicTensor& e) {
       return pooled(layers::apply("multiHeadAttention", {{"numHeads", 2}, {"keyDim", 4}, {"dropout", 0.1}}, {e, e}));
     }},
};

TEST(NoAllocation, EveryAttentionLayerMaskedOrNotWithEveryOptimizerAllocatesNothingAfterTheFirstEpoch) {
  for (const AttentionCase& c : kAttentionCases)
    for (const bool masked : {true, false})
      for (const auto& [optimizerLabel, optimizer] : kOptimizers) {
        SCOPED_TRACE(std::string(c.label) + (masked ? ", masked, " : ", unmasked, ") + optimizerLabel);
        auto tokens = input({12});
        auto embedded =
            layers::apply("embedding", {{"inputDim", 20}, {"outputDim", 6}, {"maskZero", masked}}, tokens);
        auto y = layers::apply("dense", {{"units", 3}, {"activation", "softmax"}}, c.block(embedded));
        auto model = functionalModel({tokens}, {y});
        model->compile({{"optimizer", optimizer}, {"loss", "sparseCategoricalCrossentropy"}, {"metrics", {"accuracy"}}});
        Rng rng(5);
        Tensor xs(Shape{21, 12}), ys(Shape{21, 1});
        for (int i = 0; i < 21; ++i) {
          const int padding = static_cast<int>(rng.below(6));  // 'pre' padding of varying length
          for (int t = 0; t < 12; ++t) xs[i * 12 + t] = t < padding ? 0.f : static_cast<float>(1 + rng.below(19));
          ys[i] = static_cast<float>(rng.below(3));
        }
        FitOptions options;
        options.epochs = 3;
        options.batchSize = 8;  // 21 = 8 + 8 + 5: the last batch is smaller
        options.seed = 1;
        auto session = model->beginFit({xs}, {ys}, options);
        const auto counted = allocationsAfterTheFirstEpoch(*session);
        EXPECT_EQ(counted.news, 0) << "operator new calls during epochs 2..3";
        EXPECT_EQ(counted.tensors, 0) << "tensor allocations during epochs 2..3";
        EXPECT_TRUE(std::isfinite(session->history().at("loss").back()));
      }
}

// A JS training loop calls trainOnBatch once per batch (the demo, the benchmarks): after the first
// call of each batch size, a call allocates nothing, its logs included.
TEST(NoAllocation, TrainOnBatchAllocatesNothingAfterTheFirstCall) {
  auto x = input({6});
  auto h = layers::apply("dense", {{"units", 8}, {"activation", "relu"}}, x);
  auto y = layers::apply("dense", {{"units", 1}, {"activation", "sigmoid"}}, h);
  auto model = functionalModel({x}, {y});
  model->compile({{"optimizer", "adam"}, {"loss", "binaryCrossentropy"}, {"metrics", {"accuracy"}}});
  Rng rng(2);
  Tensor xs(Shape{16, 6}), ys(Shape{16, 1});
  for (int64_t i = 0; i < xs.size(); ++i) xs[i] = rng.normal();
  for (int64_t i = 0; i < ys.size(); ++i) ys[i] = static_cast<float>(rng.below(2));
  const std::vector<Tensor> inputs{xs}, targets{ys};
  model->trainOnBatch(inputs, targets);
  double loss = 0;
  const auto counted = allocationsDuring([&] {
    for (int step = 0; step < 5; ++step) loss = model->trainOnBatch(inputs, targets).at("loss");
  });
  EXPECT_EQ(counted.news, 0) << "operator new calls in 5 trainOnBatch calls";
  EXPECT_EQ(counted.tensors, 0) << "tensor allocations in 5 trainOnBatch calls";
  EXPECT_TRUE(std::isfinite(loss));
}

// A pointer stored through a volatile escapes, so the compiler may not elide the allocations
// (C++14 lets it drop a new/delete pair whose result never escapes).
std::vector<int>* volatile g_escaped = nullptr;

TEST(NoAllocation, TheCountersSeeAllocations) {
  const auto counted = allocationsDuring([] {
    g_escaped = new std::vector<int>(3);
    delete g_escaped;
    Tensor t(Shape{4});
  });
  EXPECT_GE(counted.news, 2);
  EXPECT_EQ(counted.tensors, 1);
}

}  // namespace
}  // namespace attn::no_allocation_test
