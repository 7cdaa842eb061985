#include <gtest/gtest.h>

#include <cstring>

#include "core/check.h"
#include "core/random.h"
#include "io/model_file.h"
#include "model/model.h"

namespace attn::model_file_test {
namespace {

Json dense(int units, const char* activation = "linear", Json extra = Json::object()) {
  Json config = extra;
  config["units"] = units;
  config["activation"] = activation;
  return Json{{"className", "Dense"}, {"config", config}};
}

Tensor randomTensor(const Shape& s, uint64_t seed) {
  Rng rng(seed);
  Tensor t(s);
  for (int64_t i = 0; i < t.size(); ++i) t[i] = rng.normal();
  return t;
}

std::unique_ptr<Model> trainedModel() {
  auto model = sequentialModel({dense(8, "tanh", {{"inputShape", {5}}}), dense(3, "softmax")});
  model->compile({{"optimizer", "adam"}, {"loss", "categoricalCrossentropy"}, {"metrics", {"accuracy"}}});
  Tensor x = randomTensor(Shape{20, 5}, 1), y(Shape{20, 3});
  for (int i = 0; i < 20; ++i) y[i * 3 + i % 3] = 1.f;
  FitOptions options;
  options.epochs = 2;
  options.batchSize = 8;
  options.seed = 4;
  model->fit({x}, {y}, options);
  return model;
}

bool sameBits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void fixChecksum(std::vector<uint8_t>& bytes) {
  const uint32_t sum = fnv1a(bytes.data(), bytes.size() - 4);
  std::memcpy(bytes.data() + bytes.size() - 4, &sum, 4);
}

uint32_t readU32(const std::vector<uint8_t>& bytes, size_t at) {
  uint32_t v;
  std::memcpy(&v, bytes.data() + at, 4);
  return v;
}
void writeU32(std::vector<uint8_t>& bytes, size_t at, uint32_t v) { std::memcpy(bytes.data() + at, &v, 4); }

// Rewrites the config JSON of a saved file (lengths and checksum fixed up).
std::vector<uint8_t> withConfig(const std::vector<uint8_t>& bytes, const std::string& text) {
  const uint32_t length = readU32(bytes, 12);
  std::vector<uint8_t> out(bytes.begin(), bytes.begin() + 12);
  const uint32_t newLength = static_cast<uint32_t>(text.size());
  out.resize(16);
  writeU32(out, 12, newLength);
  out.insert(out.end(), text.begin(), text.end());
  out.insert(out.end(), bytes.begin() + 16 + length, bytes.end());
  fixChecksum(out);
  return out;
}

std::string loadError(const std::vector<uint8_t>& bytes) {
  try {
    loadModel(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "(loaded)";
}

TEST(ModelFile, SaveLoadPredictIsBitIdentical) {
  auto model = trainedModel();
  const auto bytes = saveModel(*model);
  ASSERT_EQ(std::memcmp(bytes.data(), "ATWM", 4), 0);
  auto loaded = loadModel(bytes);
  Tensor x = randomTensor(Shape{7, 5}, 2);
  EXPECT_TRUE(sameBits(model->predict({x})[0], loaded->predict({x})[0]));
  EXPECT_EQ(loaded->toConfig(), model->toConfig());
  EXPECT_EQ(loaded->compileConfig(), model->compileConfig());
  EXPECT_EQ(loaded->summary(), model->summary());
  // Saving the loaded model reproduces the file byte for byte.
  EXPECT_EQ(saveModel(*loaded), bytes);
}

TEST(ModelFile, OptimizerStateResumesTrainingExactly) {
  auto model = trainedModel();
  auto loaded = loadModel(saveModel(*model));
  EXPECT_EQ(loaded->optimizer()->iterations(), model->optimizer()->iterations());
  Tensor x = randomTensor(Shape{4, 5}, 3), y(Shape{4, 3});
  for (int i = 0; i < 4; ++i) y[i * 3 + (i + 1) % 3] = 1.f;
  model->trainOnBatch({x}, {y});
  loaded->trainOnBatch({x}, {y});
  auto a = model->getWeights(), b = loaded->getWeights();
  for (size_t w = 0; w < a.size(); ++w) EXPECT_TRUE(sameBits(a[w].value, b[w].value)) << a[w].name;
}

TEST(ModelFile, FunctionalUncompiledWithoutOptimizer) {
  auto x = input({3});
  auto a = layers::apply("dense", {{"units", 4}, {"activation", "relu"}}, x);
  auto b = layers::apply("dense", {{"units", 2}, {"name", "head"}}, a);
  auto c = layers::apply("dense", {{"units", 1}}, a);
  auto model = functionalModel({x}, {b, c}, "two_heads", 77);
  auto loaded = loadModel(saveModel(*model));
  EXPECT_FALSE(loaded->compiled());
  EXPECT_EQ(loaded->name(), "two_heads");
  Tensor xs = randomTensor(Shape{6, 3}, 5);
  auto p = model->predict({xs}), q = loaded->predict({xs});
  ASSERT_EQ(q.size(), 2u);
  EXPECT_TRUE(sameBits(p[0], q[0]));
  EXPECT_TRUE(sameBits(p[1], q[1]));
  // Compiled, but saved without the optimizer state.
  model->compile({{"optimizer", "sgd"}, {"loss", "mse"}});
  auto light = saveModel(*model, false);
  EXPECT_LT(light.size(), saveModel(*model, true).size() + 1);
  auto reloaded = loadModel(light);
  EXPECT_TRUE(reloaded->compiled());
  EXPECT_EQ(reloaded->optimizer()->iterations(), 0);
}

TEST(ModelFile, RejectsEveryTruncation) {
  const auto bytes = saveModel(*trainedModel());
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> part(bytes.begin(), bytes.begin() + n);
    EXPECT_THROW(loadModel(part), Error) << n << " bytes";
  }
  // Truncations that also carry a valid checksum still fail on the missing data.
  for (size_t n : {size_t(24), bytes.size() / 2, bytes.size() - 8}) {
    std::vector<uint8_t> part(bytes.begin(), bytes.begin() + n);
    fixChecksum(part);
    EXPECT_THROW(loadModel(part), Error) << n << " bytes";
  }
  EXPECT_EQ(loadError({}), "loadModel: not an attention-wasm model file (missing 'ATWM' magic)");
  std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + 200);
  EXPECT_EQ(loadError(cut), "loadModel: checksum mismatch (the file is corrupted)");
}

TEST(ModelFile, RejectsCorruption) {
  const auto bytes = saveModel(*trainedModel());
  auto wrongMagic = bytes;
  wrongMagic[0] = 'X';
  EXPECT_EQ(loadError(wrongMagic), "loadModel: not an attention-wasm model file (missing 'ATWM' magic)");
  auto flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  EXPECT_EQ(loadError(flipped), "loadModel: checksum mismatch (the file is corrupted)");
  auto version = bytes;
  writeU32(version, 4, 7);
  fixChecksum(version);
  EXPECT_EQ(loadError(version), "loadModel: unsupported format version 7 (this build reads 1)");
  auto flags = bytes;
  writeU32(flags, 8, 6);
  fixChecksum(flags);
  EXPECT_EQ(loadError(flags), "loadModel: unknown flags 6");
  auto hugeConfig = bytes;
  writeU32(hugeConfig, 12, 0xfffffff0u);
  fixChecksum(hugeConfig);
  EXPECT_EQ(loadError(hugeConfig).rfind("loadModel: the file is truncated (config needs 4294967280 bytes", 0), 0u)
      << loadError(hugeConfig);
  auto trailing = bytes;
  trailing.insert(trailing.end() - 4, {1, 2, 3});
  fixChecksum(trailing);
  EXPECT_EQ(loadError(trailing), "loadModel: 3 unexpected bytes after the model data");
}

TEST(ModelFile, RejectsConfigsThatDisagreeWithTheWeights) {
  auto model = trainedModel();
  const auto bytes = saveModel(*model);
  const uint32_t length = readU32(bytes, 12);
  const std::string text(bytes.begin() + 16, bytes.begin() + 16 + length);
  Json doc = Json::parse(text);

  EXPECT_EQ(loadError(withConfig(bytes, "{not json")), "loadModel: the model config is not valid JSON");
  Json wider = doc;
  wider["model"]["config"]["layers"][0]["config"]["units"] = 9;
  EXPECT_EQ(loadError(withConfig(bytes, wider.dump())),
            "loadModel: weight 'dense_1/kernel' has shape (5, 8), the model config expects (5, 9)");
  Json renamed = doc;
  renamed["model"]["config"]["layers"][0]["config"]["name"] = "first";
  EXPECT_EQ(loadError(withConfig(bytes, renamed.dump())),
            "loadModel: weight 0 is 'dense_1/kernel', the model config expects 'first/kernel'");
  Json noBias = doc;
  noBias["model"]["config"]["layers"][1]["config"]["useBias"] = false;
  EXPECT_EQ(loadError(withConfig(bytes, noBias.dump())), "loadModel: the file holds 4 weights, the model config declares 3");
  Json huge = doc;
  huge["model"]["config"]["layers"][0]["config"]["units"] = 10000000;
  EXPECT_EQ(loadError(withConfig(bytes, huge.dump())).rfind("loadModel: invalid model config: sequential: ", 0), 0u)
      << loadError(withConfig(bytes, huge.dump()));
  Json badLayer = doc;
  badLayer["model"]["config"]["layers"][0]["config"]["units"] = "eight";
  EXPECT_EQ(loadError(withConfig(bytes, badLayer.dump())),
            "loadModel: invalid model config: dense_1: option 'units' must be an integer, got \"eight\"");
  Json notAModel = Json{{"model", 3}};
  EXPECT_EQ(loadError(withConfig(bytes, notAModel.dump())).rfind("loadModel: invalid model config: model: config must be", 0), 0u);
  std::string deep = "{\"model\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(loadError(withConfig(bytes, deep)), "loadModel: the model config nests deeper than 64 levels");
  Json inputAsOutput = Json::parse(R"({"model": {"className": "Model", "config": {"layers": [
      {"className": "InputLayer", "config": {"name": "x", "shape": [5]}}],
      "inputLayers": [["x", 0]], "outputLayers": [["x", 0]]}}})");
  EXPECT_EQ(loadError(withConfig(bytes, inputAsOutput.dump())),
            "loadModel: invalid model config: model: output 'x' is an InputLayer; a model output must come from a layer");
  Json otherOptimizer = doc;
  otherOptimizer["compile"]["optimizer"] = "sgd";  // one state tensor, the file holds Adam's two
  EXPECT_EQ(loadError(withConfig(bytes, otherOptimizer.dump())),
            "loadModel: the file holds 2 optimizer state tensors, sgd has 1");
}

TEST(ModelFile, RejectsBadWeightRecords) {
  const auto bytes = saveModel(*trainedModel());
  const size_t weightsAt = 16 + readU32(bytes, 12);
  auto count = bytes;
  writeU32(count, weightsAt, 0x7fffffff);
  fixChecksum(count);
  EXPECT_EQ(loadError(count), "loadModel: the file holds 2147483647 weights, the model config declares 4");
  auto nameLength = bytes;
  writeU32(nameLength, weightsAt + 4, 0xffffffffu);
  fixChecksum(nameLength);
  EXPECT_EQ(loadError(nameLength), "loadModel: weight name length 4294967295 exceeds the limit of 4096");
  const size_t rankAt = weightsAt + 8 + std::string("dense_1/kernel").size();
  auto rank = bytes;
  writeU32(rank, rankAt, 1000);
  fixChecksum(rank);
  EXPECT_EQ(loadError(rank), "loadModel: weight 'dense_1/kernel' has rank 1000");
  auto dim = bytes;
  writeU32(dim, rankAt + 4, 0x80000000u);
  fixChecksum(dim);
  EXPECT_EQ(loadError(dim), "loadModel: weight 'dense_1/kernel' has an absurd dimension 2147483648");
}

TEST(ModelFile, RandomCorruptionNeverCrashes) {
  const auto bytes = saveModel(*trainedModel());
  Rng rng(12);
  int rejected = 0;
  for (int trial = 0; trial < 300; ++trial) {
    auto mutated = bytes;
    const int edits = 1 + static_cast<int>(rng.below(4));
    for (int e = 0; e < edits; ++e) mutated[rng.below(static_cast<uint32_t>(mutated.size() - 4))] = static_cast<uint8_t>(rng.nextU32());
    fixChecksum(mutated);
    try {
      auto model = loadModel(mutated);
      // Edits inside float data load fine; the model must still run.
      model->predict({randomTensor(Shape{2, 5}, 1)});
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace attn::model_file_test
