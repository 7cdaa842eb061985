// Hostile model files beyond plain corruption: values that parse but would poison training,
// configs that would exhaust memory when run, and every input the fuzzer (tests/fuzz) ever
// crashed on, replayed through the same code path as the fuzz target.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>

#include "core/check.h"
#include "fuzz/fuzz_common.h"
#include "io/model_file.h"
#include "model/model.h"

namespace attn::hostile_files_test {
namespace {

namespace fs = std::filesystem;

// One Dense(1) weight, no bias, Adam state: the weight value sits at a known offset and the
// optimizer's m and v are the last two floats before the checksum.
std::vector<uint8_t> tinyAdamFile() {
  auto model = sequentialModel(
      {Json{{"className", "Dense"}, {"config", {{"units", 1}, {"useBias", false}, {"inputShape", {1}}}}}});
  model->compile({{"optimizer", "adam"}, {"loss", "mse"}});
  return saveModel(*model);
}

void fixChecksum(std::vector<uint8_t>& bytes) {
  const uint32_t sum = fnv1a(bytes.data(), bytes.size() - 4);
  std::memcpy(bytes.data() + bytes.size() - 4, &sum, 4);
}

void putFloat(std::vector<uint8_t>& bytes, size_t at, float v) {
  std::memcpy(bytes.data() + at, &v, 4);
  fixChecksum(bytes);
}

size_t weightOffset(const std::vector<uint8_t>& bytes) {
  uint32_t configLength;
  std::memcpy(&configLength, bytes.data() + 12, 4);
  const std::string name = "dense_1/kernel";
  return 16 + configLength + 4 + 4 + name.size() + 4 + 2 * 4;
}

std::string loadError(const std::vector<uint8_t>& bytes) {
  try {
    loadModel(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "(loaded)";
}

std::vector<uint8_t> withConfig(const std::vector<uint8_t>& bytes, const std::string& text) {
  uint32_t length;
  std::memcpy(&length, bytes.data() + 12, 4);
  std::vector<uint8_t> out(bytes.begin(), bytes.begin() + 12);
  const uint32_t newLength = static_cast<uint32_t>(text.size());
  out.resize(16);
  std::memcpy(out.data() + 12, &newLength, 4);
  out.insert(out.end(), text.begin(), text.end());
  out.insert(out.end(), bytes.begin() + 16 + length, bytes.end());
  fixChecksum(out);
  return out;
}

TEST(HostileFiles, TheTinyFileLoads) {
  auto bytes = tinyAdamFile();
  putFloat(bytes, weightOffset(bytes), 0.25f);
  auto model = loadModel(bytes);
  EXPECT_EQ(model->getWeights()[0].value[0], 0.25f);
}

TEST(HostileFiles, NonFiniteWeightsAreRejected) {
  auto bytes = tinyAdamFile();
  putFloat(bytes, weightOffset(bytes), std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(loadError(bytes), "loadModel: setWeights: weight 0 (dense_1/kernel) contains NaN at index 0");
  putFloat(bytes, weightOffset(bytes), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(loadError(bytes), "loadModel: setWeights: weight 0 (dense_1/kernel) contains Infinity at index 0");
}

TEST(HostileFiles, PoisonedOptimizerStateIsRejected) {
  auto bytes = tinyAdamFile();
  const size_t m = bytes.size() - 4 - 4 - 4 - 4, v = bytes.size() - 4 - 4;
  auto negative = bytes;
  putFloat(negative, v, -1.f);  // sqrt(v) would be NaN on the next step
  EXPECT_EQ(loadError(negative), "loadModel: optimizer state 1 holds -1 at index 0");
  auto nan = bytes;
  putFloat(nan, m, std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(loadError(nan).rfind("loadModel: optimizer state 0 holds nan", 0), 0u) << loadError(nan);
  auto fine = bytes;
  putFloat(fine, m, -1.f);  // a negative first moment is legitimate
  EXPECT_NO_THROW(loadModel(fine));
}

TEST(HostileFiles, ConfigsThatWouldExhaustMemoryWhenRunAreRejected) {
  const auto bytes = tinyAdamFile();
  auto model = loadModel(bytes);
  Json config = model->toConfig();
  Json wide = config;
  wide["config"]["layers"][0]["config"]["inputShape"] = {1 << 20, 1 << 20};
  EXPECT_NE(loadError(withConfig(bytes, Json{{"model", wide}, {"compile", nullptr}}.dump())).find("more than the limit"),
            std::string::npos);
  Json repeated = config;
  repeated["config"]["layers"] = Json::array(
      {Json{{"className", "RepeatVector"}, {"config", {{"n", 2000000000}, {"inputShape", {1}}}}},
       Json{{"className", "Dense"}, {"config", {{"units", 1}, {"useBias", false}}}}});
  const std::string error = loadError(withConfig(bytes, Json{{"model", repeated}, {"compile", nullptr}}.dump()));
  EXPECT_NE(error.find("repeat_vector_1: output shape (None, 2000000000, 1)"), std::string::npos) << error;
}

// Every file in tests/io/fuzz_crashes once crashed the fuzz target (see tests/fuzz/README.md).
TEST(HostileFiles, FuzzerFindingsStayFixed) {
  const fs::path dir = fs::path(ATTN_SOURCE_DIR) / "tests" / "io" / "fuzz_crashes";
  int replayed = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().extension() == ".md") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().filename().string());
    EXPECT_NO_THROW(fuzz::fuzzOne(bytes.data(), bytes.size()));
    ++replayed;
  }
  RecordProperty("replayed", replayed);
}

}  // namespace
}  // namespace attn::hostile_files_test
