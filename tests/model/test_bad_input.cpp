// Bad input at every entry point of the core: each case must throw attn::Error whose message
// names the culprit, and the same model must still train afterwards (no state left broken).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/check.h"
#include "core/random.h"
#include "layers/registry.h"
#include "model/fit_options.h"
#include "model/json_views.h"
#include "model/model.h"

namespace attn::bad_input_test {
namespace {

Json layer(const char* cls, Json config) { return Json{{"className", cls}, {"config", std::move(config)}}; }

Tensor filled(const Shape& s, float value) {
  Tensor t(s);
  t.fill(value);
  return t;
}

Tensor randomTensor(const Shape& s, uint64_t seed) {
  Rng rng(seed);
  Tensor t(s);
  for (int64_t i = 0; i < t.size(); ++i) t[i] = rng.normal();
  return t;
}

// Dense(4, tanh) -> Dense(1) on 3 features, Adam + MSE.
std::unique_ptr<Model> mlp() {
  auto model = sequentialModel({layer("Dense", {{"units", 4}, {"activation", "tanh"}, {"inputShape", {3}}}),
                                layer("Dense", {{"units", 1}})});
  model->compile({{"optimizer", "adam"}, {"loss", "mse"}});
  return model;
}

// Embedding(5 ids, 3) over 4 steps -> pooling -> Dense(2, softmax), sparse categorical CE.
std::unique_ptr<Model> embeddingModel() {
  auto model = sequentialModel({layer("Embedding", {{"inputDim", 5}, {"outputDim", 3}, {"inputShape", {4}}}),
                                layer("GlobalAveragePooling1D", Json::object()),
                                layer("Dense", {{"units", 2}, {"activation", "softmax"}})});
  model->compile({{"optimizer", "adam"}, {"loss", "sparseCategoricalCrossentropy"}, {"metrics", {"accuracy"}}});
  return model;
}

std::string errorOf(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("NOT attn::Error: ") + e.what();
  }
  return "(no error)";
}

struct Case {
  const char* name;
  std::function<void()> body;
  std::vector<const char*> expected;  // substrings of the message
};

// One fit of a few epochs; returns the first and last epoch's loss.
std::pair<double, double> trainBriefly(Model& model) {
  Tensor x = randomTensor(Shape{16, 3}, 5), y(Shape{16, 1});
  for (int i = 0; i < 16; ++i) y[i] = x[i * 3] - 0.5f * x[i * 3 + 1];
  FitOptions options;
  options.epochs = 150;
  options.batchSize = 8;
  options.seed = 3;
  History h = model.fit({x}, {y}, options);
  return {h.at("loss").front(), h.at("loss").back()};
}

TEST(BadInput, EveryEntryPointRejectsWithAClearMessageAndTheModelStillTrains) {
  auto model = mlp();
  auto ids = embeddingModel();
  auto uncompiled = sequentialModel({layer("Dense", {{"units", 1}, {"inputShape", {3}}})});
  const Tensor x = randomTensor(Shape{4, 3}, 1), y = randomTensor(Shape{4, 1}, 2);
  Tensor nanX = x, infY = y;
  nanX[5] = std::numeric_limits<float>::quiet_NaN();
  infY[2] = std::numeric_limits<float>::infinity();
  auto idsWith = [](float id) {
    Tensor t(Shape{2, 4});
    t[5] = id;
    return t;
  };
  const Tensor classes = filled(Shape{2}, 1.f);
  FitOptions defaults;

  const std::vector<Case> cases = {
      // ---- model construction and layer factories
      {"config not an object", [] { Model m(Json::array()); }, {"model: config must be"}},
      {"unknown model class", [] { Model m(Json{{"className", "Pipeline"}, {"config", Json::object()}}); },
       {"unknown model class 'Pipeline'"}},
      {"unknown layer type", [] { sequentialModel({layer("Conv9D", {{"inputShape", {3}}})}); },
       {"unknown layer type 'Conv9D'"}},
      {"unknown layer option", [] { sequentialModel({layer("Dense", {{"units", 3}, {"unit", 3}, {"inputShape", {3}}})}); },
       {"unknown option 'unit'"}},
      {"unknown activation", [] {
         sequentialModel({layer("Dense", {{"units", 3}, {"activation", "swish9"}, {"inputShape", {3}}})});
       }, {"unknown activation 'swish9'"}},
      {"negative units", [] { sequentialModel({layer("Dense", {{"units", -2}, {"inputShape", {3}}})}); },
       {"option 'units' must be a positive integer, got -2"}},
      {"units of the wrong type", [] { sequentialModel({layer("Dense", {{"units", "NaN"}, {"inputShape", {3}}})}); },
       {"option 'units' must be an integer", "\"NaN\""}},
      {"dropout rate out of range", [] {
         sequentialModel({layer("Dropout", {{"rate", 1.5}, {"inputShape", {3}}})});
       }, {"option 'rate'"}},
      {"zero-length input shape", [] { sequentialModel({layer("Dense", {{"units", 1}, {"inputShape", {0}}})}); },
       {"input shape must be an array of positive integers"}},
      {"missing input shape", [] { sequentialModel({layer("Dense", {{"units", 1}})}); }, {"needs an 'inputShape'"}},
      {"duplicate layer names", [] {
         sequentialModel({layer("Dense", {{"units", 1}, {"name", "d"}, {"inputShape", {3}}}),
                          layer("Dense", {{"units", 1}, {"name", "d"}})});
       }, {"the layer name 'd' is used twice"}},
      {"absurd input shape", [] {
         sequentialModel({layer("Dense", {{"units", 1}, {"inputShape", {100000, 100000}}})});
       }, {"values per sample, more than the limit"}},
      {"absurd layer output", [] {
         sequentialModel({layer("RepeatVector", {{"n", 1 << 30}, {"inputShape", {64}}})});
       }, {"repeat_vector_1: output shape", "more than the limit"}},
      {"reshape that cannot fit", [] {
         sequentialModel({layer("Reshape", {{"targetShape", {4, 4}}, {"inputShape", {6}}})});
       }, {"cannot reshape input of shape (None, 6)"}},
      {"reshape whose target overflows", [] {
         sequentialModel({layer("Reshape", {{"targetShape", {1 << 30, 1 << 30, 1 << 30}}, {"inputShape", {6}}})});
       }, {"cannot reshape"}},
      {"lstm on a 1-D input", [] { sequentialModel({layer("LSTM", {{"units", 2}, {"inputShape", {3}}})}); },
       {"lstm_1: expected input of shape (None, steps, features), got (None, 3)"}},
      {"symbolicBuild with a negative size", [] { symbolicBuild(*createLayer("dense", {{"units", 2}}), {{-3}}); },
       {"input sizes must be positive integers"}},
      {"apply with an unknown option", [] { layers::apply("dense", {{"units", 2}, {"bias", true}}, input({3})); },
       {"unknown option 'bias'"}},
      // ---- compile
      {"compile: unknown key", [&] { uncompiled->compile({{"loss", "mse"}, {"lr", 0.1}}); },
       {"compile: unknown option 'lr'"}},
      {"compile: no loss", [&] { uncompiled->compile({{"optimizer", "adam"}}); }, {"compile: 'loss' is required"}},
      {"compile: unknown loss", [&] { uncompiled->compile({{"loss", "hinge2"}}); }, {"unknown loss 'hinge2'"}},
      {"compile: unknown optimizer", [&] { uncompiled->compile({{"loss", "mse"}, {"optimizer", "adagrad9"}}); },
       {"unknown optimizer 'adagrad9'"}},
      {"compile: unknown optimizer option", [&] {
         uncompiled->compile({{"loss", "mse"}, {"optimizer", {{"type", "adam"}, {"lr", 0.1}}}});
       }, {"adam: unknown option 'lr'"}},
      {"compile: adam epsilon 0 (0/0 on zero gradients)", [&] {
         uncompiled->compile({{"loss", "mse"}, {"optimizer", {{"type", "adam"}, {"epsilon", 0}}}});
       }, {"option 'epsilon' must be > 0"}},
      {"compile: negative learning rate", [&] {
         uncompiled->compile({{"loss", "mse"}, {"optimizer", {{"type", "sgd"}, {"learningRate", -1}}}});
       }, {"option 'learningRate'"}},
      {"compile: unknown metric", [&] { uncompiled->compile({{"loss", "mse"}, {"metrics", {"f1"}}}); },
       {"unknown metric 'f1'"}},
      // ---- fit / trainOnBatch / evaluate / predict data
      {"fit before compile", [&] { uncompiled->fit({x}, {y}); }, {"fit: the model must be compiled first"}},
      {"trainOnBatch before compile", [&] { uncompiled->trainOnBatch({x}, {y}); },
       {"trainOnBatch: the model must be compiled first"}},
      {"fit: wrong input shape", [&] { model->fit({randomTensor(Shape{4, 2}, 1)}, {y}); },
       {"fit: input 0", "expected shape (None, 3), got (4, 2)"}},
      {"fit: wrong number of inputs", [&] { model->fit({x, x}, {y}); }, {"the model has 1 input, got 2 input tensors"}},
      {"fit: samples disagree", [&] { model->fit({x}, {randomTensor(Shape{3, 1}, 1)}); },
       {"need the same number of samples"}},
      {"fit: empty data set", [&] { model->fit({Tensor(Shape{0, 3})}, {Tensor(Shape{0, 1})}); },
       {"fit: no samples"}},
      {"fit: NaN in inputs", [&] { model->fit({nanX}, {y}); }, {"fit: input 0 contains NaN at sample 1"}},
      {"fit: Infinity in targets", [&] { model->fit({x}, {infY}); }, {"fit: target 0 contains Infinity at sample 2"}},
      {"fit: validation data with NaN", [&] {
         FitOptions o;
         o.validationXs = {nanX};
         o.validationYs = {y};
         model->fit({x}, {y}, o);
       }, {"fit (validationData): input 0 contains NaN"}},
      {"fit: validationSplit leaves nothing to train on", [&] {
         FitOptions o;
         o.validationSplit = 0.5;
         model->fit({randomTensor(Shape{1, 3}, 1)}, {randomTensor(Shape{1, 1}, 1)}, o);
       }, {"validationSplit 0.5 of 1 samples"}},
      {"fit: epochs 0", [&] {
         FitOptions o;
         o.epochs = 0;
         model->fit({x}, {y}, o);
       }, {"fit: option 'epochs' must be a positive integer, got 0"}},
      {"fit options: unknown key", [] { parseFitOptions({{"epoch", 3}}); }, {"fit: unknown option 'epoch'"}},
      {"fit options: negative batch size", [] { parseFitOptions({{"batchSize", -1}}); },
       {"fit: option 'batchSize' must be a positive integer"}},
      {"fit options: validationSplit 1.5", [] { parseFitOptions({{"validationSplit", 1.5}}); },
       {"fit: option 'validationSplit' must be in [0, 1), got 1.5"}},
      {"fit options: negative seed", [] { parseFitOptions({{"seed", -4}}); },
       {"fit: option 'seed' must be a non-negative integer"}},
      {"fit options: NaN sent as a string", [] { parseFitOptions({{"epochs", "NaN"}}); },
       {"fit: option 'epochs' must be an integer"}},
      {"predict: batchSize 0", [&] { model->predict({x}, 0); }, {"predict: batchSize must be >= 1, got 0"}},
      {"predict options: unknown key", [] { parseRunOptions({{"batchsize", 4}}, "predict"); },
       {"predict: unknown option 'batchsize'"}},
      {"predict: NaN in inputs", [&] { model->predict({nanX}); }, {"predict: input 0 contains NaN"}},
      {"evaluate: wrong target shape", [&] { model->evaluate({x}, {randomTensor(Shape{4, 2}, 1)}); },
       {"evaluate: target 0", "expected shape (None, 1), got (4, 2)"}},
      {"token id >= inputDim", [&] { ids->predict({idsWith(5.f)}); }, {"expected integer ids in [0, 5), got 5"}},
      {"negative token id", [&] { ids->predict({idsWith(-1.f)}); }, {"expected integer ids in [0, 5), got -1"}},
      {"fractional token id", [&] { ids->trainOnBatch({idsWith(1.5f)}, {classes}); },
       {"expected integer ids in [0, 5), got 1.5"}},
      {"class id out of range", [&] { ids->trainOnBatch({idsWith(1.f)}, {filled(Shape{2}, 2.f)}); },
       {"trainOnBatch: target 0", "not a class id in [0, 2)"}},
      // ---- looking inside
      {"getAttention without attention layers", [&] { model->getAttention({x}); },
       {"getAttention: the model has no attention layer"}},
      {"getAttention of an unknown layer", [&] { model->getAttention({x}, "attn"); },
       {"getAttention: no layer named 'attn'"}},
      {"getActivations of an unknown layer", [&] { model->getActivations({x}, "nope"); },
       {"getActivations: no layer named 'nope'"}},
      {"getActivations output out of range", [&] { model->getActivations({x}, "dense_1", 3); },
       {"dense_1 has 1 output, not output 3"}},
      {"setWeights: wrong count", [&] { model->setWeights({}); }, {"setWeights: the model has 4 weights, got 0"}},
      {"setWeights: wrong shape", [&] {
         auto w = model->getWeights();
         w[0].value = Tensor(Shape{4, 3});
         model->setWeights(w);
       }, {"setWeights: weight 0 (dense_1/kernel) expected shape (3, 4), got (4, 3)"}},
      {"setWeights: NaN", [&] {
         auto w = model->getWeights();
         w[1].value[2] = std::numeric_limits<float>::quiet_NaN();
         model->setWeights(w);
       }, {"setWeights: weight 1 (dense_1/bias) contains NaN at index 2"}},
  };
  ASSERT_GE(cases.size(), 40u);
  const auto before = model->getWeights();
  for (const Case& c : cases) {
    const std::string message = errorOf(c.body);
    // Only attn::Error counts: a json exception or bad_alloc with a matching text is a failure.
    EXPECT_EQ(message.rfind("NOT attn::Error", 0), std::string::npos) << c.name << ": " << message;
    EXPECT_NE(message, "(no error)") << c.name;
    for (const char* part : c.expected)
      EXPECT_NE(message.find(part), std::string::npos) << c.name << ": expected '" << part << "' in: " << message;
  }
  // Failed calls changed nothing, and the model trains as if nothing happened.
  const auto after = model->getWeights();
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_EQ(std::memcmp(before[i].value.data(), after[i].value.data(), before[i].value.size() * sizeof(float)), 0);
  auto [first, last] = trainBriefly(*model);
  EXPECT_LT(last, first * 0.8);
  Tensor goodIds(Shape{2, 4});
  goodIds[1] = 4.f;
  EXPECT_EQ(ids->trainOnBatch({goodIds}, {classes}).names.front(), "loss");
}

TEST(BadInput, BatchLargerThanTheDataIsOneShortBatch) {
  auto model = mlp();
  FitOptions options;
  options.batchSize = 64;
  options.epochs = 2;
  auto session = model->beginFit({randomTensor(Shape{3, 3}, 1)}, {randomTensor(Shape{3, 1}, 2)}, options);
  EXPECT_EQ(session->batchesPerEpoch(), 1);
  int steps = 0;
  while (!session->done()) {
    session->step();
    ++steps;
  }
  EXPECT_EQ(steps, 2);
  EXPECT_EQ(session->history().epochs(), 2);
  EXPECT_TRUE(std::isfinite(session->history().at("loss").back()));
}

// A loss that overflows in the second batch: fit stops naming epoch 0, batch 1, and the weights
// are those the first batch left.
TEST(BadInput, NonFiniteLossStopsFitBeforeTheUpdate) {
  auto model = sequentialModel({layer("Dense", {{"units", 1}, {"useBias", false}, {"inputShape", {1}}})});
  model->compile({{"optimizer", "sgd"}, {"loss", "mse"}});
  auto w = model->getWeights();
  w[0].value[0] = 1e15f;
  model->setWeights(w);
  Tensor x(Shape{4, 1}), y(Shape{4, 1});
  x[0] = x[1] = 1.f;
  x[2] = x[3] = 1e20f;  // batch 1: 1e35 predictions, gradients past float range
  FitOptions options;
  options.batchSize = 2;
  options.shuffle = false;
  options.epochs = 3;
  std::vector<NamedTensor> afterFirstBatch;
  options.callbacks.onBatchEnd = [&](int batch, const Logs&) {
    if (batch == 0) afterFirstBatch = model->getWeights();
  };
  const std::string message = errorOf([&] { model->fit({x}, {y}, options); });
  EXPECT_NE(message.find("fit: the "), std::string::npos) << message;
  EXPECT_NE(message.find("at epoch 0, batch 1 (counted from 0)"), std::string::npos) << message;
  EXPECT_NE(message.find("weights are those from before that batch"), std::string::npos) << message;
  ASSERT_EQ(afterFirstBatch.size(), 1u);
  EXPECT_EQ(model->getWeights()[0].value[0], afterFirstBatch[0].value[0]);
  EXPECT_TRUE(std::isfinite(model->getWeights()[0].value[0]));
}

// Infinity entering batch normalization: the loss is NaN, and the moving statistics the forward
// pass had already updated are restored along with the (untouched) weights.
TEST(BadInput, NonFiniteLossRestoresMovingStatistics) {
  auto model = sequentialModel({layer("Dense", {{"units", 2}, {"inputShape", {2}}}),
                                layer("BatchNormalization", Json::object()), layer("Dense", {{"units", 1}})});
  model->compile({{"optimizer", "adam"}, {"loss", "mse"}});
  auto w = model->getWeights();
  for (auto& t : w)
    if (t.name == "dense_1/kernel") t.value.fill(1e30f);
  model->setWeights(w);
  const auto before = model->getWeights();
  Tensor x = filled(Shape{4, 2}, 1e10f), y(Shape{4, 1});
  const std::string message = errorOf([&] { model->trainOnBatch({x}, {y}); });
  EXPECT_NE(message.find("trainOnBatch: the loss became NaN; the weights were left unchanged"), std::string::npos)
      << message;
  const auto after = model->getWeights();
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_EQ(std::memcmp(before[i].value.data(), after[i].value.data(), before[i].value.size() * sizeof(float)), 0)
        << before[i].name;
  // Sane weights again: training works.
  for (auto& t : w)
    if (t.name == "dense_1/kernel") t.value.fill(0.1f);
  model->setWeights(w);
  EXPECT_TRUE(std::isfinite(model->trainOnBatch({filled(Shape{4, 2}, 1.f)}, {y}).at("loss")));
}

// A finite loss whose gradient overflows: the gradient check (not the loss check) stops the
// step, names the parameter, and leaves the weights as they were.
TEST(BadInput, NonFiniteGradientWithAFiniteLossNamesTheParameter) {
  auto model = sequentialModel({layer("Dense", {{"units", 1}, {"useBias", false}, {"inputShape", {1}}})});
  model->compile({{"optimizer", "sgd"}, {"loss", "mse"}});
  auto w = model->getWeights();
  w[0].value[0] = 1e-37f;
  model->setWeights(w);
  // Prediction 10, loss 100; dLoss/dkernel = 2 * 10 * 1e38, past float range.
  const Tensor x = filled(Shape{1, 1}, 1e38f), y(Shape{1, 1});
  const std::string message = errorOf([&] { model->trainOnBatch({x}, {y}); });
  EXPECT_NE(message.find("trainOnBatch: the gradient became Infinity in " + w[0].name + "; the weights were left unchanged"),
            std::string::npos)
      << message;
  EXPECT_EQ(model->getWeights()[0].value[0], 1e-37f);
}

TEST(BadInput, AFailedFitSessionEndsAndTheModelFitsAgain) {
  auto model = mlp();
  Tensor x = randomTensor(Shape{8, 3}, 1), y = randomTensor(Shape{8, 1}, 2);
  auto session = model->beginFit({x}, {y});
  model->compile({{"optimizer", "adam"}, {"loss", "mse"}});  // a second compile invalidates the session
  EXPECT_NE(errorOf([&] { session->step(); }).find("compiled again during fit"), std::string::npos);
  EXPECT_TRUE(session->done());
  EXPECT_TRUE(session->step().done);
  EXPECT_EQ(model->fit({x}, {y}).epochs(), 1);
}

}  // namespace
}  // namespace attn::bad_input_test
