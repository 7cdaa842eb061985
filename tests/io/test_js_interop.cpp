// Files cross between the npm package (wasm) and the native build in both directions:
//   js_model.*      written by tests/js/fixtures/make-fixture.mjs: a model trained and saved in
//                   wasm must load natively and predict what wasm predicted, within 1e-4 (the
//                   builds differ in FMA and summation order, not in meaning).
//   native_model.*  written by this file (ATTN_WRITE_FIXTURES=1): a model trained and saved
//                   natively; tests/js/interop.test.mjs loads it in wasm against these
//                   predictions. Here we check the committed file still loads and predicts them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/json.h"
#include "core/random.h"
#include "io/model_file.h"
#include "model/model.h"

namespace attn::js_interop_test {
namespace {

namespace fs = std::filesystem;
const fs::path kFixtures = fs::path(ATTN_SOURCE_DIR) / "tests" / "js" / "fixtures";

bool readBytes(const fs::path& path, std::vector<uint8_t>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

Tensor tensorFrom(const Json& j) {
  Tensor t(Shape(j.at("shape").get<std::vector<int>>()));
  const Json& data = j.at("data");
  EXPECT_EQ(static_cast<int64_t>(data.size()), t.size());
  for (int64_t i = 0; i < t.size(); ++i) t[i] = data[i].get<float>();
  return t;
}

Json tensorJson(const Tensor& t) {
  Json data = Json::array();
  for (int64_t i = 0; i < t.size(); ++i) data.push_back(t[i]);
  return Json{{"shape", t.shape().toVector()}, {"data", data}};
}

void expectNear(const Tensor& actual, const Json& expected, float tolerance, const char* what) {
  const Tensor want = tensorFrom(expected);
  ASSERT_EQ(actual.shape(), want.shape()) << what;
  float worst = 0.f;
  for (int64_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs(actual[i] - want[i]));
  EXPECT_LE(worst, tolerance) << what << ": largest difference " << worst;
}

TEST(JsInterop, ModelSavedByTheNpmPackageLoadsNativelyWithTheSamePredictions) {
  std::vector<uint8_t> bytes;
  if (!readBytes(kFixtures / "js_model.atwm", bytes)) GTEST_SKIP() << "no fixture file readable from this build";
  std::ifstream in(kFixtures / "js_model.expected.json");
  const Json expected = Json::parse(in);

  auto model = loadModel(bytes);
  const std::vector<Tensor> xs{tensorFrom(expected.at("input"))};
  expectNear(model->predict(xs)[0], expected.at("predictions"), 1e-4f, "predictions");
  const Json& attention = expected.at("attention");
  expectNear(model->getAttention(xs, attention.at("layer").get<std::string>()), attention, 1e-4f, "attention");
  // The file carried the compile state: training continues natively.
  ASSERT_TRUE(model->compiled());
  Tensor y(Shape{xs[0].dim(0), 3});
  for (int s = 0; s < xs[0].dim(0); ++s) y[s * 3 + s % 3] = 1.f;
  EXPECT_TRUE(std::isfinite(model->trainOnBatch(xs, {y}).at("loss")));
}

// Two inputs (query, value) through multi-head attention, layer normalization and a dense head.
Json nativeConfig() {
  auto input = [](const char* name, std::vector<int> shape) {
    return Json{{"className", "InputLayer"}, {"config", {{"name", name}, {"shape", shape}}}};
  };
  // [[name, 0], ...] spelled out: nlohmann would read {{"a", 0}, {"b", 0}} as an object.
  auto from = [](std::initializer_list<const char*> names) {
    Json list = Json::array();
    for (const char* n : names) list.push_back(Json::array({n, 0}));
    return list;
  };
  auto layer = [](const char* cls, const char* name, Json config, Json inbound) {
    config["name"] = name;
    return Json{{"className", cls}, {"config", config}, {"inboundNodes", inbound}};
  };
  Json layers = Json::array({
      input("query", {4, 6}),
      input("value", {5, 6}),
      layer("MultiHeadAttention", "mha", {{"numHeads", 2}, {"keyDim", 3}}, from({"query", "value"})),
      layer("LayerNormalization", "norm", Json::object(), from({"mha"})),
      layer("GlobalAveragePooling1D", "pool", Json::object(), from({"norm"})),
      layer("Dense", "out", {{"units", 2}, {"activation", "tanh"}}, from({"pool"})),
  });
  return Json{{"className", "Model"},
              {"config",
               {{"name", "native_fixture"},
                {"layers", layers},
                {"inputLayers", from({"query", "value"})},
                {"outputLayers", from({"out"})}}}};
}

Tensor randomTensor(const Shape& s, uint64_t seed) {
  Rng rng(seed);
  Tensor t(s);
  for (int64_t i = 0; i < t.size(); ++i) t[i] = rng.normal();
  return t;
}

TEST(JsInterop, ModelSavedNativelyForTheNpmPackage) {
  const std::vector<Tensor> xs{randomTensor(Shape{6, 4, 6}, 1), randomTensor(Shape{6, 5, 6}, 2)};
  if (std::getenv("ATTN_WRITE_FIXTURES")) {
    Model model(nativeConfig(), 21);
    model.compile({{"optimizer", {{"type", "rmsprop"}, {"learningRate", 0.01}}}, {"loss", "mse"}});
    FitOptions options;
    options.epochs = 4;
    options.batchSize = 3;
    options.seed = 5;
    model.fit(xs, {randomTensor(Shape{6, 2}, 3)}, options);
    const std::vector<uint8_t> bytes = saveModel(model);
    std::ofstream(kFixtures / "native_model.atwm", std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    const Json expected{{"note", "written by tests/io/test_js_interop.cpp (ATTN_WRITE_FIXTURES=1), native build"},
                        {"inputs", {tensorJson(xs[0]), tensorJson(xs[1])}},
                        {"predictions", tensorJson(model.predict(xs)[0])},
                        {"attention", tensorJson(model.getAttention(xs, "mha"))}};
    std::ofstream(kFixtures / "native_model.expected.json") << expected.dump() << "\n";
  }
  std::vector<uint8_t> bytes;
  if (!readBytes(kFixtures / "native_model.atwm", bytes)) GTEST_SKIP() << "no fixture file readable from this build";
  std::ifstream in(kFixtures / "native_model.expected.json");
  const Json expected = Json::parse(in);
  auto model = loadModel(bytes);
  const std::vector<Tensor> stored{tensorFrom(expected.at("inputs")[0]), tensorFrom(expected.at("inputs")[1])};
  expectNear(model->predict(stored)[0], expected.at("predictions"), 1e-5f, "predictions");
  expectNear(model->getAttention(stored, "mha"), expected.at("attention"), 1e-5f, "attention");
}

}  // namespace
}  // namespace attn::js_interop_test
