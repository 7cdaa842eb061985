// Keras models into the library: a Keras model config (Keras 2, tf.keras 2 or Keras 3 spelling,
// as .h5 files, .keras files and TF.js model.json carry it), its training config and its weights
// become a Model with the user's layer names and Keras' weights. The file containers (zip, HDF5,
// TF.js shards) are read by the caller; everything about what the config means is here.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/json.h"
#include "model/model.h"

namespace attn {

struct KerasImport {
  Json config;                        // our model config (Sequential or functional)
  Json compile;                       // our compile options from the training config, or null
  std::vector<std::string> warnings;  // options dropped because they act only in training
  std::vector<std::string> mapped;    // layers mapped by customLayers: their weights go by order
  std::vector<std::string> cudnn;     // CuDNNLSTM / CuDNNGRU layers: their weights are converted
  // Keras layers folded into one of ours (the attention package's pre-v5 subgraph): their
  // weights go to it, before its own.
  std::map<std::string, std::string> fusedInto;
  // Per layer with a place in the weights file, in config order: its name and the group Keras 3's
  // .keras files store its weights under ("layers/dense_1": snake-cased class, per-class counter).
  std::vector<std::pair<std::string, std::string>> keras3Groups;
};

// Keras' CuDNNLSTM / CuDNNGRU weights [kernel (D, gU), recurrent (U, gU), bias (2gU)] as the
// plain layer's, the way Keras converts them on load (legacy saving's _convert_rnn_weights):
// per gate, the kernel block is read as its transpose laid out column-major and the recurrent
// block is transposed; LSTM sums the input and recurrent biases, GRU keeps both as (2, 3U).
void convertCudnnWeights(int gates, std::vector<NamedTensor>& weights);

// Translates every layer; what cannot be imported (a Lambda, an unknown class, an option value
// the library does not have) is refused with one attn::Error listing every culprit by layer name
// and class. customLayers maps a custom class name onto a library layer:
// {"MyAttention": {"className": "attention", "config": {...}}} (its config replaces the file's).
KerasImport translateKerasModel(const Json& modelConfig, const Json& trainingConfig = Json(),
                                const Json& customLayers = Json::object());

// The model built from the translation, compiled when the file has a training config, with the
// weights set. Keras 2 / TF.js names: each layer takes, in order, the weights whose names start
// with its Keras name ("lstm/lstm_cell/kernel:0", "lstm/kernel"). Keras 3 paths
// ("layers/lstm/cell/vars/0"): each layer takes its group's, ordered by sub-layer (as the layer
// declares them, not alphabetically) and by variable number. Counts and shapes are checked.
std::unique_ptr<Model> importKerasModel(const Json& modelConfig, const Json& trainingConfig,
                                        const std::vector<NamedTensor>& weights, const Json& customLayers,
                                        std::vector<std::string>* warnings = nullptr);

}  // namespace attn
