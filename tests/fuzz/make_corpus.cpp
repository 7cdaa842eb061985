// Writes the fuzz seed corpus: small valid model files of different architectures (so the
// fuzzer starts from every parser path and every layer's config reader) and a few invalid ones.
//   build/fuzz/fuzz_make_corpus tests/fuzz/corpus
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "io/model_file.h"
#include "model/model.h"

using attn::Json;

namespace {

void write(const std::string& dir, const std::string& name, const std::vector<uint8_t>& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  std::printf("%-28s %6zu bytes\n", name.c_str(), bytes.size());
}

Json layer(const char* cls, Json config) { return Json{{"className", cls}, {"config", std::move(config)}}; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus directory>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  using attn::layers::apply;

  // Dense MLP, compiled with Adam: the optimizer-state section is present.
  auto mlp = attn::sequentialModel({layer("Dense", {{"units", 3}, {"activation", "relu"}, {"inputShape", {2}}}),
                                    layer("Dense", {{"units", 1}, {"activation", "sigmoid"}})});
  mlp->compile({{"optimizer", "adam"}, {"loss", "binaryCrossentropy"}, {"metrics", {"accuracy"}}});
  write(dir, "valid_mlp_adam.atwm", attn::saveModel(*mlp));
  write(dir, "valid_mlp_no_optimizer.atwm", attn::saveModel(*mlp, false));

  // LSTM + Luong attention (many-to-one).
  {
    auto x = attn::input({3, 2});
    auto h = apply("lstm", {{"units", 2}, {"returnSequences", true}}, x);
    auto c = apply("attention", {{"units", 2}, {"name", "attn"}}, h);
    auto y = apply("dense", {{"units", 1}}, c);
    write(dir, "valid_lstm_attention.atwm", attn::saveModel(*attn::functionalModel({x}, {y})));
  }
  // Embedding with maskZero + GRU + additive self-attention, compiled with SGD.
  {
    auto model = attn::sequentialModel(
        {layer("Embedding", {{"inputDim", 5}, {"outputDim", 2}, {"maskZero", true}, {"inputShape", {3}}}),
         layer("GRU", {{"units", 2}, {"returnSequences", true}}),
         layer("AdditiveSelfAttention", {{"returnSequences", false}}),
         layer("Dense", {{"units", 2}, {"activation", "softmax"}})});
    model->compile({{"optimizer", "sgd"}, {"loss", "sparseCategoricalCrossentropy"}});
    write(dir, "valid_embedding_gru_selfattn.atwm", attn::saveModel(*model));
  }
  // Two inputs: dot attention (query, value) and a concatenation; two outputs, RMSprop.
  {
    auto q = attn::input({2, 2}, "query");
    auto v = attn::input({3, 2}, "value");
    auto a = apply("dotAttention", {{"useScale", true}}, {q, v});
    auto m = apply("concatenate", {{"axis", -1}}, {a, q});
    auto f = apply("flatten", Json::object(), m);
    auto y1 = apply("dense", {{"units", 1}, {"name", "reg"}}, f);
    auto y2 = apply("dense", {{"units", 2}, {"activation", "softmax"}, {"name", "cls"}}, f);
    auto model = attn::functionalModel({q, v}, {y1, y2});
    model->compile({{"optimizer", "rmsprop"}, {"loss", {"mse", "categoricalCrossentropy"}}});
    write(dir, "valid_two_inputs_dot_attention.atwm", attn::saveModel(*model));
  }
  // Multi-head attention, layer normalization, time-distributed dense, pooling.
  {
    auto x = attn::input({2, 2});
    auto a = apply("multiHeadAttention", {{"numHeads", 2}, {"keyDim", 1}}, {x, x});
    auto n = apply("layerNormalization", Json::object(), a);
    auto t = apply("timeDistributed", {{"layer", layer("Dense", {{"units", 2}})}}, n);
    auto p = apply("globalAveragePooling1D", Json::object(), t);
    write(dir, "valid_multi_head.atwm", attn::saveModel(*attn::functionalModel({x}, {p})));
  }
  // Bidirectional LSTM, time attention, batch normalization, reshape / permute / repeat.
  {
    auto model = attn::sequentialModel(
        {layer("Bidirectional", {{"layer", layer("LSTM", {{"units", 1}, {"returnSequences", true}})},
                                 {"mergeMode", "concat"}, {"inputShape", {2, 1}}}),
         layer("TimeAttention", {{"singleVector", false}}), layer("Permute", {{"dims", {2, 1}}}),
         layer("Reshape", {{"targetShape", {4}}}), layer("BatchNormalization", Json::object()),
         layer("RepeatVector", {{"n", 2}}), layer("SimpleRNN", {{"units", 1}})});
    write(dir, "valid_bidirectional.atwm", attn::saveModel(*model));
  }

  // Invalid seeds: empty, magic only, wrong version, truncated.
  const std::vector<uint8_t> good = attn::saveModel(*mlp);
  write(dir, "invalid_empty", {});
  write(dir, "invalid_magic_only", {'A', 'T', 'W', 'M'});
  std::vector<uint8_t> version = good;
  version[4] = 2;
  write(dir, "invalid_version", version);
  write(dir, "invalid_truncated", std::vector<uint8_t>(good.begin(), good.begin() + good.size() / 2));
  return 0;
}
