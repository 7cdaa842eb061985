// Proves that training allocates nothing after the first epoch: every global operator new in
// this test executable is counted, and so are Tensor buffer allocations (aligned_alloc).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "core/random.h"
#include "model/model.h"

// GCC sees the replaced operator new inlined into callers and free() in the replaced delete,
// and warns of a mismatch that the replacement makes correct.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<int64_t> g_news{0};
}
bool g_trapNew = false;

void* operator new(size_t size) {
  ++g_news;
  if (g_trapNew) __builtin_trap();
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) { return operator new(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  ++g_news;
  return std::malloc(size ? size : 1);
}
void* operator new[](size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace attn {
namespace {

TEST(NoAllocation, FitStepsAfterTheFirstEpochAllocateNothing) {
  // A functional model with fan-out, a merge, dropout, two outputs (one a fused sigmoid) and
  // an L2 regularizer. 23 samples with a 0.25 validation split -> 17 training samples in batches of
  // 5, 5, 5, 2 and 6 validation samples in batches of 5, 1: both last batches are smaller.
  auto x = input({6});
  auto h = layers::apply("dense", {{"units", 8}, {"activation", "relu"}, {"kernelRegularizer", {{"l2", 0.01}}}}, x);
  auto a = layers::apply("dense", {{"units", 8}, {"activation", "tanh"}}, h);
  auto merged = layers::apply("testAdd", Json::object(), {h, a});
  auto dropped = layers::apply("testDropout", {{"rate", 0.2}}, merged);
  auto y = layers::apply("dense", {{"units", 3}, {"activation", "sigmoid"}}, dropped);
  auto z = layers::apply("dense", {{"units", 1}}, h);
  auto model = functionalModel({x}, {y, z});
  model->compile({{"optimizer", "adam"}, {"loss", {"binaryCrossentropy", "mse"}}, {"metrics", {"accuracy"}}});
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
  FitProgress p;
  do p = session->step();
  while (!p.epochEnded);  // the whole first epoch, validation included

  const int64_t newsBefore = g_news.load(), tensorsBefore = Tensor::allocationCount();
  int steps = 0;
  // TRAP_NEW=1 under a debugger stops at the offending allocation.
  g_trapNew = std::getenv("TRAP_NEW") != nullptr;
  while (!session->done()) {
    p = session->step();
    ++steps;
  }
  g_trapNew = false;
  const int64_t news = g_news.load() - newsBefore, tensors = Tensor::allocationCount() - tensorsBefore;
  EXPECT_EQ(steps, 16);
  EXPECT_EQ(news, 0) << "operator new calls during epochs 2..5";
  EXPECT_EQ(tensors, 0) << "tensor allocations during epochs 2..5";
  EXPECT_EQ(session->history().epochs(), 5);
  EXPECT_TRUE(std::isfinite(session->history().at("val_loss").back()));
}

// Epochs 2..3 of a real attention model allocate nothing: masked token inputs, recurrent layers,
// every attention family, a fused softmax output.
TEST(NoAllocation, AttentionModelsAllocateNothingAfterTheFirstEpoch) {
  const std::vector<std::pair<const char*, Json>> stacks = {
      {"lstm+attention", Json::array({Json{{"className", "lstm"}, {"config", {{"units", 8}, {"returnSequences", true}}}},
                                      Json{{"className", "attention"}, {"config", {{"units", 6}, {"score", "bahdanau"}}}}})},
      {"bigru+selfattention",
       Json::array({Json{{"className", "bidirectional"},
                         {"config", {{"layer", {{"className", "GRU"}, {"config", {{"units", 4}, {"returnSequences", true}}}}}}}},
                    Json{{"className", "additiveSelfAttention"}, {"config", Json::object()}}})},
      {"timeattention+lstm", Json::array({Json{{"className", "timeAttention"}, {"config", Json::object()}},
                                          Json{{"className", "lstm"}, {"config", {{"units", 5}}}}})},
  };
  for (const auto& [label, stack] : stacks) {
    SCOPED_TRACE(label);
    std::vector<Json> specs = {{{"className", "embedding"},
                                {"config", {{"inputDim", 20}, {"outputDim", 6}, {"maskZero", true}, {"inputShape", {12}}}}}};
    for (const auto& layer : stack) specs.push_back(layer);
    specs.push_back({{"className", "dense"}, {"config", {{"units", 3}, {"activation", "softmax"}}}});
    auto model = sequentialModel(specs);
    model->compile({{"optimizer", "adam"}, {"loss", "sparseCategoricalCrossentropy"}, {"metrics", {"accuracy"}}});
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
    FitProgress p;
    do p = session->step();
    while (!p.epochEnded);
    const int64_t newsBefore = g_news.load(), tensorsBefore = Tensor::allocationCount();
    while (!session->done()) session->step();
    EXPECT_EQ(g_news.load() - newsBefore, 0) << "operator new calls during epochs 2..3";
    EXPECT_EQ(Tensor::allocationCount() - tensorsBefore, 0) << "tensor allocations during epochs 2..3";
    EXPECT_TRUE(std::isfinite(session->history().at("loss").back()));
  }
}

// A pointer stored through a volatile escapes, so the compiler may not elide the allocations
// (C++14 lets it drop a new/delete pair whose result never escapes).
std::vector<int>* volatile g_escaped = nullptr;

TEST(NoAllocation, TheCounterSeesAllocations) {
  const int64_t before = g_news.load();
  g_escaped = new std::vector<int>(3);
  delete g_escaped;
  EXPECT_GE(g_news.load() - before, 2);
}

}  // namespace
}  // namespace attn
