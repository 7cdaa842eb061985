// Numerical parity with references outside the library: every tests/golden/<case>.json (written
// by scripts/make-goldens.mjs from TF.js layers, or TF.js ops following a layer's original
// definition) names a layer spec, its inputs and masks, weights in Keras order, the outputs and,
// for attention layers, the attention weights. We build the same layer through the registry, load
// the weights, run forward and compare every output and attention element.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/json.h"
#include "layers/param.h"
#include "layers/registry.h"
#include "testing/layer_cases.h"
#include "testing/layer_harness.h"

namespace attn::tfjs_parity_test {
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

// The largest |ours - want| over a tensor, with every element asserted within 1e-4.
double compareWithin(const Tensor& got, const Tensor& want, const std::string& what) {
  EXPECT_EQ(got.shape(), want.shape()) << what;
  if (got.shape() != want.shape()) return INFINITY;
  double worst = 0;
  for (int64_t i = 0; i < want.size(); ++i) {
    const double diff = std::fabs(double(got[i]) - want[i]);
    worst = std::max(worst, std::isfinite(diff) ? diff : INFINITY);
    EXPECT_LT(diff, 1e-4) << what << " element " << i << ": ours " << got[i] << ", reference " << want[i];
  }
  return worst;
}

TEST_P(TfjsParity, ForwardMatchesTfjs) {
  const Json golden = readGolden(GetParam());
  const Json& spec = golden.at("layer");
  const std::string type = spec.at("className").get<std::string>();
  if (!findLayerType(type)) GTEST_SKIP() << "layer type " << type << " is not in this build";

  std::vector<Tensor> inputs;
  std::vector<Tensor> masks;  // one per input; an empty tensor is no mask
  for (const auto& j : golden.at("inputs")) inputs.push_back(tensorFrom(j));
  for (const auto& j : golden.at("masks")) masks.push_back(j.is_null() ? Tensor() : tensorFrom(j));
  ASSERT_EQ(masks.size(), inputs.size());
  std::vector<Shape> shapes;
  for (const auto& t : inputs) shapes.push_back(t.shape().dropFirst());
  testing::LayerHarness h(createLayer(spec), shapes, inputs[0].dim(0));
  for (size_t i = 0; i < inputs.size(); ++i) h.inputs[i] = inputs[i];
  for (size_t i = 0; i < masks.size(); ++i) h.masks[i] = masks[i];

  const auto& params = h.layer().params();
  const auto& weights = golden.at("weights");
  ASSERT_EQ(params.size(), weights.size());
  for (size_t k = 0; k < params.size(); ++k) {
    const Tensor w = tensorFrom(weights[k]);
    // Keras' weight names and shapes, in Keras' order.
    const std::string kerasName = weights[k].at("name").get<std::string>();
    EXPECT_TRUE(weightNameMatches(params[k]->name, kerasName)) << "weight " << k << ": ours " << params[k]->name
                                                                << ", Keras " << kerasName;
    EXPECT_EQ(params[k]->name, kerasName) << "weight " << k;
    ASSERT_EQ(params[k]->shape, w.shape()) << params[k]->name;
    std::copy(w.data(), w.data() + w.size(), params[k]->value);
  }

  h.forward();
  const auto& outputs = golden.at("outputs");
  ASSERT_EQ(h.layer().outputs().size(), outputs.size());
  double worst = 0;
  for (size_t o = 0; o < outputs.size(); ++o)
    worst = std::max(worst, compareWithin(h.layer().output(int(o)), tensorFrom(outputs[o]), "output " + std::to_string(o)));
  if (golden.contains("attention")) {
    const Tensor* attention = h.layer().attentionWeights();
    ASSERT_NE(attention, nullptr) << type << " exposes no attention weights";
    worst = std::max(worst, compareWithin(*attention, tensorFrom(golden.at("attention")), "attention weights"));
  }
  if (golden.contains("outputMask")) {
    const Tensor* mask = h.layer().outputMask(0);
    ASSERT_NE(mask, nullptr) << type << " gives no output mask";
    worst = std::max(worst, compareWithin(*mask, tensorFrom(golden.at("outputMask")), "output mask"));
  }
  std::cout << "[ parity   ] " << GetParam() << ": max |ours - reference| = " << worst << "  (" << golden.at("source").get<std::string>() << ")\n";
}

INSTANTIATE_TEST_SUITE_P(Goldens, TfjsParity, ::testing::ValuesIn(goldenCases()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// Guards against the parameterized suite silently shrinking (a lost or renamed golden file).
TEST(TfjsParityFiles, EveryCaseIsPresent) {
  const auto cases = goldenCases();
  for (const char* name :
       {"dense", "embedding", "lstm_last", "lstm_sequences", "lstm_backwards", "lstm_state", "lstm_masked_sequences",
        "lstm_masked_backwards", "lstm_hard_sigmoid", "gru_hard_sigmoid", "gru_reset_before", "gru_reset_after",
        "gru_masked", "simple_rnn", "simple_rnn_masked_backwards", "bidirectional_concat", "bidirectional_ave",
        // attention layers: references from their original definitions (scripts/make-goldens.mjs)
        "attention_luong", "attention_luong_masked", "attention_bahdanau", "attention_bahdanau_masked",
        "additive_self_attention", "additive_self_attention_masked", "additive_self_attention_sequences",
        "additive_self_attention_sequences_masked", "time_attention", "time_attention_masked",
        "time_attention_single_vector", "time_attention_single_vector_masked", "feature_attention", "dot_attention",
        "dot_attention_scaled_key_masked", "dot_attention_concat_masked", "dot_attention_concat_scaled_causal",
        "dot_attention_causal", "additive_attention", "additive_attention_masked",
        "additive_attention_unscaled_causal_masked", "multi_head_attention", "multi_head_attention_masked",
        "multi_head_attention_causal_no_bias"})
    EXPECT_NE(std::find(cases.begin(), cases.end(), name), cases.end()) << name;
}

// The table's TF.js rows are these goldens: each has its file, written for the row's spec.
TEST(TfjsParityFiles, EveryGoldenRowOfTheLayerTableHasItsFile) {
  int rows = 0;
  for (const testing::LayerCase& c : testing::layerCases()) {
    if (c.golden.is_null()) continue;
    ++rows;
    const std::string name = c.golden.value("name", c.name);
    ASSERT_TRUE(fs::exists(kGoldenDir / (name + ".json"))) << name << ": run npm run goldens";
    const Json spec = readGolden(name).at("layer");
    EXPECT_EQ(spec.at("className"), c.type) << name;
    EXPECT_EQ(spec.at("config"), c.options) << name << ": the golden was written for other options; run npm run goldens";
  }
  EXPECT_GE(rows, 16);
}

// Keras 2 names weights "<layer>/<cell>/<name>:0" and Keras 3 paths carry the cell too; both name
// the same weight as ours. A weight of another name does not, whatever its shape.
TEST(WeightNames, KerasSpellingsMatchAndOtherWeightsDoNot) {
  EXPECT_TRUE(weightNameMatches("lstm/kernel", "lstm/kernel"));
  EXPECT_TRUE(weightNameMatches("lstm/kernel", "lstm/lstm_cell/kernel:0"));
  EXPECT_TRUE(weightNameMatches("lstm/kernel", "lstm/cell/kernel"));
  EXPECT_TRUE(weightNameMatches("lstm_1/kernel", "encoder/lstm_cell/kernel:0"));  // layer names may differ
  EXPECT_TRUE(weightNameMatches("bidirectional/forward_lstm/bias", "bidirectional/forward_lstm/lstm_cell/bias:0"));
  EXPECT_TRUE(weightNameMatches("attention/bahdanau_v/kernel", "attention/bahdanau_v/kernel:0"));
  EXPECT_TRUE(weightNameMatches("dense/kernel", "kernel"));
  EXPECT_FALSE(weightNameMatches("lstm/kernel", "lstm/lstm_cell/recurrent_kernel:0"));
  EXPECT_FALSE(weightNameMatches("bidirectional/forward_lstm/bias", "bidirectional/backward_lstm/bias"));
  EXPECT_FALSE(weightNameMatches("attention/bahdanau_w1/kernel", "attention/bahdanau_w2/kernel"));
  EXPECT_FALSE(weightNameMatches("dense/kernel", "bias"));
  EXPECT_FALSE(weightNameMatches("dense/kernel", ""));
}

}  // namespace
}  // namespace attn::tfjs_parity_test
