// The layer-case table: one small, valid case per registered layer type (type, options, per-sample
// input shapes). The boundary tests and the API reference test run over it; a test fails when a
// registered layer is missing from it.
#pragma once
#include <ostream>
#include <vector>

#include "core/json.h"
#include "core/shape.h"

namespace attn::testing {

struct LayerCase {
  const char* type;
  Json options;
  std::vector<Shape> shapes;  // per sample; at least one input has a time axis
  bool ids = false;           // Embedding: integer inputs
};

// gtest prints a case by its type.
inline void PrintTo(const LayerCase& c, std::ostream* os) { *os << c.type; }

inline Json lstmSpec() { return Json{{"className", "LSTM"}, {"config", {{"units", 3}, {"returnSequences", true}}}}; }

inline std::vector<LayerCase> layerCases() {
  return {
      {"activation", {{"activation", "tanh"}}, {Shape{4, 3}}},
      {"add", Json::object(), {Shape{4, 3}, Shape{4, 3}}},
      {"attention", {{"units", 5}}, {Shape{4, 3}}},
      {"additiveAttention", Json::object(), {Shape{2, 3}, Shape{4, 3}}},
      {"additiveSelfAttention", Json::object(), {Shape{4, 3}}},
      {"batchNormalization", Json::object(), {Shape{4, 3}}},
      {"bidirectional", {{"layer", lstmSpec()}}, {Shape{4, 3}}},
      {"concatenate", Json::object(), {Shape{4, 3}, Shape{4, 2}}},
      {"dense", {{"units", 2}}, {Shape{4, 3}}},
      {"dot", {{"axes", 2}}, {Shape{4, 3}, Shape{4, 3}}},
      {"dotAttention", Json::object(), {Shape{2, 3}, Shape{4, 3}}},
      {"dropout", {{"rate", 0.5}}, {Shape{4, 3}}},
      {"embedding", {{"inputDim", 9}, {"outputDim", 3}}, {Shape{4}}, true},
      {"featureAttention", Json::object(), {Shape{3}}},
      {"flatten", Json::object(), {Shape{4, 3}}},
      {"globalAveragePooling1D", Json::object(), {Shape{4, 3}}},
      {"gru", {{"units", 3}}, {Shape{4, 3}}},
      {"lambdaSum", {{"axis", 1}}, {Shape{4, 3}}},
      {"layerNormalization", Json::object(), {Shape{4, 3}}},
      {"lstm", {{"units", 3}}, {Shape{4, 3}}},
      {"multiHeadAttention", {{"numHeads", 2}, {"keyDim", 2}}, {Shape{2, 3}, Shape{4, 3}}},
      {"multiply", Json::object(), {Shape{4, 3}, Shape{4, 3}}},
      {"permute", {{"dims", {2, 1}}}, {Shape{4, 3}}},
      {"repeatVector", {{"n", 2}}, {Shape{3}}},
      {"reshape", {{"targetShape", {12}}}, {Shape{4, 3}}},
      {"simpleRNN", {{"units", 3}}, {Shape{4, 3}}},
      {"timeAttention", Json::object(), {Shape{4, 3}}},
      {"timeDistributed", {{"layer", {{"className", "Dense"}, {"config", {{"units", 2}}}}}}, {Shape{4, 3}}},
  };
}

}  // namespace attn::testing
