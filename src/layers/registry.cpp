#include "layers/registry.h"

#include <cctype>
#include <map>

#include "core/check.h"

namespace attn {
namespace {

// Function-local so registration from other translation units' static initializers is safe.
std::vector<LayerType>& registry() {
  static std::vector<LayerType> types;
  return types;
}

}  // namespace

bool registerLayerType(const LayerType& type) {
  registry().push_back(type);
  return true;
}

const LayerType* findLayerType(const std::string& name) {
  for (const auto& t : registry())
    if (name == t.factoryName || name == t.className) return &t;
  return nullptr;
}

std::vector<const LayerType*> layerTypes() {
  std::vector<const LayerType*> out;
  for (const auto& t : registry()) out.push_back(&t);
  return out;
}

std::string snakeCase(const std::string& className) {
  std::string out;
  for (size_t i = 0; i < className.size(); ++i) {
    char c = className[i];
    bool upper = std::isupper(static_cast<unsigned char>(c));
    if (upper && i > 0) {
      char prev = className[i - 1];
      bool nextLower = i + 1 < className.size() && std::islower(static_cast<unsigned char>(className[i + 1]));
      if (std::islower(static_cast<unsigned char>(prev)) || (std::isupper(static_cast<unsigned char>(prev)) && nextLower))
        out += '_';
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::unique_ptr<Layer> createLayer(const std::string& typeName, const Json& options) {
  const LayerType* type = findLayerType(typeName);
  if (!type) {
    std::string known;
    for (const auto& t : registry()) known += (known.empty() ? "" : ", ") + std::string(t.factoryName);
    fail("unknown layer type '", typeName, "' (known: ", known, ")");
  }
  ATTN_CHECK(options.is_object() || options.is_null(), type->factoryName, ": options must be an object, got ",
             options.dump());
  Json rest = options.is_null() ? Json::object() : options;
  std::string name = snakeCase(type->className);
  if (rest.contains("name")) {
    ATTN_CHECK(rest["name"].is_string() && !rest["name"].get<std::string>().empty(), type->factoryName,
               ": option 'name' must be a non-empty string, got ", rest["name"].dump());
    name = rest["name"].get<std::string>();
    rest.erase("name");
  }
  return type->create(rest, name);
}

std::unique_ptr<Layer> createLayer(const Json& spec) {
  ATTN_CHECK(spec.is_object() && spec.contains("className") && spec["className"].is_string(),
             "layer spec must be {className, config}, got ", spec.dump());
  return createLayer(spec["className"].get<std::string>(), spec.value("config", Json::object()));
}

Json layerSpec(const Layer& layer) {
  Json config = Json::object();
  config["name"] = layer.name();
  // Keep the options alive: a range-for over items() of a temporary would read freed memory.
  const Json options = layer.options();
  for (auto& [key, value] : options.items()) config[key] = value;
  return Json{{"className", layer.className()}, {"config", config}};
}

}  // namespace attn
