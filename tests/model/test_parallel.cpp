// Data-parallel training (attn::setThreads): a batch cut into shards, each run forward and
// backward by a replica on the pool, gradients, losses and metrics summed in shard order.
//  - the step is the unsharded step's mathematics: every loss (fused or not), masks and sample
//    weights normalize over the WHOLE batch, so weights after a step match one thread's to
//    float rounding, for 2 and 3 shards;
//  - a seed and a thread count give bit-identical weights, dropout included;
//  - BatchNormalization (its statistics couple the batch) trains unsharded: bit-identical;
//  - a shard's error (a bad token id) leaves the weights as they were and the model usable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "core/check.h"
#include "core/random.h"
#include "core/thread_pool.h"
#include "model/fit_options.h"
#include "model/model.h"
#include "testing/allocations.h"

namespace attn::parallel_test {
namespace {

Json layer(const char* className, Json config) { return Json{{"className", className}, {"config", config}}; }

// Shards every batch (these models are small), and restores one thread whatever a test does.
struct ThreadsGuard {
  double minimumWork = setMinimumShardWork(0);
  ~ThreadsGuard() {
    setThreads(1);
    setMinimumShardWork(minimumWork);
    setFixedShards(0);
  }
};

// The tests that shard: skipped on a single-threaded build; the thread count and the shard
// threshold are restored after each.
class ParallelSharding : public ::testing::Test {
 protected:
  void SetUp() override {
    if (maxThreads() < 2) GTEST_SKIP() << "a single-threaded build";
  }
  ThreadsGuard guard;
};

std::vector<float> weightsOf(const Model& model) {
  std::vector<float> flat;
  for (const NamedTensor& w : model.getWeights()) flat.insert(flat.end(), w.value.data(), w.value.data() + w.value.size());
  return flat;
}

float maxRelativeDifference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float worst = 0.f;
  for (size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::fabs(a[i] - b[i]) / std::max(1e-3f, std::fabs(a[i])));
  return worst;
}

// Tokens (N, T) with zero padding at the end of each row (masked by the embedding), and per-step
// class ids (N, T) for a sequence output: every loss row that counts is a kept step.
struct SequenceData {
  Tensor tokens, classes, sampleWeights, binary;
};
SequenceData sequenceData(int n, int steps, uint64_t seed) {
  Rng rng(seed);
  SequenceData d{Tensor(Shape{n, steps}), Tensor(Shape{n, steps}), Tensor(Shape{n}), Tensor(Shape{n, 1})};
  for (int i = 0; i < n; ++i) {
    const int kept = 1 + static_cast<int>(rng.uniform() * steps);
    for (int t = 0; t < steps; ++t) {
      d.tokens[i * steps + t] = t < kept ? 1.f + std::floor(rng.uniform() * 9.f) : 0.f;
      d.classes[i * steps + t] = std::floor(rng.uniform() * 3.f);
    }
    d.sampleWeights[i] = 0.25f + rng.uniform() * 2.f;
    d.binary[i] = d.tokens[i * steps] > 5.f ? 1.f : 0.f;
  }
  return d;
}

// Embedding(maskZero) -> LSTM (sequences) -> Dense softmax per step: a masked sequence loss.
std::unique_ptr<Model> taggerModel(const char* loss) {
  auto model = sequentialModel({layer("Embedding", {{"inputDim", 10}, {"outputDim", 4}, {"maskZero", true},
                                                    {"inputShape", {6}}}),
                                layer("LSTM", {{"units", 5}, {"returnSequences", true}}),
                                layer("Dense", {{"units", 3}, {"activation", "softmax"}})},
                               "tagger", 7);
  model->compile({{"optimizer", {{"type", "sgd"}, {"learningRate", 0.5}}}, {"loss", loss}, {"metrics", {"accuracy"}}});
  return model;
}

// Embedding(maskZero) -> LSTM -> attention -> sigmoid (fused binary cross-entropy), with dropout.
std::unique_ptr<Model> attentionModel(double dropout) {
  auto model = sequentialModel({layer("Embedding", {{"inputDim", 10}, {"outputDim", 4}, {"maskZero", true},
                                                    {"inputShape", {6}}}),
                                layer("LSTM", {{"units", 6}, {"returnSequences", true}}),
                                layer("Attention", {{"units", 4}}), layer("Dropout", {{"rate", dropout}}),
                                layer("Dense", {{"units", 1}, {"activation", "sigmoid"}})},
                               "classifier", 3);
  model->compile({{"optimizer", {{"type", "adam"}, {"learningRate", 0.05}}},
                  {"loss", "binaryCrossentropy"},
                  {"metrics", {"accuracy"}}});
  return model;
}

FitOptions fitOptions(int epochs, int batchSize, uint64_t seed) {
  FitOptions options;
  options.epochs = epochs;
  options.batchSize = batchSize;
  options.seed = seed;
  return options;
}

// attentionModel(dropout) fitted to d.binary on `threadCount` threads.
std::unique_ptr<Model> fittedAttentionModel(const SequenceData& d, int threadCount, double dropout,
                                            const FitOptions& options, History* history = nullptr) {
  setThreads(threadCount);
  auto model = attentionModel(dropout);
  const History h = model->fit({d.tokens}, {d.binary}, options);
  if (history) *history = h;
  return model;
}

// Every task runs exactly once whatever the count (none, fewer than threads, many more), on no
// more threads than setThreads allows (the pool may be bigger), and the lowest failing task's
// exception reaches the caller after all tasks have finished.
TEST(ThreadPool, RunsEachTaskOnceAndRethrowsTheFirstError) {
  if (maxThreads() < 3) GTEST_SKIP() << "a single-threaded build";
  ThreadsGuard guard;
  ThreadPool pool(3);
  for (int threadCount : {3, 2}) {
    setThreads(threadCount);
    for (int count : {0, 1, 2, 3, 7, 100}) {
      std::vector<int> runs(count, 0);
      std::vector<std::thread::id> ranOn(count);
      auto task = [&](int i) {
        ++runs[i];
        ranOn[i] = std::this_thread::get_id();
      };
      pool.run(count, task);
      EXPECT_EQ(runs, std::vector<int>(count, 1)) << count;
      std::sort(ranOn.begin(), ranOn.end());
      const auto distinct = std::unique(ranOn.begin(), ranOn.end()) - ranOn.begin();
      EXPECT_LE(distinct, threadCount) << count;
      if (count >= 100) {
        EXPECT_EQ(distinct, threadCount);
      }
    }
  }
  setThreads(3);
  std::vector<int> runs(10, 0);
  auto failing = [&](int i) {
    ++runs[i];
    if (i == 4 || i == 8) fail("task ", i);
  };
  try {
    pool.run(10, failing);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "task 4");
  }
  EXPECT_EQ(runs, std::vector<int>(10, 1));
  auto fine = [&](int i) { runs[i] = -1; };
  pool.run(10, fine);  // still usable after an error
  EXPECT_EQ(runs, std::vector<int>(10, -1));
}

TEST(Parallel, ThreadCountIsClampedToWhatTheBuildRuns) {
  ThreadsGuard guard;
  EXPECT_EQ(setThreads(0), 1);
  EXPECT_EQ(setThreads(3), std::min(3, maxThreads()));
  EXPECT_EQ(threads(), std::min(3, maxThreads()));
}

// One step of SGD: the sharded gradient is the whole batch's, so the weights after it agree with
// one thread's to rounding, for a masked per-step loss with and without sample weights and for a
// fused sigmoid loss. (A shard normalizing by its own rows instead would be off by ~2x.)
TEST_F(ParallelSharding, ShardedStepMatchesTheUnshardedStep) {
  const SequenceData d = sequenceData(37, 6, 5);
  for (bool weighted : {false, true}) {
    std::vector<float> reference;
    double referenceLoss = 0;
    for (int threadCount : {1, 2, 3}) {
      SCOPED_TRACE(::testing::Message() << "threads " << threadCount << (weighted ? " weighted" : ""));
      ASSERT_EQ(setThreads(threadCount), threadCount);
      auto model = taggerModel("sparseCategoricalCrossentropy");
      FitOptions options;
      options.batchSize = 37;
      options.shuffle = false;
      if (weighted) options.sampleWeights = {d.sampleWeights};
      const History h = model->fit({d.tokens}, {d.classes}, options);
      if (threadCount == 1) {
        reference = weightsOf(*model);
        referenceLoss = h.at("loss")[0];
        continue;
      }
      EXPECT_LT(maxRelativeDifference(reference, weightsOf(*model)), 2e-5f);
      EXPECT_NEAR(h.at("loss")[0], referenceLoss, 1e-6 * std::fabs(referenceLoss));
    }
  }
  std::vector<float> reference;
  for (int threadCount : {1, 2}) {
    setThreads(threadCount);
    auto model = attentionModel(0.0);
    model->trainOnBatch({d.tokens}, {d.binary});
    if (threadCount == 1)
      reference = weightsOf(*model);
    else
      EXPECT_LT(maxRelativeDifference(reference, weightsOf(*model)), 2e-5f);
  }
}

// Lowering the thread count keeps the pool (a browser page cannot start a thread synchronously,
// so setThreads(1) then setThreads(2) must not need new ones), and training on the first threads
// of a bigger pool gives the weights of a pool of exactly that size.
TEST_F(ParallelSharding, LoweringTheThreadCountKeepsThePool) {
  if (maxThreads() < 3) GTEST_SKIP() << "fewer than 3 threads";
  const SequenceData d = sequenceData(48, 6, 9);
  auto train = [&](int threadCount) { return weightsOf(*fittedAttentionModel(d, threadCount, 0.3, fitOptions(1, 48, 7))); };
  const std::vector<float> onTwo = train(2);
  train(3);
  const ThreadPool* pool = &threadPool();
  const int size = pool->size();
  ASSERT_GE(size, 3);
  EXPECT_EQ(train(2), onTwo);
  EXPECT_EQ(train(1), train(1));
  EXPECT_EQ(train(2), onTwo);
  EXPECT_EQ(&threadPool(), pool) << "lowering the thread count rebuilt the pool";
  EXPECT_EQ(threadPool().size(), size);
}

// predict() shards its batches too: each replica writes its rows of every output. A masked
// two-output model (a per-step softmax and an attention head) predicts the same numbers on every
// run for a thread count, and one thread's to rounding on others, for batches that split evenly
// and unevenly (the GEMM picks its path by the number of rows, so a shard's rows may round
// differently from the whole batch's, as predicting with another batchSize does); a model with
// BatchNormalization (its statistics are not shared with replicas) stays on one thread.
TEST_F(ParallelSharding, PredictOnShardsGivesTheOneThreadOutputs) {
  const SequenceData d = sequenceData(41, 6, 11);
  auto tokens = input({6}, "tokens");
  auto steps = layers::apply("lstm", {{"units", 5}, {"returnSequences", true}},
                             layers::apply("embedding", {{"inputDim", 10}, {"outputDim", 4}, {"maskZero", true}}, tokens));
  auto tags = layers::apply("dense", {{"units", 3}, {"activation", "softmax"}}, steps);
  auto score = layers::apply("dense", {{"units", 1}}, layers::apply("attention", {{"units", 4}}, steps));
  auto model = functionalModel({tokens}, {tags, score});
  auto predicted = [&](int batchSize) {
    std::vector<std::vector<float>> flat;
    for (const Tensor& t : model->predict({d.tokens}, batchSize)) flat.emplace_back(t.data(), t.data() + t.size());
    return flat;
  };
  setThreads(1);
  const auto reference = predicted(41);
  ASSERT_EQ(reference.size(), 2u);
  for (int threadCount : {2, 3}) {
    for (int batchSize : {41, 16}) {
      SCOPED_TRACE(::testing::Message() << "threads " << threadCount << ", batch " << batchSize);
      setThreads(threadCount);
      const auto sharded = predicted(batchSize);
      EXPECT_EQ(predicted(batchSize), sharded);
      for (size_t o = 0; o < reference.size(); ++o) EXPECT_LT(maxRelativeDifference(reference[o], sharded[o]), 1e-5f);
    }
  }
  // BatchNormalization's moving statistics live in the model, not in the replicas.
  auto normalized = sequentialModel({layer("Dense", {{"units", 3}, {"inputShape", {4}}}),
                                     layer("BatchNormalization", Json::object()), layer("Dense", {{"units", 1}})},
                                    "normalized", 5);
  std::vector<NamedTensor> weights = normalized->getWeights();
  for (NamedTensor& w : weights)
    if (w.name.find("moving_mean") != std::string::npos)
      for (int64_t i = 0; i < w.value.size(); ++i) w.value[i] = 0.5f + float(i);
  normalized->setWeights(weights);
  Tensor x(Shape{8, 4});
  for (int64_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) - 3.f;
  std::vector<float> byThreads[2];
  for (int threadCount : {1, 2}) {
    setThreads(threadCount);
    const Tensor y = normalized->predict({x}, 8)[0];
    byThreads[threadCount - 1].assign(y.data(), y.data() + y.size());
  }
  EXPECT_EQ(byThreads[1], byThreads[0]);
}

// getActivations and getAttention run their batches on the shards as predict does: on 2 and 3
// threads they go through the pool, give the same numbers on every run and one thread's to
// rounding, for batches that split evenly and unevenly (a shard's rows land in its rows).
TEST_F(ParallelSharding, ActivationsAndAttentionOnShardsGiveTheOneThreadNumbers) {
  const SequenceData d = sequenceData(41, 6, 11);
  auto tokens = input({6}, "tokens");
  auto embedded = layers::apply("embedding", {{"inputDim", 10}, {"outputDim", 4}, {"maskZero", true}}, tokens);
  auto steps = layers::apply("lstm", {{"units", 5}, {"returnSequences", true}, {"name", "steps"}}, embedded);
  auto attended = layers::apply("attention", {{"units", 4}, {"name", "pooled"}}, steps);
  auto model = functionalModel({tokens}, {layers::apply("dense", {{"units", 1}}, attended)});
  auto inspected = [&](int batchSize) {
    const Tensor activations = model->getActivations({d.tokens}, "steps", 0, batchSize);
    const Tensor attention = model->getAttention({d.tokens}, "", batchSize);
    EXPECT_EQ(attention.shape(), Shape({41, 6}));
    return std::vector<std::vector<float>>{{activations.data(), activations.data() + activations.size()},
                                           {attention.data(), attention.data() + attention.size()}};
  };
  setThreads(1);
  const auto reference = inspected(41);
  for (int threadCount : {2, 3}) {
    for (int batchSize : {41, 16}) {
      SCOPED_TRACE(::testing::Message() << "threads " << threadCount << ", batch " << batchSize);
      setThreads(threadCount);
      const uint64_t runsBefore = threadPool().runs();
      const auto sharded = inspected(batchSize);
      EXPECT_GE(threadPool().runs() - runsBefore, 2u * ((41 + batchSize - 1) / batchSize)) << "not on the pool";
      EXPECT_EQ(inspected(batchSize), sharded);
      for (size_t i = 0; i < reference.size(); ++i) EXPECT_LT(maxRelativeDifference(reference[i], sharded[i]), 1e-5f);
    }
  }
}

// evaluate() and fit's validation shard like predict: the masked tagger's loss and accuracy are
// the same on every run for a thread count and one thread's to rounding, for batches that split
// evenly and unevenly; validation draws nothing from the dropout stream, so training with
// validation data gives the weights training without it gives.
TEST_F(ParallelSharding, EvaluateOnShardsGivesTheOneThreadLogs) {
  const SequenceData d = sequenceData(41, 6, 12);
  auto model = taggerModel("sparseCategoricalCrossentropy");
  auto evaluated = [&](int batchSize) { return model->evaluate({d.tokens}, {d.classes}, batchSize).values; };
  setThreads(1);
  const std::vector<double> reference = evaluated(41);
  ASSERT_EQ(reference.size(), 2u);  // loss, accuracy
  for (int threadCount : {2, 3}) {
    for (int batchSize : {41, 16}) {
      SCOPED_TRACE(::testing::Message() << "threads " << threadCount << ", batch " << batchSize);
      setThreads(threadCount);
      const std::vector<double> sharded = evaluated(batchSize);
      EXPECT_EQ(evaluated(batchSize), sharded);
      EXPECT_NEAR(sharded[0], reference[0], 1e-5 * std::fabs(reference[0]));
      EXPECT_DOUBLE_EQ(sharded[1], reference[1]);
    }
  }
  auto train = [&](bool withValidation) {
    FitOptions options = fitOptions(2, 16, 5);
    if (withValidation) {
      options.validationXs = {d.tokens};
      options.validationYs = {d.binary};
    }
    History h;
    auto classifier = fittedAttentionModel(d, 2, 0.3, options, &h);
    if (withValidation) {
      EXPECT_EQ(h.at("val_loss").size(), 2u);
    }
    return weightsOf(*classifier);
  };
  EXPECT_EQ(train(true), train(false));
}

// Same seed, same thread count: the same weights to the bit, dropout included, however the
// threads were scheduled. Across thread counts training follows the same course (no dropout:
// the losses agree to rounding after several epochs).
TEST_F(ParallelSharding, SameSeedAndThreadsGiveBitIdenticalWeights) {
  const SequenceData d = sequenceData(96, 6, 9);
  auto train = [&](int threadCount, double dropout, double* finalLoss = nullptr) {
    History h;
    auto model = fittedAttentionModel(d, threadCount, dropout, fitOptions(3, 32, 4), &h);
    if (finalLoss) *finalLoss = h.at("loss").back();
    return weightsOf(*model);
  };
  EXPECT_EQ(train(2, 0.3), train(2, 0.3));
  EXPECT_EQ(train(3, 0.3), train(3, 0.3));
  double one = 0, two = 0;
  const auto single = train(1, 0.0, &one), dual = train(2, 0.0, &two);
  EXPECT_NE(single, dual) << "two threads ran unsharded";
  EXPECT_LT(maxRelativeDifference(single, dual), 1e-3f);
  EXPECT_NEAR(one, two, 1e-4 * std::fabs(one));
}

// setFixedShards(k): every batch is cut into k shards whatever the thread count, so 1, 2 and 3
// threads (k not a multiple of 2 or 3: some threads run more shards than others) train to the
// same weights to the bit, dropout included, and predict, getAttention and evaluate the same
// numbers; with the default (one shard per thread) one thread's weights differ. Counts outside
// [0, 64] throw.
TEST_F(ParallelSharding, FixedShardsGiveTheSameNumbersOnAnyThreadCount) {
  const SequenceData d = sequenceData(96, 6, 13);
  struct Run {
    std::vector<float> weights, predicted, attention;
    std::vector<double> evaluated;
  };
  auto run = [&](int threadCount) {
    auto model = fittedAttentionModel(d, threadCount, 0.3, fitOptions(2, 40, 6));
    const Tensor y = model->predict({d.tokens}, 40)[0];
    const Tensor a = model->getAttention({d.tokens}, "", 40);
    return Run{weightsOf(*model), std::vector<float>(y.data(), y.data() + y.size()),
               std::vector<float>(a.data(), a.data() + a.size()), model->evaluate({d.tokens}, {d.binary}, 40).values};
  };
  const Run perThread = run(1);
  setFixedShards(5);
  const Run one = run(1);
  EXPECT_NE(one.weights, perThread.weights) << "fixed shards did not shard on one thread";
  for (int threadCount : {2, 3}) {
    SCOPED_TRACE(::testing::Message() << "threads " << threadCount);
    const Run other = run(threadCount);
    EXPECT_EQ(other.weights, one.weights);
    EXPECT_EQ(other.predicted, one.predicted);
    EXPECT_EQ(other.attention, one.attention);
    EXPECT_EQ(other.evaluated, one.evaluated);
  }
  EXPECT_THROW(setFixedShards(-1), Error);
  EXPECT_THROW(setFixedShards(65), Error);
  EXPECT_THROW(setFixedShards(2.5), Error);
  EXPECT_THROW(setFixedShards(std::nan("")), Error);
  EXPECT_EQ(fixedShards(), 5);
}

// The sharded step keeps the training loop's rule: after the first epoch (replicas built, every
// buffer sized) no operator new and no Tensor buffer, on the caller's thread or the pool's.
TEST_F(ParallelSharding, ShardedTrainingAllocatesNothingAfterTheFirstEpoch) {
  setThreads(2);
  const SequenceData d = sequenceData(96, 6, 4);
  auto model = attentionModel(0.3);
  auto session = model->beginFit({d.tokens}, {d.binary}, fitOptions(3, 32, 2));
  FitProgress p;
  do p = session->step();
  while (!p.epochEnded);
  const auto rest = testing::allocationsDuring([&] {
    while (!session->done()) session->step();
  });
  EXPECT_EQ(rest.news, 0);
  EXPECT_EQ(rest.tensors, 0);
}

TEST(Parallel, BatchNormalizationTrainsUnsharded) {
  ThreadsGuard guard;
  Rng rng(2);
  Tensor x(Shape{40, 3}), y(Shape{40, 1});
  for (int64_t i = 0; i < x.size(); ++i) x[i] = rng.normal();
  for (int i = 0; i < 40; ++i) y[i] = x[i * 3] - x[i * 3 + 2];
  auto train = [&](int threadCount) {
    setThreads(threadCount);
    auto model = sequentialModel({layer("Dense", {{"units", 4}, {"inputShape", {3}}}),
                                  layer("BatchNormalization", Json::object()), layer("Dense", {{"units", 1}})},
                                 "bn", 1);
    model->compile({{"optimizer", "adam"}, {"loss", "mse"}});
    model->fit({x}, {y}, fitOptions(2, 20, 1));
    return weightsOf(*model);
  };
  EXPECT_EQ(train(1), train(2));
}

// Under the default work threshold per shard (trainable weights x samples x time steps) a small
// model's step stays on one thread: no pool run, and the numbers of a one-thread run. With twice
// the threshold, the same model's step runs on the pool in two shards.
TEST_F(ParallelSharding, TheDefaultWorkThresholdKeepsSmallStepsOnOneThread) {
  setMinimumShardWork(guard.minimumWork);
  // Token ids of 6 steps: an input of rank 1 per sample, which the rule counts as one time step.
  const int64_t weights = attentionModel(0.0)->countParams();
  const int small = static_cast<int>(2 * guard.minimumWork / double(weights)) - 1;
  const int large = static_cast<int>(2 * guard.minimumWork / double(weights)) + 2;
  ASSERT_LT(double(weights) * small, 2 * guard.minimumWork);
  ASSERT_GE(small, 4) << "the rule under test is the work, not the batch's 2 samples per shard";
  const SequenceData smallData = sequenceData(small, 6, 2), largeData = sequenceData(large, 6, 2);
  auto train = [&](int threadCount, const SequenceData& d, uint64_t* poolRuns) {
    setThreads(threadCount);
    auto model = attentionModel(0.0);
    const uint64_t before = threadPool().runs();
    model->trainOnBatch({d.tokens}, {d.binary});
    *poolRuns = threadPool().runs() - before;
    return weightsOf(*model);
  };
  uint64_t oneThreadRuns = 0, smallRuns = 0, largeRuns = 0;
  EXPECT_EQ(train(1, smallData, &oneThreadRuns), train(2, smallData, &smallRuns));
  EXPECT_EQ(smallRuns, 0u) << "a step of " << weights * small << " work went to the pool";
  train(2, largeData, &largeRuns);
  EXPECT_EQ(largeRuns, 2u) << "a step of " << weights * large << " work stayed on one thread";
}

// Past 2^17 trainable values (an Embedding of 3000 x 48, Adam) a sharded step runs its optimizer
// update in one part per shard on the pool: a third pool run per step. The weights after a few
// steps agree with one thread's unsharded steps to rounding (a part left out or updated twice
// would not), and with fixed shards 1, 2 and 3 threads give the same bits.
TEST_F(ParallelSharding, LargeModelsRunTheOptimizerInPartsOnThePool) {
  const int rows = 64, steps = 6, vocab = 3000;
  Tensor tokens(Shape{rows, steps}), labels(Shape{rows, 1});
  for (int i = 0; i < rows; ++i) {
    for (int t = 0; t < steps; ++t) tokens[i * steps + t] = float(1 + (i * 7919 + t * 104729) % (vocab - 1));
    labels[i] = float(i % 3 == 0);
  }
  auto train = [&](int threadCount, uint64_t* firstStepPoolRuns = nullptr) {
    setThreads(threadCount);
    auto model = sequentialModel({layer("Embedding", {{"inputDim", vocab}, {"outputDim", 48}, {"inputShape", {steps}}}),
                                  layer("GlobalAveragePooling1D", Json::object()),
                                  layer("Dense", {{"units", 1}, {"activation", "sigmoid"}})},
                                 "bag", 5);
    model->compile({{"optimizer", {{"type", "adam"}, {"learningRate", 0.01}}}, {"loss", "binaryCrossentropy"}});
    EXPECT_GE(model->countParams(), int64_t(1) << 17);
    const uint64_t before = threadPool().runs();
    model->trainOnBatch({tokens}, {labels});
    if (firstStepPoolRuns) *firstStepPoolRuns = threadPool().runs() - before;
    for (int step = 0; step < 3; ++step) model->trainOnBatch({tokens}, {labels});
    return weightsOf(*model);
  };
  const auto single = train(1);
  uint64_t poolRuns = 0;
  const auto dual = train(2, &poolRuns);
  EXPECT_EQ(poolRuns, 3u) << "forward, backward and the parted update";
  EXPECT_NE(single, dual) << "two threads ran unsharded";
  EXPECT_LT(maxRelativeDifference(single, dual), 1e-3f);
  setFixedShards(3);
  const auto one = train(1);
  EXPECT_EQ(train(2), one);
  EXPECT_EQ(train(3), one);
}

TEST_F(ParallelSharding, AShardsErrorLeavesTheWeightsAndTheModelUsable) {
  setThreads(2);
  const SequenceData d = sequenceData(16, 6, 3);
  auto model = attentionModel(0.0);
  model->trainOnBatch({d.tokens}, {d.binary});
  const auto before = weightsOf(*model);
  Tensor bad = d.tokens;
  bad[15 * 6] = 42.f;  // in the second shard
  try {
    model->trainOnBatch({bad}, {d.binary});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("42"), std::string::npos) << e.what();
  }
  EXPECT_EQ(weightsOf(*model), before);
  model->trainOnBatch({d.tokens}, {d.binary});
  EXPECT_NE(weightsOf(*model), before);
}

}  // namespace
}  // namespace attn::parallel_test
