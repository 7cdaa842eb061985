// docs/API.md stays true: every registered layer factory and every option its layer writes back
// (defaults included) appears in it. The JS side (tests/js/api_reference.test.mjs) checks the
// package's functions and model methods.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "layers/registry.h"
#include "testing/layer_cases.h"

namespace attn::api_reference_test {
namespace {

std::string apiReference() {
  std::ifstream file(std::string(ATTN_SOURCE_DIR) + "/docs/API.md");
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(ApiReference, NamesEveryLayerFactoryAndOption) {
  const std::string doc = apiReference();
  ASSERT_FALSE(doc.empty()) << "docs/API.md is missing";
  for (const testing::LayerCase& c : testing::layerCases()) {
    EXPECT_NE(doc.find("`" + std::string(c.type) + "`"), std::string::npos) << "factory " << c.type;
    auto layer = createLayer(c.type, c.options);
    const Json options = layer->options();
    for (const auto& [key, value] : options.items())
      EXPECT_NE(doc.find("`" + key + "`"), std::string::npos) << c.type << " option " << key;
  }
  // The table covers every registered layer (LayerBoundary.TheTableNamesEveryRegisteredLayer).
  std::set<std::string> types;
  for (const testing::LayerCase& c : testing::layerCases()) types.insert(findLayerType(c.type)->className);
  EXPECT_EQ(types.size(), layerTypes().size());
}

}  // namespace
}  // namespace attn::api_reference_test
