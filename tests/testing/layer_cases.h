// The layer-case table (tests/layer_cases.json, whose "about" says what each column drives): one
// row per case, every registered layer type at least once. The boundary, gradient, accumulation
// and no-allocation tests and the API reference test run over it here; scripts/make-goldens.mjs
// writes the TF.js parity goldens of its `golden` rows and bench/bench_layers.cpp times its
// `perf` rows. A test fails when a registered layer is missing from it.
#pragma once
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/shape.h"

namespace attn::testing {

struct LayerCase {
  std::string name;           // unique: the row's "name", or its type
  std::string type;           // a registered factory or class name
  Json options;
  std::vector<Shape> shapes;  // per sample; at least one input has a time axis
  int ids = 0;                // Embedding: integer inputs in [0, ids); 0: real inputs
  float epsilon = 1e-2f;      // the gradient check's finite-difference step
  Json golden;                // null, or the TF.js parity case
  Json perf;                  // null, or the benchmark
};

// gtest prints a case by its name.
inline void PrintTo(const LayerCase& c, std::ostream* os) { *os << c.name; }

// Every row (ATTN_SOURCE_DIR/tests/layer_cases.json), read once.
inline const std::vector<LayerCase>& layerCases() {
  static const std::vector<LayerCase> cases = [] {
    std::ifstream file(std::string(ATTN_SOURCE_DIR) + "/tests/layer_cases.json");
    const Json table = Json::parse(file);
    std::vector<LayerCase> out;
    for (const Json& row : table.at("cases")) {
      LayerCase c;
      c.type = row.at("type").get<std::string>();
      c.name = row.value("name", c.type);
      c.options = row.at("options");
      for (const Json& shape : row.at("shapes")) c.shapes.emplace_back(shape.get<std::vector<int>>());
      c.ids = row.value("ids", 0);
      c.epsilon = row.value("epsilon", 1e-2f);
      c.golden = row.value("golden", Json());
      c.perf = row.value("perf", Json());
      out.push_back(std::move(c));
    }
    return out;
  }();
  return cases;
}

}  // namespace attn::testing
