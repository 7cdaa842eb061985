#include <gtest/gtest.h>

#include <cmath>

#include "core/check.h"
#include "core/random.h"
#include "model/fit_options.h"
#include "model/model.h"

namespace attn::model_test {
namespace {

Json dense(int units, const char* activation = "linear", Json extra = Json::object()) {
  Json config = extra;
  config["units"] = units;
  config["activation"] = activation;
  return Json{{"className", "Dense"}, {"config", config}};
}

std::unique_ptr<Model> binaryClassifier(uint64_t seed = 1) {
  return sequentialModel({dense(16, "relu", {{"inputShape", {4}}}), dense(1, "sigmoid")}, "sequential", seed);
}

// x ~ U(-1, 1)^(N x 4); y = [x0 + x1 - x2 > 0].
void binaryTask(int n, Tensor& x, Tensor& y, uint64_t seed = 11) {
  Rng rng(seed);
  x = Tensor(Shape{n, 4});
  y = Tensor(Shape{n, 1});
  for (int i = 0; i < n; ++i) {
    for (int d = 0; d < 4; ++d) x[i * 4 + d] = rng.uniform(-1.f, 1.f);
    y[i] = x[i * 4] + x[i * 4 + 1] - x[i * 4 + 2] > 0.f ? 1.f : 0.f;
  }
}

template <class Fn>
std::string errorOf(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// ---- learning -------------------------------------------------------------------------------------

TEST(Model, SequentialLearnsABinaryTask) {
  auto model = binaryClassifier();
  model->compile({{"optimizer", {{"type", "adam"}, {"learningRate", 0.01}}},
                  {"loss", "binaryCrossentropy"},
                  {"metrics", {"accuracy"}}});
  Tensor x, y;
  binaryTask(256, x, y);
  FitOptions options;
  options.epochs = 25;
  options.seed = 3;
  History h = model->fit({x}, {y}, options);
  ASSERT_EQ(h.epochs(), 25);
  const auto& loss = h.at("loss");
  EXPECT_LT(loss.back(), 0.5 * loss.front());
  EXPECT_GT(h.at("accuracy").back(), 0.9);
  Logs logs = model->evaluate({x}, {y});
  EXPECT_GT(logs.at("accuracy"), 0.9);
  EXPECT_NEAR(logs.at("loss"), loss.back(), 0.1);
}

TEST(Model, FunctionalFanOutAndMergeLearns) {
  auto x = input({3});
  auto a = layers::apply("dense", {{"units", 8}, {"activation", "tanh"}}, x);
  auto b = layers::apply("dense", {{"units", 8}, {"activation", "tanh"}}, x);
  auto sum = layers::apply("testAdd", Json::object(), {a, b});
  auto out = layers::apply("dense", {{"units", 1}}, sum);
  auto model = functionalModel({x}, {out});
  model->compile({{"optimizer", {{"type", "adam"}, {"learningRate", 0.02}}}, {"loss", "mse"}});
  Rng rng(4);
  Tensor xs(Shape{200, 3}), ys(Shape{200, 1});
  for (int i = 0; i < 200; ++i) {
    for (int d = 0; d < 3; ++d) xs[i * 3 + d] = rng.uniform(-1.f, 1.f);
    ys[i] = xs[i * 3] * xs[i * 3 + 1] + 0.5f * xs[i * 3 + 2];
  }
  FitOptions options;
  options.epochs = 30;
  options.seed = 1;
  History h = model->fit({xs}, {ys}, options);
  EXPECT_LT(h.at("loss").back(), 0.3 * h.at("loss").front());
}

TEST(Model, TwoOutputsReportKerasKeys) {
  auto x = input({4}, "features");
  auto h = layers::apply("dense", {{"units", 8}, {"activation", "tanh"}}, x);
  auto reg = layers::apply("dense", {{"units", 1}, {"name", "reg"}}, h);
  auto cls = layers::apply("dense", {{"units", 3}, {"activation", "softmax"}, {"name", "cls"}}, h);
  auto model = functionalModel({x}, {reg, cls});
  model->compile({{"optimizer", "adam"}, {"loss", {"mse", "sparseCategoricalCrossentropy"}}, {"metrics", {"accuracy"}}});
  Tensor xs, yb;
  binaryTask(64, xs, yb);
  Tensor ids(Shape{64});
  for (int i = 0; i < 64; ++i) ids[i] = static_cast<float>(i % 3);
  FitOptions options;
  options.epochs = 2;
  options.validationSplit = 0.25;
  History history = model->fit({xs}, {yb, ids}, options);
  EXPECT_EQ(history.keys, (std::vector<std::string>{"loss", "reg_loss", "cls_loss", "reg_accuracy", "cls_accuracy",
                                                    "val_loss", "val_reg_loss", "val_cls_loss", "val_reg_accuracy",
                                                    "val_cls_accuracy"}));
  // Losses keyed by output name compile to the same configuration.
  auto keyed = functionalModel({x}, {reg, cls});
  keyed->compile({{"optimizer", "adam"}, {"loss", {{"cls", "sparseCategoricalCrossentropy"}, {"reg", "mse"}}},
                  {"metrics", {"accuracy"}}});
  EXPECT_EQ(keyed->compileConfig(), model->compileConfig());
  EXPECT_EQ(errorOf([&] { keyed->compile({{"loss", {{"reg", "mse"}}}}); }),
            "compile: 'loss' has no loss name for output 'cls'");
  // The total is the sum of the outputs' losses (no regularizers here).
  EXPECT_NEAR(history.at("val_loss")[1], history.at("val_reg_loss")[1] + history.at("val_cls_loss")[1], 1e-5);
  auto predictions = model->predict({xs});
  ASSERT_EQ(predictions.size(), 2u);
  EXPECT_EQ(predictions[1].shape(), (Shape{64, 3}));
}

// ---- gradients through the whole graph --------------------------------------------------------------
// With plain SGD at learning rate 1 one trainOnBatch moves every weight by exactly -dLoss/dw, which
// is compared with central differences of evaluate()'s loss.
void expectModelGradients(Model& model, const std::vector<Tensor>& xs, const std::vector<Tensor>& ys) {
  const auto before = model.getWeights();
  model.trainOnBatch(xs, ys);
  const auto after = model.getWeights();
  model.setWeights(before);
  const int samples = xs[0].dim(0);
  auto weights = before;
  const float eps = 2e-3f;
  for (size_t w = 0; w < weights.size(); ++w) {
    Tensor& value = weights[w].value;
    for (int64_t i = 0; i < value.size(); i += std::max<int64_t>(1, value.size() / 12)) {
      const float saved = value[i];
      value[i] = saved + eps;
      model.setWeights(weights);
      const double plus = model.evaluate(xs, ys, samples).at("loss");
      value[i] = saved - eps;
      model.setWeights(weights);
      const double minus = model.evaluate(xs, ys, samples).at("loss");
      value[i] = saved;
      const double numeric = (plus - minus) / (2 * eps);
      const double analytic = double(before[w].value[i]) - after[w].value[i];
      EXPECT_NEAR(analytic, numeric, 2e-3 + 3e-2 * std::fabs(numeric)) << weights[w].name << "[" << i << "]";
    }
  }
  model.setWeights(before);
}

const Json kSgdOne = {{"type", "sgd"}, {"learningRate", 1.0}};

TEST(ModelGradients, FusedSigmoidBinaryCrossentropy) {
  auto model = binaryClassifier();
  model->compile({{"optimizer", kSgdOne}, {"loss", "binaryCrossentropy"}});
  Tensor x, y;
  binaryTask(8, x, y);
  expectModelGradients(*model, {x}, {y});
}

TEST(ModelGradients, FusedSoftmaxCategoricalAndSparse) {
  for (const char* loss : {"categoricalCrossentropy", "sparseCategoricalCrossentropy"}) {
    SCOPED_TRACE(loss);
    auto model = sequentialModel({dense(5, "tanh", {{"inputShape", {2, 3}}}), dense(4, "softmax")});
    model->compile({{"optimizer", kSgdOne}, {"loss", loss}});
    Rng rng(8);
    Tensor x(Shape{3, 2, 3});
    for (int64_t i = 0; i < x.size(); ++i) x[i] = rng.normal();
    const bool sparse = std::string(loss).rfind("sparse", 0) == 0;
    Tensor y = sparse ? Tensor(Shape{3, 2}) : Tensor(Shape{3, 2, 4});
    for (int r = 0; r < 6; ++r) {
      const int id = static_cast<int>(rng.below(4));
      if (sparse) y[r] = static_cast<float>(id);
      else y[r * 4 + id] = 1.f;
    }
    expectModelGradients(*model, {x}, {y});
  }
}

TEST(ModelGradients, FanOutAccumulatesAndTwoOutputsSum) {
  auto x = input({3});
  auto h = layers::apply("dense", {{"units", 4}, {"activation", "tanh"}}, x);
  auto a = layers::apply("dense", {{"units", 4}, {"activation", "sigmoid"}}, h);
  auto merged = layers::apply("testAdd", Json::object(), {h, a});
  auto out1 = layers::apply("dense", {{"units", 2}, {"kernelRegularizer", {{"l2", 0.1}}}}, merged);
  // out2 is a sigmoid output that is also read by nobody else: fused with binary cross-entropy.
  auto out2 = layers::apply("dense", {{"units", 1}, {"activation", "sigmoid"}}, h);
  auto model = functionalModel({x}, {out1, out2});
  model->compile({{"optimizer", kSgdOne}, {"loss", {"mae", "binaryCrossentropy"}}});
  Rng rng(9);
  Tensor xs(Shape{5, 3}), y1(Shape{5, 2}), y2(Shape{5, 1});
  for (int64_t i = 0; i < xs.size(); ++i) xs[i] = rng.normal();
  for (int64_t i = 0; i < y1.size(); ++i) y1[i] = rng.normal();
  for (int64_t i = 0; i < y2.size(); ++i) y2[i] = static_cast<float>(rng.below(2));
  expectModelGradients(*model, {xs}, {y1, y2});
}

TEST(ModelGradients, FusionKeepsGradientsOfSaturatedSigmoids) {
  // A sigmoid saturated at the wrong answer: clipped probabilities would give no gradient; the fused
  // loss gives dLoss/dz = sigmoid(z) - y = 1 and the weights move.
  auto model = sequentialModel(
      {dense(1, "sigmoid", {{"inputShape", {1}}, {"kernelInitializer", {{"type", "constant"}, {"value", 100.0}}}})});
  model->compile({{"optimizer", kSgdOne}, {"loss", "binaryCrossentropy"}});
  Tensor x(Shape{1, 1}, {1.f}), y(Shape{1, 1}, {0.f});
  model->trainOnBatch({x}, {y});
  EXPECT_NEAR(model->getWeights()[0].value[0], 99.f, 1e-4);
}

TEST(Model, MaskedStepsDoNotCountInTheLoss) {
  auto model = sequentialModel({Json{{"className", "TestMaskZero"}, {"config", {{"inputShape", {3, 2}}}}},
                                dense(1, "linear", {{"kernelInitializer", "ones"}})});
  model->compile({{"optimizer", "sgd"}, {"loss", "mse"}});
  // Step 2 of sample 0 is padding (x[..., 0] == 0) with a wild target.
  Tensor x(Shape{1, 3, 2}, {1.f, 1.f, 2.f, 0.f, 0.f, 5.f});
  Tensor y(Shape{1, 3, 1}, {0.f, 0.f, 1000.f});
  // predictions (sum of the features): 2, 2 -> mean of 4, 4
  EXPECT_NEAR(model->evaluate({x}, {y}).at("loss"), 4.0, 1e-5);
}

// ---- fit mechanics ------------------------------------------------------------------------------

TEST(Fit, ValidationSplitAndValidationData) {
  auto model = binaryClassifier();
  model->compile({{"optimizer", "adam"}, {"loss", "binaryCrossentropy"}, {"metrics", {"accuracy"}}});
  Tensor x, y;
  binaryTask(50, x, y);
  FitOptions options;
  options.epochs = 2;
  options.batchSize = 8;
  options.validationSplit = 0.2;
  auto session = model->beginFit({x}, {y}, options);
  EXPECT_EQ(session->trainSamples(), 40);
  EXPECT_EQ(session->validationSamples(), 10);
  EXPECT_EQ(session->batchesPerEpoch(), 5);
  History h = model->fit({x}, {y}, options);
  EXPECT_EQ(h.keys, (std::vector<std::string>{"loss", "accuracy", "val_loss", "val_accuracy"}));
  // The validation metrics are those of the last 10 samples after the epoch.
  Tensor xv(Shape{10, 4}), yv(Shape{10, 1});
  std::memcpy(xv.data(), x.data() + 40 * 4, 40 * sizeof(float));
  std::memcpy(yv.data(), y.data() + 40, 10 * sizeof(float));
  EXPECT_NEAR(h.at("val_loss").back(), model->evaluate({xv}, {yv}).at("loss"), 1e-6);

  FitOptions withData;
  withData.epochs = 1;
  withData.validationXs = {xv};
  withData.validationYs = {yv};
  History h2 = model->fit({x}, {y}, withData);
  EXPECT_TRUE(h2.has("val_accuracy"));
  EXPECT_NEAR(h2.at("val_loss")[0], model->evaluate({xv}, {yv}).at("loss"), 1e-6);
}

TEST(Fit, SessionStepsReportProgress) {
  auto model = binaryClassifier();
  model->compile({{"optimizer", "sgd"}, {"loss", "binaryCrossentropy"}});
  Tensor x, y;
  binaryTask(10, x, y);
  FitOptions options;
  options.epochs = 2;
  options.batchSize = 4;
  auto session = model->beginFit({x}, {y}, options);
  std::vector<std::pair<int, int>> seen;
  int epochEnds = 0;
  while (!session->done()) {
    FitProgress p = session->step();
    EXPECT_EQ(p.batchesPerEpoch, 3);
    EXPECT_TRUE(std::isfinite(p.batchLoss));
    seen.push_back({p.epoch, p.batch});
    EXPECT_EQ(p.epochEnded, p.batch == 2);
    if (p.epochEnded) {
      ++epochEnds;
      ASSERT_NE(p.epochLogs, nullptr);
      EXPECT_EQ(p.epochLogs->at("loss"), session->history().at("loss").back());
    }
    EXPECT_EQ(p.done, p.epoch == 1 && p.batch == 2);
  }
  EXPECT_EQ(seen, (std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}}));
  EXPECT_EQ(epochEnds, 2);
  EXPECT_TRUE(session->step().done);
  // The epoch loss is the batch-size-weighted mean of the batch losses.
  auto again = binaryClassifier();
  again->compile({{"optimizer", "sgd"}, {"loss", "binaryCrossentropy"}});
  options.epochs = 1;
  auto s2 = again->beginFit({x}, {y}, options);
  double weighted = 0;
  FitProgress p;
  for (int b = 0; b < 3; ++b) {
    p = s2->step();
    weighted += p.batchLoss * (b < 2 ? 4 : 2);
  }
  EXPECT_NEAR(p.epochLogs->at("loss"), weighted / 10, 1e-9);
}

TEST(Fit, CallbacksAndStop) {
  auto model = binaryClassifier();
  model->compile({{"optimizer", "sgd"}, {"loss", "binaryCrossentropy"}});
  Tensor x, y;
  binaryTask(20, x, y);
  FitOptions options;
  options.epochs = 10;
  options.batchSize = 5;
  int batches = 0;
  std::vector<int> epochs;
  options.callbacks.onBatchEnd = [&](int, const Logs& logs) {
    ++batches;
    EXPECT_TRUE(logs.has("loss"));
  };
  options.callbacks.onEpochEnd = [&](int epoch, const Logs&) {
    epochs.push_back(epoch);
    if (epoch == 2) model->stopTraining = true;
  };
  History h = model->fit({x}, {y}, options);
  EXPECT_EQ(h.epochs(), 3);
  EXPECT_EQ(batches, 12);
  EXPECT_EQ(epochs, (std::vector<int>{0, 1, 2}));
  // A session stopped mid-epoch keeps only its completed epochs.
  auto session = model->beginFit({x}, {y}, options);
  for (int i = 0; i < 6; ++i) session->step();
  session->stop();
  EXPECT_TRUE(session->done());
  EXPECT_EQ(session->history().epochs(), 1);
}

TEST(Fit, SameSeedSameWeightsDifferentSeedDifferentWeights) {
  auto run = [](uint64_t fitSeed) {
    auto model = sequentialModel({dense(16, "relu", {{"inputShape", {4}}}),
                                  Json{{"className", "TestDropout"}, {"config", {{"rate", 0.3}}}}, dense(1, "sigmoid")},
                                 "sequential", 5);
    model->compile({{"optimizer", "adam"}, {"loss", "binaryCrossentropy"}});
    Tensor x, y;
    binaryTask(64, x, y);
    FitOptions options;
    options.epochs = 3;
    options.batchSize = 10;
    options.seed = fitSeed;
    model->fit({x}, {y}, options);
    return model->getWeights();
  };
  auto a = run(7), b = run(7), c = run(8);
  ASSERT_EQ(a.size(), b.size());
  bool differs = false;
  for (size_t w = 0; w < a.size(); ++w) {
    ASSERT_EQ(a[w].value.size(), b[w].value.size());
    EXPECT_EQ(std::memcmp(a[w].value.data(), b[w].value.data(), a[w].value.size() * sizeof(float)), 0) << a[w].name;
    differs = differs || std::memcmp(a[w].value.data(), c[w].value.data(), a[w].value.size() * sizeof(float)) != 0;
  }
  EXPECT_TRUE(differs);
}

// ---- description ----------------------------------------------------------------------------------

TEST(Model, SummaryAndParameterCounts) {
  auto model = sequentialModel({dense(64, "relu", {{"inputShape", {32}}}), dense(1)});
  EXPECT_EQ(model->countParams(), 32 * 64 + 64 + 64 + 1);
  const std::string expected =
      "Model: \"sequential\"\n"
      "_________________________________________________________________\n"
      " Layer (type)                Output Shape              Param #   \n"
      "=================================================================\n"
      " dense_1 (Dense)             (None, 64)                2112      \n"
      "                                                                 \n"
      " dense_2 (Dense)             (None, 1)                 65        \n"
      "                                                                 \n"
      "=================================================================\n"
      "Total params: 2,177\n"
      "Trainable params: 2,177\n"
      "Non-trainable params: 0\n"
      "_________________________________________________________________\n";
  EXPECT_EQ(model->summary(), expected);
  auto info = model->layers();
  ASSERT_EQ(info.size(), 2u);
  EXPECT_EQ(info[0].name, "dense_1");
  EXPECT_EQ(info[0].type, "Dense");
  EXPECT_EQ(info[0].outputShapes[0], (Shape{64}));
  EXPECT_EQ(info[1].params, 65);
}

TEST(Model, FunctionalSummaryHasConnections) {
  auto x = input({3});
  auto a = layers::apply("dense", {{"units", 2}}, x);
  auto b = layers::apply("dense", {{"units", 2}}, x);
  auto model = functionalModel({x}, {layers::apply("testAdd", {{"name", "a_rather_long_layer_name_to_wrap"}}, {a, b})});
  const std::string blank(98, ' ');
  const std::string expected =
      "Model: \"model\"\n" + std::string(98, '_') + "\n" +
      " Layer (type)                   Output Shape         Param #     Connected to                     \n" +
      std::string(98, '=') + "\n" +
      " input_1 (InputLayer)           [(None, 3)]          0           []                               \n" + blank + "\n" +
      " dense_1 (Dense)                (None, 2)            8           ['input_1[0][0]']                \n" + blank + "\n" +
      " dense_2 (Dense)                (None, 2)            8           ['input_1[0][0]']                \n" + blank + "\n" +
      // Keras cuts the first column at 30 characters and then overflows it by one (its quirk).
      " a_rather_long_layer_name_to_wr  (None, 2)           0           ['dense_1[0][0]',                \n" +
      " ap (TestAdd)                                                     'dense_2[0][0]']                \n" + blank + "\n" +
      std::string(98, '=') + "\n" +
      "Total params: 16\nTrainable params: 16\nNon-trainable params: 0\n" + std::string(98, '_') + "\n";
  EXPECT_EQ(model->summary(), expected);
  EXPECT_EQ(model->layers().size(), 4u);
}

TEST(Model, DefaultNamesAndConfigRoundTrip) {
  auto model = sequentialModel({dense(3, "relu", {{"inputShape", {2}}}), dense(3, "linear", {{"name", "dense_2"}}),
                                dense(1)});
  auto info = model->layers();
  // The explicit dense_2 is skipped by the numbering.
  EXPECT_EQ(info[0].name, "dense_1");
  EXPECT_EQ(info[1].name, "dense_2");
  EXPECT_EQ(info[2].name, "dense_3");
  Json config = model->toConfig();
  EXPECT_EQ(config["config"]["layers"][0]["config"]["inputShape"], Json::array({2}));
  Model copy(config, 99);
  EXPECT_EQ(copy.toConfig(), config);
  copy.setWeights(model->getWeights());
  Tensor x(Shape{2, 2}, {0.1f, 0.2f, -0.3f, 0.4f});
  auto p1 = model->predict({x}), p2 = copy.predict({x});
  EXPECT_EQ(std::memcmp(p1[0].data(), p2[0].data(), p1[0].size() * sizeof(float)), 0);
}

TEST(Model, BuilderProducesTheHandWrittenConfig) {
  auto x = input({4}, "x");
  auto h = layers::apply("dense", {{"units", 2}}, x);
  auto y = layers::apply("dense", {{"units", 1}, {"name", "out"}}, h);
  Json expected = Json::parse(R"({"className": "Model", "config": {"name": "model", "layers": [
      {"className": "InputLayer", "config": {"name": "x", "shape": [4]}, "inboundNodes": []},
      {"className": "Dense", "config": {"name": "dense_1", "units": 2}, "inboundNodes": [["x", 0]]},
      {"className": "Dense", "config": {"name": "out", "units": 1}, "inboundNodes": [["dense_1", 0]]}],
      "inputLayers": [["x", 0]], "outputLayers": [["out", 0]]}})");
  EXPECT_EQ(functionalConfig({x}, {y}), expected);
  Model model(expected);
  EXPECT_EQ(model.countParams(), 4 * 2 + 2 + 2 + 1);
  EXPECT_EQ(model.toConfig()["config"]["layers"][2]["inboundNodes"], Json::parse(R"([["dense_1", 0]])"));
}

// The JS API sends its recorded graph (nodes in any order) to the core, which orders, names and
// writes the config with the one rule the C++ builder uses.
TEST(Model, RecordedGraphGivesTheBuildersConfig) {
  auto x = input({4}, "x");
  auto h = layers::apply("dense", {{"units", 2}}, x);
  auto y = layers::apply("dense", {{"units", 1}, {"name", "out"}}, h);
  const Json graph = Json::parse(R"({"name": "model", "nodes": [
      {"className": "Dense", "config": {"units": 1, "name": "out"}, "inbound": [[2, 0]]},
      {"className": "InputLayer", "config": {"name": "x"}, "shape": [4]},
      {"className": "Dense", "config": {"units": 2}, "inbound": [[1, 0]]}],
      "inputs": [[1, 0]], "outputs": [[0, 0]]})");
  EXPECT_EQ(functionalConfig(graph), functionalConfig({x}, {y}));
  Json dangling = graph;
  dangling["nodes"][0]["inbound"] = Json::parse("[[7, 0]]");
  EXPECT_EQ(errorOf([&] { functionalConfig(dangling); }),
            "model: a graph reference must be [node index, output index], got [7,0]");
  Json unused = graph;
  unused["nodes"].push_back(Json::parse(R"({"className": "InputLayer", "config": {}, "shape": [4]})"));
  unused["inputs"].push_back(Json::parse("[3, 0]"));
  EXPECT_EQ(errorOf([&] { functionalConfig(unused); }),
            "model: every input must be an input() that the outputs depend on");
}

TEST(Model, GetActivationsOfANamedLayer) {
  auto model = sequentialModel({dense(3, "relu", {{"inputShape", {2}}, {"name", "hidden"}}), dense(1)});
  Tensor x(Shape{5, 2});
  Rng rng(2);
  for (int64_t i = 0; i < x.size(); ++i) x[i] = rng.normal();
  Tensor h = model->getActivations({x}, "hidden", 0, 2);
  ASSERT_EQ(h.shape(), (Shape{5, 3}));
  const auto w = model->getWeights();
  for (int s = 0; s < 5; ++s)
    for (int u = 0; u < 3; ++u) {
      double z = w[1].value[u];
      for (int d = 0; d < 2; ++d) z += double(x[s * 2 + d]) * w[0].value[d * 3 + u];
      EXPECT_NEAR(h[s * 3 + u], std::max(0.0, z), 1e-5);
    }
  EXPECT_EQ(errorOf([&] { model->getActivations({x}, "nope"); }), "getActivations: no layer named 'nope'");
  EXPECT_EQ(errorOf([&] { model->getAttention({x}); }), "getAttention: the model has no attention layer");
}

TEST(Model, WeightsRoundTripAndErrors) {
  auto model = binaryClassifier();
  auto weights = model->getWeights();
  ASSERT_EQ(weights.size(), 4u);
  EXPECT_EQ(weights[0].name, "dense_1/kernel");
  EXPECT_EQ(weights[0].value.shape(), (Shape{4, 16}));
  EXPECT_EQ(weights[3].name, "dense_2/bias");
  for (auto& w : weights)
    for (int64_t i = 0; i < w.value.size(); ++i) w.value[i] = 0.25f * i;
  model->setWeights(weights);
  auto back = model->getWeights();
  for (size_t w = 0; w < weights.size(); ++w)
    EXPECT_EQ(std::memcmp(back[w].value.data(), weights[w].value.data(), weights[w].value.size() * 4), 0);
  auto fewer = weights;
  fewer.pop_back();
  EXPECT_EQ(errorOf([&] { model->setWeights(fewer); }), "setWeights: the model has 4 weights, got 3");
  auto wrong = weights;
  wrong[1].value = Tensor(Shape{15});
  EXPECT_EQ(errorOf([&] { model->setWeights(wrong); }),
            "setWeights: weight 1 (dense_1/bias) expected shape (16,), got (15,)");
}

TEST(Model, GetAttentionConcatenatesBatches) {
  auto x = input({4, 2});
  auto c = layers::apply("testAttention", {{"name", "attn"}}, x);
  auto model = functionalModel({x}, {layers::apply("dense", {{"units", 1}}, c)});
  Tensor xs(Shape{5, 4, 2});
  Rng rng(6);
  for (int64_t i = 0; i < xs.size(); ++i) xs[i] = rng.normal();
  Tensor a = model->getAttention({xs}, "", 2);  // batches of 2, 2, 1
  ASSERT_EQ(a.shape(), (Shape{5, 4}));
  for (int s = 0; s < 5; ++s) {
    double total = 0;
    for (int t = 0; t < 4; ++t) total += std::exp(double(xs[(s * 4 + t) * 2]));
    for (int t = 0; t < 4; ++t) EXPECT_NEAR(a[s * 4 + t], std::exp(double(xs[(s * 4 + t) * 2])) / total, 1e-6);
  }
  Tensor named = model->getAttention({xs}, "attn");
  EXPECT_EQ(std::memcmp(named.data(), a.data(), a.size() * sizeof(float)), 0);
  EXPECT_EQ(errorOf([&] { model->getAttention({xs}, "dense_1"); }),
            "getAttention: dense_1 (Dense) has no attention weights");
  auto y = input({4, 2});
  auto first = layers::apply("testAttention", {{"name", "a1"}}, y);
  auto second = layers::apply("testAttention", {{"name", "a2"}}, y);
  auto two = functionalModel({y}, {first, second});
  EXPECT_EQ(errorOf([&] { two->getAttention({xs}); }),
            "getAttention: the model has several attention layers (a1, a2): pass a layer name");
}

TEST(Model, TwoInputsAndKerasStyleReferences) {
  // Keras' own serialization nests inbound references per call: [[[name, node, tensor, {}], ...]].
  Json config = Json::parse(R"({"className": "Model", "config": {"name": "pair", "layers": [
      {"className": "InputLayer", "config": {"name": "a", "batchInputShape": [null, 3]}, "inboundNodes": []},
      {"className": "InputLayer", "config": {"name": "b", "batchInputShape": [null, 3]}, "inboundNodes": []},
      {"className": "TestAdd", "config": {"name": "sum"}, "inboundNodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]},
      {"className": "Dense", "config": {"name": "out", "units": 1, "kernelInitializer": "ones"},
       "inboundNodes": [[["sum", 0, 0, {}]]]}],
      "inputLayers": [["a", 0, 0], ["b", 0, 0]], "outputLayers": [["out", 0, 0]]}})");
  Model model(config);
  EXPECT_EQ(model.inputCount(), 2);
  Tensor a(Shape{2, 3}, {1, 2, 3, 4, 5, 6}), b(Shape{2, 3}, {1, 1, 1, 0, 0, 0});
  Tensor p = model.predict({a, b})[0];
  EXPECT_FLOAT_EQ(p[0], 9.f);
  EXPECT_FLOAT_EQ(p[1], 15.f);
  EXPECT_EQ(errorOf([&] { model.predict({a, Tensor(Shape{3, 3})}); }),
            "predict: all inputs and targets need the same number of samples: input 0 has 2, input 1 has 3");
  // Training through two inputs.
  model.compile({{"optimizer", "sgd"}, {"loss", "mse"}});
  Tensor y(Shape{2, 1}, {0.f, 1.f});
  EXPECT_TRUE(std::isfinite(model.trainOnBatch({a, b}, {y}).at("loss")));
}

TEST(Fit, RecompilingDuringASessionIsRefused) {
  auto model = binaryClassifier();
  model->compile({{"optimizer", "sgd"}, {"loss", "binaryCrossentropy"}});
  Tensor x, y;
  binaryTask(8, x, y);
  FitOptions options;
  options.batchSize = 4;
  auto session = model->beginFit({x}, {y}, options);
  session->step();
  model->compile({{"optimizer", "sgd"}, {"loss", "binaryCrossentropy"}, {"metrics", {"accuracy", "mse"}}});
  EXPECT_EQ(errorOf([&] { session->step(); }), "fit: the model was compiled again during fit; start a new fit");
}

// ---- errors -------------------------------------------------------------------------------------

TEST(ModelErrors, BadDataIsReportedExactly) {
  auto model = binaryClassifier();
  Tensor x, y;
  binaryTask(4, x, y);
  EXPECT_EQ(errorOf([&] { model->fit({x}, {y}); }), "fit: the model must be compiled first (call compile)");
  model->compile({{"optimizer", "sgd"}, {"loss", "binaryCrossentropy"}});
  EXPECT_EQ(errorOf([&] { model->predict({Tensor(Shape{3, 5})}); }),
            "predict: input 0 (dense_1_input) expected shape (None, 4), got (3, 5)");
  EXPECT_EQ(errorOf([&] { model->fit({x, x}, {y}); }), "fit: the model has 1 input, got 2 input tensors");
  EXPECT_EQ(errorOf([&] { model->fit({x}, {Tensor(Shape{3, 1})}); }),
            "fit: all inputs and targets need the same number of samples: input 0 has 4, target 0 has 3");
  EXPECT_EQ(errorOf([&] { model->fit({x}, {Tensor(Shape{4, 2})}); }),
            "fit: target 0 (dense_2) expected shape (None, 1), got (4, 2)");
  Tensor nan = x;
  nan[9] = std::nanf("");
  EXPECT_EQ(errorOf([&] { model->fit({nan}, {y}); }), "fit: input 0 contains NaN at sample 2");
  Tensor inf = y;
  inf[1] = INFINITY;
  EXPECT_EQ(errorOf([&] { model->trainOnBatch({x}, {inf}); }), "trainOnBatch: target 0 contains Infinity at sample 1");
  FitOptions zeroBatch;
  zeroBatch.batchSize = 0;
  EXPECT_EQ(errorOf([&] { model->fit({x}, {y}, zeroBatch); }), "fit: option 'batchSize' must be a positive integer, got 0");
  EXPECT_EQ(errorOf([&] { model->fit({Tensor(Shape{0, 4})}, {Tensor(Shape{0, 1})}); }),
            "fit: no samples (the inputs have 0 rows)");
  EXPECT_EQ(errorOf([&] { model->predict({x}, 0); }), "predict: batchSize must be >= 1, got 0");
  // One range for validationSplit, whether the options were parsed or built in C++.
  FitOptions wholeSplit;
  wholeSplit.validationSplit = 1.0;
  EXPECT_EQ(errorOf([&] { model->fit({x}, {y}, wholeSplit); }),
            "fit: option 'validationSplit' must be in [0, 1), got 1");
  EXPECT_EQ(errorOf([&] { parseFitOptions({{"validationSplit", 1.0}}); }),
            "fit: option 'validationSplit' must be in [0, 1), got 1");
  EXPECT_NO_THROW(parseFitOptions({{"validationSplit", 0.9995}}));
  FitOptions split;
  split.validationSplit = 0.9;
  EXPECT_EQ(errorOf([&] { model->fit({x}, {y}, split); }),
            "fit: validationSplit 0.9 of 4 samples leaves 0 for training and 4 for validation");
  // Sparse targets must be class ids.
  auto classifier = sequentialModel({dense(3, "softmax", {{"inputShape", {4}}})});
  classifier->compile({{"optimizer", "sgd"}, {"loss", "sparseCategoricalCrossentropy"}});
  Tensor ids(Shape{4}, {0.f, 1.f, 2.f, 3.f});
  EXPECT_EQ(errorOf([&] { classifier->fit({x}, {ids}); }),
            "fit: target 0 (dense_1) holds 3, not a class id in [0, 3)");
}

// The model seed has one default and one rule, in the core: JS sends its options here as they are.
TEST(ModelSeed, OneDefaultAndOneRule) {
  EXPECT_EQ(modelSeed(Json::object()), kDefaultModelSeed);
  EXPECT_EQ(modelSeed({{"seed", 0}}), 0u);
  EXPECT_EQ(modelSeed({{"seed", 9007199254740991.0}}), 9007199254740991ull);
  EXPECT_EQ(errorOf([] { modelSeed({{"seed", -1}}); }), "model: option 'seed' must be a non-negative integer, got -1");
  EXPECT_EQ(errorOf([] { modelSeed({{"seed", 1.5}}); }), "model: option 'seed' must be a non-negative integer, got 1.5");
  EXPECT_EQ(errorOf([] { modelSeed({{"seed", "NaN"}}); }),
            "model: option 'seed' must be a non-negative integer, got \"NaN\"");
  EXPECT_EQ(errorOf([] { modelSeed({{"sead", 1}}); }), "model: unknown option 'sead' (known: seed)");
  // fit's seed follows the same rule.
  EXPECT_EQ(errorOf([] { parseFitOptions({{"seed", 1.5}}); }), "fit: option 'seed' must be a non-negative integer, got 1.5");
}

TEST(ModelErrors, BadConfigsNameTheLayer) {
  EXPECT_EQ(errorOf([&] { sequentialModel({dense(2)}); }), "sequential: the first layer needs an 'inputShape' option");
  EXPECT_EQ(errorOf([&] {
              sequentialModel({dense(2, "relu", {{"inputShape", {3}}, {"name", "a"}}), dense(2, "relu", {{"name", "a"}})});
            }),
            "model: the layer name 'a' is used twice (layer names must be unique)");
  EXPECT_EQ(errorOf([&] {
              sequentialModel({Json{{"className", "Dense"}, {"config", {{"inputShape", {3}}, {"unit", 2}}}}});
            }).rfind("dense_1: option 'units' is required", 0),
            0u);
  Json unknownInbound = Json::parse(R"({"className": "Model", "config": {"layers": [
      {"className": "InputLayer", "config": {"name": "x", "shape": [4]}},
      {"className": "Dense", "config": {"units": 2}, "inboundNodes": [["nope", 0]]}],
      "inputLayers": [["x", 0]], "outputLayers": [["dense_1", 0]]}})");
  EXPECT_EQ(errorOf([&] { Model m(unknownInbound); }), "dense_1: unknown inbound layer 'nope'");
  EXPECT_EQ(errorOf([&] {
              auto x = input({3});
              layers::apply("testAdd", {{"name", "merge"}}, {x, input({4})});
            }),
            "merge: inputs must have equal shapes, got (None, 3) and (None, 4)");
  EXPECT_EQ(errorOf([&] { binaryClassifier()->compile({{"loss", "mse"}, {"optimiser", "sgd"}}); }),
            "compile: unknown option 'optimiser' (known: loss, metrics, optimizer)");
  EXPECT_EQ(errorOf([&] { binaryClassifier()->compile({{"loss", "mse"}, {"metrics", {"f1"}}}); }),
            "compile: unknown metric 'f1' (expected accuracy, mse or mae)");
}

}  // namespace
}  // namespace attn::model_test
