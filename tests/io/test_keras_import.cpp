// The Keras config translator (src/io/keras_import.cpp) on configs in Keras 3's and Keras 2's
// own spellings: functional graphs with either form of inbound nodes, the two classes named
// Attention, the CuDNN layers, customLayers, and every culprit listed at once.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/check.h"
#include "core/random.h"
#include "io/keras_import.h"
#include "layers/layer_test_util.h"

namespace attn::keras_import_test {
namespace {

using testing::throwsWith;

Json kerasTensor(const char* layer) {
  return {{"class_name", "__keras_tensor__"}, {"config", {{"shape", {nullptr, 5, 4}}, {"keras_history", {layer, 0, 0}}}}};
}

// Keras 3: Input -> LSTM(return_sequences) -> keras Attention([h, h]) -> GlobalMaxPooling1D -> Dense.
Json keras3Functional() {
  return {{"module", "keras.src.models.functional"},
          {"class_name", "Functional"},
          {"config",
           {{"name", "functional"},
            {"layers",
             {{{"module", "keras.layers"}, {"class_name", "InputLayer"},
               {"config", {{"batch_shape", {nullptr, 5, 3}}, {"dtype", "float32"}, {"name", "series"}}},
               {"inbound_nodes", Json::array()}},
              {{"module", "keras.layers"}, {"class_name", "LSTM"},
               {"config", {{"name", "encoder"}, {"trainable", true}, {"units", 4}, {"return_sequences", true},
                           {"recurrent_activation", "sigmoid"}, {"recurrent_dropout", 0.25}, {"stateful", false},
                           {"kernel_initializer", {{"class_name", "GlorotUniform"}, {"config", {{"seed", nullptr}}}}},
                           {"kernel_regularizer", {{"class_name", "L2"}, {"config", {{"l2", 0.01}}}}}}},
               {"inbound_nodes", {{{"args", {kerasTensor("series")}}, {"kwargs", {{"training", false}}}}}}},
              {{"module", "keras.layers"}, {"class_name", "Attention"},
               {"config", {{"name", "attention"}, {"use_scale", true}, {"score_mode", "dot"}, {"dropout", 0.0}}},
               {"inbound_nodes", {{{"args", {{kerasTensor("encoder"), kerasTensor("encoder")}}}, {"kwargs", Json::object()}}}}},
              {{"module", "keras.layers"}, {"class_name", "GlobalMaxPooling1D"},
               {"config", {{"name", "pool"}, {"data_format", "channels_last"}, {"keepdims", false}}},
               {"inbound_nodes", {{{"args", {kerasTensor("attention")}}, {"kwargs", Json::object()}}}}},
              {{"module", "keras.layers"}, {"class_name", "Dense"},
               {"config", {{"name", "out"}, {"units", 1}, {"activation", "sigmoid"}}},
               {"inbound_nodes", {{{"args", {kerasTensor("pool")}}, {"kwargs", Json::object()}}}}}}},
            {"input_layers", {"series", 0, 0}},
            {"output_layers", {"out", 0, 0}}}}};
}

TEST(KerasImport, Keras3FunctionalGraphBuildsWithTheUsersNames) {
  Json config = keras3Functional();
  const KerasImport in = translateKerasModel(config, {{"loss", "binary_crossentropy"},
                                                      {"optimizer", {{"class_name", "Adam"}, {"config", {{"learning_rate", 0.003}, {"beta_1", 0.8}}}}},
                                                      {"metrics", {"accuracy"}}});
  Model model(in.config);
  std::vector<std::string> names;
  for (const LayerInfo& info : model.layers()) names.push_back(info.name);
  EXPECT_EQ(names, (std::vector<std::string>{"series", "encoder", "attention", "pool", "out"}));
  EXPECT_STREQ(model.layer("attention")->className(), "DotAttention");
  EXPECT_FLOAT_EQ(model.layer("encoder")->options()["kernelRegularizer"]["l2"].get<float>(), 0.01f);
  ASSERT_EQ(in.warnings.size(), 1u);
  EXPECT_NE(in.warnings[0].find("encoder (LSTM): recurrent_dropout 0.25 acts only in training"), std::string::npos);
  EXPECT_EQ(in.compile["optimizer"], (Json{{"type", "adam"}, {"learningRate", 0.003}, {"beta1", 0.8}}));
  model.compile(in.compile);
}

TEST(KerasImport, EveryCulpritIsListedInOneError) {
  Json config = keras3Functional();
  config["config"]["layers"][3]["config"]["keepdims"] = true;  // Keras writes false; true changes the shape
  config["config"]["layers"][1]["config"]["stateful"] = true;
  config["config"]["layers"][4]["class_name"] = "Lambda";
  EXPECT_TRUE(throwsWith([&] { translateKerasModel(config); },
                         {"loadKerasModel: 3 layer(s) cannot be imported:", "\n  encoder (LSTM): option 'stateful' = true",
                          "\n  pool (GlobalMaxPooling1D): option 'keepdims' = true is not supported", "\n  out (Lambda): holds Python code"}));
}

TEST(KerasImport, TheAttentionPackageIsToldFromKerasAttention) {
  auto sequential = [](Json attention) {
    return Json{{"class_name", "Sequential"},
                {"config", {{"name", "s"}, {"layers", {{{"class_name", "InputLayer"}, {"config", {{"name", "x"}, {"batch_input_shape", {nullptr, 6, 3}}}}},
                                                        {{"class_name", "LSTM"}, {"config", {{"name", "rnn"}, {"units", 4}, {"return_sequences", true}}}},
                                                        attention}}}}};
  };
  // Keras 2 file of the `attention` package v5: no module, its own keys.
  Model v5(translateKerasModel(sequential({{"class_name", "Attention"}, {"config", {{"name", "attention"}, {"units", 8}, {"score", "bahdanau"}}}})).config);
  EXPECT_STREQ(v5.layer("attention")->className(), "Attention");
  // Keras 3 file: the module says which.
  Model ours(translateKerasModel(sequential({{"module", "attention.attention"}, {"class_name", "Attention"}, {"config", {{"name", "attention"}, {"units", 8}}}})).config);
  EXPECT_STREQ(ours.layer("attention")->className(), "Attention");
  EXPECT_TRUE(throwsWith([&] { translateKerasModel(sequential({{"module", "keras.layers"}, {"class_name", "Attention"}, {"config", {{"name", "attention"}, {"units", 8}}}})); },
                         {"attention (Attention): attention: unknown option 'units'"}));
  // Behind a mask source, the difference in masking is said.
  EXPECT_TRUE(translateKerasModel(sequential({{"class_name", "Attention"}, {"config", {{"name", "attention"}, {"units", 8}}}})).warnings.empty());
  Json masked = sequential({{"class_name", "Attention"}, {"config", {{"name", "attention"}, {"units", 8}}}});
  masked["config"]["layers"].insert(masked["config"]["layers"].begin() + 1,
                                    Json{{"class_name", "Masking"}, {"config", {{"name", "pad"}, {"mask_value", 0.0}}}});
  const std::vector<std::string> warnings = translateKerasModel(masked).warnings;
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("attention (the attention package's Attention): Keras passes it no mask"), std::string::npos);
}

TEST(KerasImport, CuDnnLayersBecomePlainLayersWithSigmoidGates) {
  const Json config = {{"class_name", "Sequential"},
                       {"config", {{"layers", {{{"class_name", "CuDNNGRU"}, {"config", {{"name", "gru"}, {"units", 3}, {"batch_input_shape", {nullptr, 4, 2}}}}}}}}}};
  Model model(translateKerasModel(config).config);
  const Json options = model.layer("gru")->options();
  EXPECT_EQ(options["recurrentActivation"], "sigmoid");
  EXPECT_EQ(options["resetAfter"], true);
}

TEST(KerasImport, Keras2InboundNodesAndCustomLayersByOrder) {
  const Json config = {
      {"class_name", "Model"},
      {"config",
       {{"name", "m"},
        {"layers",
         {{{"name", "in"}, {"class_name", "InputLayer"}, {"config", {{"name", "in"}, {"batch_input_shape", {nullptr, 3}}}}, {"inbound_nodes", Json::array()}},
          {{"name", "mine"}, {"class_name", "MyDense"}, {"config", {{"name", "mine"}, {"size", 2}}},
           {"inbound_nodes", {{{"in", 0, 0, Json::object()}}}}}}},
        {"input_layers", {{"in", 0, 0}}},
        {"output_layers", {{"mine", 0, 0}}}}}};
  const Json custom = {{"MyDense", {{"className", "dense"}, {"config", {{"units", 2}}}}}};
  Tensor kernel(Shape{3, 2}), bias(Shape{2});
  for (int i = 0; i < 6; ++i) kernel[i] = float(i);
  bias[0] = 10.f;
  bias[1] = 20.f;
  auto model = importKerasModel(config, Json(), {{"mine/W", kernel}, {"mine/b", bias}}, custom);
  Tensor x(Shape{1, 3});
  x[0] = 1.f;
  const Tensor y = model->predict({x})[0];
  EXPECT_EQ(y[0], 10.f);  // kernel row 0 = (0, 1), plus the bias
  EXPECT_EQ(y[1], 21.f);
  EXPECT_TRUE(throwsWith([&] { importKerasModel(config, Json(), {{"mine/W", kernel}}, custom); },
                         {"the weights do not fit the model:\n  mine (Dense) needs 2 weight(s), the file has 1"}));
  EXPECT_TRUE(throwsWith([&] { importKerasModel(config, Json(), {{"mine/W", kernel}, {"mine/b", bias}}, Json::object()); },
                         {"mine (MyDense): no such layer in the library; map it onto one with options.customLayers"}));
}

}  // namespace
}  // namespace attn::keras_import_test

namespace attn::keras_import_test {
namespace {

// Keras' own conversion the other way (LSTM/GRU -> CuDNN, _convert_rnn_weights with
// from_cudnn=False): per gate kernel.T.reshape(kernel.shape, order='C'), recurrent k.T, and the
// bias split as 0.5 b twice (LSTM) or flattened (GRU). Importing what it gives must restore the
// plain layer: a transform and its inverse written apart from each other.
std::vector<NamedTensor> toCudnn(const std::vector<NamedTensor>& plain, int G) {
  const Tensor& W = plain[0].value;
  const Tensor& R = plain[1].value;
  const Tensor& b = plain[2].value;
  const int D = W.dim(0), U = R.dim(0);
  Tensor k(W.shape()), r(R.shape()), bias(Shape{2 * G * U});
  for (int g = 0; g < G; ++g) {
    for (int i = 0; i < D; ++i)
      for (int j = 0; j < U; ++j) {
        const int n = i * U + j;  // C-order index into block.T (U, D)
        k[int64_t(i) * G * U + g * U + j] = W[int64_t(n % D) * G * U + g * U + n / D];
      }
    for (int i = 0; i < U; ++i)
      for (int j = 0; j < U; ++j) r[int64_t(i) * G * U + g * U + j] = R[int64_t(j) * G * U + g * U + i];
  }
  for (int i = 0; i < 2 * G * U; ++i) bias[i] = G == 4 ? 0.5f * b[i % (G * U)] : b[i];
  return {{"lstm/kernel:0", k}, {"lstm/recurrent_kernel:0", r}, {"lstm/bias:0", bias}};
}

TEST(KerasImport, CuDnnWeightsAreConvertedAsKerasConvertsThem) {
  for (const char* cls : {"CuDNNLSTM", "CuDNNGRU"}) {
    const int G = std::string(cls) == "CuDNNLSTM" ? 4 : 3;
    const Json layers = {{{"class_name", cls}, {"config", {{"name", "lstm"}, {"units", 3}, {"return_sequences", true},
                                                            {"batch_input_shape", {nullptr, 5, 2}}}}}};
    const Json config = {{"class_name", "Sequential"}, {"config", {{"name", "s"}, {"layers", layers}}}};
    // The plain layer Keras converts to, with random weights.
    Model plain(translateKerasModel(config).config, 11);
    std::vector<NamedTensor> weights = plain.getWeights();
    auto imported = importKerasModel(config, Json(), toCudnn(weights, G), Json::object());
    Tensor x(Shape{2, 5, 2});
    Rng rng(3);
    for (int64_t i = 0; i < x.size(); ++i) x[i] = rng.normal();
    const Tensor want = plain.predict({x})[0];
    const Tensor got = imported->predict({x})[0];
    for (int64_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << cls << " element " << i;
  }
}

}  // namespace
}  // namespace attn::keras_import_test

namespace attn::keras_import_test {
namespace {

// The `attention` package v5 in a Keras 3 file: its sub-layers are stored under their attribute
// names (luong_w, bahdanau_v, bahdanau_w1, bahdanau_w2, w_c for the Dense named attention_vector),
// which HDF5 lists
// alphabetically. They must be matched by name: bahdanau_w1 and bahdanau_w2 have one shape, so
// only the name tells them apart.
TEST(KerasImport, Keras3AttentionPackageWeightsGoBySubLayerName) {
  for (const char* score : {"luong", "bahdanau"}) {
    const Json layers = {
        {{"module", "keras.layers"}, {"class_name", "InputLayer"}, {"config", {{"name", "x"}, {"batch_shape", {nullptr, 6, 4}}}}},
        {{"module", "keras.layers"}, {"class_name", "LSTM"}, {"config", {{"name", "encoder"}, {"units", 5}, {"return_sequences", true}}}},
        {{"module", "attention.attention"}, {"class_name", "Attention"},
         {"config", {{"name", "attention"}, {"units", 3}, {"score", score}}}}};
    const Json config = {{"class_name", "Sequential"}, {"config", {{"name", "s"}, {"layers", layers}}}};
    Model plain(translateKerasModel(config).config, 5);
    // The file's paths, listed alphabetically as HDF5 does.
    std::vector<NamedTensor> file;
    for (const NamedTensor& w : plain.getWeights()) {
      std::string path = w.name;  // "encoder/kernel", "attention/bahdanau_w1/kernel"
      const std::string layer = path.substr(0, path.find('/'));
      std::string rest = path.substr(path.find('/') + 1);
      if (layer == "encoder") {
        const int index = rest == "kernel" ? 0 : rest == "recurrent_kernel" ? 1 : 2;
        file.push_back({"layers/lstm/cell/vars/" + std::to_string(index), w.value});
      } else {
        // The package keeps attention_vector in attribute w_c, the path Keras 3 writes.
        const std::string sub = rest.substr(0, rest.find('/'));
        file.push_back({"layers/attention/" + (sub == "attention_vector" ? "w_c" : sub) + "/vars/0", w.value});
      }
    }
    std::sort(file.begin(), file.end(), [](const NamedTensor& a, const NamedTensor& b) { return a.name < b.name; });
    auto imported = importKerasModel(config, Json(), file, Json::object());
    Tensor x(Shape{2, 6, 4});
    Rng rng(8);
    for (int64_t i = 0; i < x.size(); ++i) x[i] = rng.normal();
    const Tensor want = plain.predict({x})[0];
    const Tensor got = imported->predict({x})[0];
    for (int64_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << score << " element " << i;
  }
}

}  // namespace
}  // namespace attn::keras_import_test

namespace attn::keras_import_test {
namespace {

// A .keras file's config.json holds the training config as its compile_config.
TEST(KerasImport, Keras3CompileConfigInsideTheModelConfigCompilesTheModel) {
  Json config = keras3Functional();
  config["compile_config"] = {{"optimizer", {{"module", "keras.optimizers"}, {"class_name", "RMSprop"},
                                             {"config", {{"learning_rate", 0.01}, {"rho", 0.8}}}}},
                              {"loss", "mse"}, {"metrics", nullptr}};
  const KerasImport in = translateKerasModel(config);
  EXPECT_EQ(in.compile["loss"], "mse");
  EXPECT_EQ(in.compile["optimizer"]["type"], "rmsprop");
  EXPECT_FLOAT_EQ(in.compile["optimizer"]["rho"].get<float>(), 0.8f);
  config.erase("compile_config");
  EXPECT_TRUE(translateKerasModel(config).compile.is_null());
}

}  // namespace
}  // namespace attn::keras_import_test

namespace attn::keras_import_test {
namespace {

// The attention package before v5: seven plain layers with fixed names around a Lambda, in a
// Keras 2 functional config (nested-list inbound nodes), then a Dense head reading its output.
Json packageV4Model(int steps, int dim, int units) {
  auto node = [](std::vector<const char*> inputs) {
    Json refs = Json::array();
    for (const char* in : inputs) refs.push_back({in, 0, 0, Json::object()});
    return Json::array({refs});
  };
  auto layer = [&](const char* cls, const char* name, Json config, std::vector<const char*> inputs) {
    config["name"] = name;
    return Json{{"class_name", cls}, {"name", name}, {"config", config}, {"inbound_nodes", inputs.empty() ? Json::array() : node(inputs)}};
  };
  const Json layers = {
      layer("InputLayer", "x", {{"batch_input_shape", {nullptr, steps, dim}}}, {}),
      layer("LSTM", "rnn", {{"units", dim}, {"return_sequences", true}}, {"x"}),
      layer("Dense", "attention_score_vec", {{"units", dim}, {"use_bias", false}}, {"rnn"}),
      layer("Lambda", "last_hidden_state", {{"function", {"4wEAAAAAAAAA", nullptr, nullptr}}, {"output_shape", {dim}}}, {"rnn"}),
      layer("Dot", "attention_score", {{"axes", {1, 2}}}, {"last_hidden_state", "attention_score_vec"}),
      layer("Activation", "attention_weight", {{"activation", "softmax"}}, {"attention_score"}),
      layer("Dot", "context_vector", {{"axes", {1, 1}}}, {"rnn", "attention_weight"}),
      layer("Concatenate", "attention_output", {{"axis", -1}}, {"context_vector", "last_hidden_state"}),
      layer("Dense", "attention_vector", {{"units", units}, {"use_bias", false}, {"activation", "tanh"}}, {"attention_output"}),
      layer("Dense", "head", {{"units", 1}}, {"attention_vector"})};
  return {{"class_name", "Model"},
          {"config", {{"name", "v4"}, {"layers", layers}, {"input_layers", {{"x", 0, 0}}}, {"output_layers", {{"head", 0, 0}}}}}};
}

TEST(KerasImport, TheAttentionPackagesPreV5LayersAreReadAsOneAttentionLayer) {
  const int T = 5, D = 4, U = 3;
  const Json config = packageV4Model(T, D, U);
  const KerasImport in = translateKerasModel(config);
  ASSERT_EQ(in.warnings.size(), 1u);
  EXPECT_NE(in.warnings[0].find("read as one Attention(units, score='luong') named attention_vector"), std::string::npos);
  // The same computation built from the library's own Attention layer, with seeded weights.
  const Json plainConfig = {{"className", "Sequential"},
                            {"config", {{"layers", {{{"className", "InputLayer"}, {"config", {{"name", "x"}, {"shape", {T, D}}}}},
                                                    {{"className", "LSTM"}, {"config", {{"name", "rnn"}, {"units", D}, {"returnSequences", true}}}},
                                                    {{"className", "Attention"}, {"config", {{"name", "attention_vector"}, {"units", U}}}},
                                                    {{"className", "Dense"}, {"config", {{"name", "head"}, {"units", 1}}}}}}}}};
  Model plain(plainConfig, 11);
  // The Keras 2 file's weights: each under its own Dense's name, listed in the file's layer order.
  std::vector<NamedTensor> file;
  for (const NamedTensor& w : plain.getWeights()) {
    std::string name = w.name;
    if (name == "attention_vector/luong_w/kernel") name = "attention_score_vec/kernel:0";
    else if (name == "attention_vector/attention_vector/kernel") name = "attention_vector/kernel:0";
    file.push_back({name, w.value});
  }
  auto imported = importKerasModel(config, Json(), file, Json::object());
  EXPECT_STREQ(imported->layer("attention_vector")->className(), "Attention");
  Tensor x(Shape{2, T, D});
  Rng rng(4);
  for (int64_t i = 0; i < x.size(); ++i) x[i] = rng.normal();
  const Tensor want = plain.predict({x})[0];
  const Tensor got = imported->predict({x})[0];
  for (int64_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << "element " << i;

  // A layer outside the subgraph reading one of its inner layers keeps it unfolded: the Lambda
  // is then refused as usual.
  Json tapped = config;
  tapped["config"]["layers"][9]["inbound_nodes"] = Json::array({Json::array({Json::array({"attention_weight", 0, 0, Json::object()})})});
  EXPECT_TRUE(throwsWith([&] { translateKerasModel(tapped); }, {"last_hidden_state (Lambda): holds Python code"}));
}

}  // namespace
}  // namespace attn::keras_import_test

namespace attn::keras_import_test {
namespace {

// Keras 1 / 2.0's legacy Merge(mode=...) in a functional model: each mode becomes its merge layer;
// a mode given as a Python function is refused.
TEST(KerasImport, LegacyMergeModesBecomeTheirMergeLayers) {
  auto model = [](Json mergeConfig) {
    mergeConfig["name"] = "merged";
    auto in = [](const char* name) {
      return Json{{"class_name", "InputLayer"}, {"name", name}, {"config", {{"name", name}, {"batch_input_shape", {nullptr, 4}}}}, {"inbound_nodes", Json::array()}};
    };
    return Json{{"class_name", "Model"},
                {"config", {{"name", "m"},
                            {"layers", {in("a"), in("b"),
                                        {{"class_name", "Merge"}, {"name", "merged"}, {"config", mergeConfig},
                                         {"inbound_nodes", {{{"a", 0, 0, Json::object()}, {"b", 0, 0, Json::object()}}}}}}},
                            {"input_layers", {{"a", 0, 0}, {"b", 0, 0}}},
                            {"output_layers", {{"merged", 0, 0}}}}}};
  };
  Tensor a(Shape{1, 4}), b(Shape{1, 4});
  for (int i = 0; i < 4; ++i) {
    a[i] = 0.5f * i - 0.7f;
    b[i] = 1.0f - 0.4f * i;
  }
  const std::vector<std::tuple<const char*, const char*, std::vector<float>>> cases = {
      {"sum", "Add", {a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]}},
      {"mul", "Multiply", {a[0] * b[0], a[1] * b[1], a[2] * b[2], a[3] * b[3]}},
      {"ave", "Average", {(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2, (a[3] + b[3]) / 2}},
      {"max", "Maximum", {std::max(a[0], b[0]), std::max(a[1], b[1]), std::max(a[2], b[2]), std::max(a[3], b[3])}},
      {"concat", "Concatenate", {a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]}},
      {"dot", "Dot", {a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]}}};
  for (const auto& [mode, cls, want] : cases) {
    Model merged(translateKerasModel(model({{"mode", mode}, {"concat_axis", -1}, {"dot_axes", 1}, {"mode_type", "raw"}})).config);
    EXPECT_STREQ(merged.layer("merged")->className(), cls) << mode;
    const Tensor got = merged.predict({a, b})[0];
    ASSERT_EQ(got.size(), static_cast<int64_t>(want.size())) << mode;
    for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(got[int64_t(i)], want[i]) << mode << " element " << i;
  }
  Model cosine(translateKerasModel(model({{"mode", "cos"}, {"dot_axes", 1}})).config);
  const float na = std::sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2] + a[3] * a[3]);
  const float nb = std::sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2] + b[3] * b[3]);
  EXPECT_NEAR(cosine.predict({a, b})[0][0], (a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]) / (na * nb), 1e-6);
  EXPECT_TRUE(throwsWith([&] { translateKerasModel(model({{"mode", {"4wEAAAAA", nullptr, nullptr}}, {"mode_type", "lambda"}})); },
                         {"merged (Merge): its mode is Python code (a function)"}));
}

}  // namespace
}  // namespace attn::keras_import_test
