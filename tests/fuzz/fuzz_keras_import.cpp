// libFuzzer target: the Keras importer on hostile model.json text (what loadKerasModel hands the
// core): its model and training configs are translated and built, with a zero weight of the right
// shape for every parameter, and the model runs once. Only attn::Error may come out; no crash,
// UB, hang or memory blow-up. Seeds: tests/fuzz/keras_corpus/ (TF.js and Keras 3 configs).
#include "fuzz/fuzz_common.h"
#include "io/keras_import.h"

namespace {

void importOne(const uint8_t* data, size_t size) {
  const attn::Json file = attn::Json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (file.is_discarded() || !file.is_object()) return;
  const attn::Json& topology = file.value("modelTopology", attn::Json::object());
  const attn::Json modelConfig = topology.is_object() && topology.contains("model_config") ? topology["model_config"] : topology;
  const attn::Json training = file.value("trainingConfig", attn::Json());
  try {
    // The translation alone, then the model with weights named after its own parameters.
    const attn::KerasImport translated = attn::translateKerasModel(modelConfig, training, file.value("customLayers", attn::Json::object()));
    attn::Model probe(translated.config);
    std::vector<attn::NamedTensor> weights;
    int64_t values = 0;
    for (const attn::LayerInfo& info : probe.layers())
      if (const attn::Layer* layer = probe.layer(info.name))
        for (const attn::Param* p : layer->params()) {
          values += p->shape.numel();
          if (values > (int64_t(1) << 22)) return;
          weights.push_back({p->name, attn::Tensor(p->shape)});
        }
    auto model = attn::importKerasModel(modelConfig, training, weights, file.value("customLayers", attn::Json::object()));
    std::vector<attn::Tensor> xs;
    for (int i = 0; i < model->inputCount(); ++i) {
      const attn::Shape s = model->inputShape(i).withBatch(2);
      if (s.numel() > attn::fuzz::kMaxProbeValues) return;
      xs.emplace_back(s);
    }
    model->predict(xs);
  } catch (const attn::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  importOne(data, size);
  return 0;
}
