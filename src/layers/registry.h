// Layer types by name. Each layer's .cpp registers itself with ATTN_REGISTER_LAYER, so adding a
// layer touches no other file. A layer spec is Keras-like JSON:
//   {"className": "Dense", "config": {"units": 4, "activation": "relu", "name": "dense_1"}}
// where className may also be the factory name of API.md ("dense", "lstm", "simpleRNN").
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/json.h"
#include "layers/layer.h"

namespace attn {

using LayerFactory = std::unique_ptr<Layer> (*)(const Json& options, const std::string& name);

struct LayerType {
  const char* factoryName;  // "dense", as in API.md
  const char* className;    // "Dense", as Keras
  LayerFactory create;
};

bool registerLayerType(const LayerType& type);
const LayerType* findLayerType(const std::string& factoryOrClassName);
std::vector<const LayerType*> layerTypes();

// Creates a layer from its type name and options. Options may hold "name"; without it the layer
// is named after its type (snake_case, as Keras: "dense", "simple_rnn") until a model renames it.
std::unique_ptr<Layer> createLayer(const std::string& type, const Json& options);
// From a spec {"className", "config"}.
std::unique_ptr<Layer> createLayer(const Json& spec);
// {"className": ..., "config": {...options, "name": ...}}.
Json layerSpec(const Layer& layer);
// "SimpleRNN" -> "simple_rnn", "GlobalAveragePooling1D" -> "global_average_pooling1d".
std::string snakeCase(const std::string& className);

}  // namespace attn

#define ATTN_REGISTER_LAYER(Class, factoryName, className)                                                \
  namespace {                                                                                            \
  const bool registered_##Class = ::attn::registerLayerType(                                             \
      {factoryName, className, [](const ::attn::Json& options, const std::string& name) -> std::unique_ptr<::attn::Layer> { \
         auto layer = std::make_unique<Class>(name);                                                     \
         layer->readOptions(options);                                                                    \
         return layer;                                                                                   \
       }});                                                                                              \
  }
