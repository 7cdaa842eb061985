// Numerical parity with TF.js: every tests/golden/<case>.json (written by scripts/make-goldens.mjs
// from TF.js alone) names a layer spec, an input, optional mask, weights in Keras order and the
// outputs TF.js computed. We build the same layer through the registry, load the weights, run
// forward and compare every output element.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/json.h"
#include "layers/registry.h"
#include "testing/layer_harness.h"

namespace attn {
namespace {

namespace fs = std::filesystem;
const fs::path kGoldenDir = fs::path(ATTN_SOURCE_DIR) / "tests" / "golden";

std::vector<std::string> goldenCases() {
  std::vector<std::string> cases;
  if (fs::is_directory(kGoldenDir))
    for (const auto& entry : fs::directory_iterator(kGoldenDir))
      if (entry.path().extension() == ".json") cases.push_back(entry.path().stem().string());
  std::sort(cases.begin(), cases.end());
  return cases;
}

Json readGolden(const std::string& name) {
  std::ifstream in(kGoldenDir / (name + ".json"));
  return Json::parse(in);
}

Tensor tensorFrom(const Json& j) {
  Tensor t(Shape(j.at("shape").get<std::vector<int>>()));
  const auto& data = j.at("data");
  EXPECT_EQ(int64_t(data.size()), t.size());
  for (int64_t i = 0; i < t.size(); ++i) t[i] = data[i].get<float>();
  return t;
}

class TfjsParity : public ::testing::TestWithParam<std::string> {};

TEST_P(TfjsParity, ForwardMatchesTfjs) {
  const Json golden = readGolden(GetParam());
  const Json& spec = golden.at("layer");
  const std::string type = spec.at("className").get<std::string>();
  if (!findLayerType(type)) GTEST_SKIP() << "layer type " << type << " is not in this build";

  const Tensor input = tensorFrom(golden.at("input"));
  testing::LayerHarness h(createLayer(spec), {input.shape().dropFirst()}, input.dim(0));
  h.inputs[0] = input;
  if (golden.contains("mask")) h.masks[0] = tensorFrom(golden.at("mask"));

  const auto& params = h.layer().params();
  const auto& weights = golden.at("weights");
  ASSERT_EQ(params.size(), weights.size());
  for (size_t k = 0; k < params.size(); ++k) {
    const Tensor w = tensorFrom(weights[k]);
    // Keras' weight names and shapes, in Keras' order.
    EXPECT_EQ(params[k]->name, weights[k].at("name").get<std::string>());
    ASSERT_EQ(params[k]->shape, w.shape()) << params[k]->name;
    std::copy(w.data(), w.data() + w.size(), params[k]->value);
  }

  h.forward();
  const auto& outputs = golden.at("outputs");
  ASSERT_EQ(h.layer().outputs().size(), outputs.size());
  double worst = 0;
  for (size_t o = 0; o < outputs.size(); ++o) {
    const Tensor want = tensorFrom(outputs[o]);
    const Tensor& got = h.layer().output(int(o));
    ASSERT_EQ(got.shape(), want.shape()) << "output " << o;
    for (int64_t i = 0; i < want.size(); ++i) {
      const double diff = std::fabs(double(got[i]) - want[i]);
      worst = std::max(worst, diff);
      EXPECT_LT(diff, 1e-4) << "output " << o << " element " << i << ": ours " << got[i] << ", TF.js " << want[i];
    }
  }
  std::cout << "[ parity   ] " << GetParam() << ": max |ours - TF.js| = " << worst << "\n";
}

INSTANTIATE_TEST_SUITE_P(Goldens, TfjsParity, ::testing::ValuesIn(goldenCases()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// Guards against the parameterized suite silently shrinking (a lost or renamed golden file).
TEST(TfjsParityFiles, EveryRecurrentCaseIsPresent) {
  const auto cases = goldenCases();
  for (const char* name :
       {"dense", "embedding", "lstm_last", "lstm_sequences", "lstm_backwards", "lstm_state", "lstm_masked_sequences",
        "lstm_masked_backwards", "lstm_hard_sigmoid", "gru_hard_sigmoid", "gru_reset_before", "gru_reset_after",
        "gru_masked", "simple_rnn", "simple_rnn_masked_backwards", "bidirectional_concat", "bidirectional_ave"})
    EXPECT_NE(std::find(cases.begin(), cases.end(), name), cases.end()) << name;
}

}  // namespace
}  // namespace attn
