// Keras' default layer names: "dense_1", "simple_rnn_2", "input_1", unique in a model.
#include <map>
#include <set>

#include "core/check.h"
#include "layers/registry.h"
#include "model/model.h"

namespace attn {

std::vector<std::string> defaultLayerNames(const std::vector<std::string>& classNames,
                                           const std::vector<std::string>& given) {
  std::set<std::string> taken;
  for (const auto& g : given)
    if (!g.empty()) {
      ATTN_CHECK(taken.insert(g).second, "model: the layer name '", g, "' is used twice (layer names must be unique)");
    }
  std::map<std::string, int> counters;
  std::vector<std::string> out(given.size());
  for (size_t i = 0; i < given.size(); ++i) {
    if (!given[i].empty()) {
      out[i] = given[i];
      continue;
    }
    const LayerType* type = findLayerType(classNames[i]);
    const std::string base =
        classNames[i] == "InputLayer" ? "input" : snakeCase(type ? type->className : classNames[i]);
    std::string name;
    do {
      name = base + "_" + std::to_string(++counters[base]);
    } while (taken.count(name));
    taken.insert(name);
    out[i] = name;
  }
  return out;
}

}  // namespace attn
