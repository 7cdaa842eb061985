// The boundary every layer shares, owned by the Layer base: one case per registered layer type
// (the table must name them all), each checked for the same wording on a wrong input count,
// a batch that does not fit the built shape, inputs that disagree on the batch size, and a mask
// that does not fit its input; and for still working after each refusal.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "layers/layer_test_util.h"
#include "testing/layer_cases.h"
#include "layers/registry.h"
#include "testing/layer_harness.h"

namespace attn::layer_boundary_test {
namespace {

using testing::LayerHarness;
using testing::makeLayer;
using testing::throwsWith;


using testing::LayerCase;
using testing::layerCases;

std::string named(const LayerCase& c) { return "b_" + c.name; }

TEST(LayerBoundary, TheTableNamesEveryRegisteredLayer) {
  std::set<std::string> inTable;
  for (const LayerCase& c : layerCases()) inTable.insert(findLayerType(c.type)->className);
  for (const LayerType* type : layerTypes()) EXPECT_TRUE(inTable.count(type->className)) << type->className;
}

class LayerBoundary : public ::testing::TestWithParam<LayerCase> {
 protected:
  std::unique_ptr<LayerHarness> harness() {
    const LayerCase& c = GetParam();
    Json options = c.options;
    options["name"] = named(c);
    auto h = std::make_unique<LayerHarness>(makeLayer(c.type, options), c.shapes, 2);
    if (c.ids > 0) h->fillIds(0, 0, c.ids);
    return h;
  }
  // "input", or the name the layer gives input `index` when it has several.
  static std::string role(const LayerCase& c, int index) {
    static const std::set<std::string> keyed = {"additiveAttention", "dotAttention", "multiHeadAttention"};
    if (keyed.count(c.type)) return index == 0 ? "query" : index == 1 ? "value" : "key";
    return c.shapes.size() == 1 ? "input" : "input " + std::to_string(index);
  }
};

TEST_P(LayerBoundary, RejectsTheWrongNumberOfInputsAtBuild) {
  const LayerCase& c = GetParam();
  auto layer = makeLayer(c.type, c.options);
  ParamStore store;
  EXPECT_TRUE(throwsWith([&] { layer->build({}, store); }, {": expected ", " input", ", got 0"}));
  // The merge layers take any number of inputs from 2 up; every other layer has a maximum.
  static const std::set<std::string> anyCount = {"add", "average", "concatenate", "maximum", "multiply"};
  if (anyCount.count(c.type)) {
    EXPECT_TRUE(throwsWith([&] { layer->build({c.shapes[0]}, store); }, {": expected at least 2 inputs, got 1"}));
    return;
  }
  std::vector<Shape> tooMany = c.shapes;
  tooMany.insert(tooMany.end(), {c.shapes[0], c.shapes[0], c.shapes[0]});
  EXPECT_TRUE(throwsWith([&] { layer->build(tooMany, store); },
                         {": expected ", " input", ", got " + std::to_string(tooMany.size())}));
}

TEST_P(LayerBoundary, RejectsABatchThatDoesNotFitTheBuiltShape) {
  const LayerCase& c = GetParam();
  std::unique_ptr<LayerHarness> owned = harness();
  LayerHarness& h = *owned;
  h.forward();  // the built shapes pass
  const int last = static_cast<int>(c.shapes.size()) - 1;
  Shape wrong = h.inputs[last].shape();
  wrong[-1] += 1;
  const Shape built = h.inputs[last].shape();
  h.inputs[last] = Tensor(wrong);
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {named(c) + ": expected " + role(c, last) + " of shape " +
                                                    c.shapes[last].str(true) + ", got " + wrong.str()}));
  h.inputs[last] = Tensor(built);
  EXPECT_NO_THROW(h.forward());
  if (c.shapes.size() > 1) {
    h.inputs[last] = Tensor(c.shapes[last].withBatch(3));
    EXPECT_TRUE(throwsWith([&] { h.forward(); }, {named(c) + ": inputs disagree on the batch size"}));
  }
}

TEST_P(LayerBoundary, RejectsAMaskThatDoesNotFitItsInput) {
  const LayerCase& c = GetParam();
  std::unique_ptr<LayerHarness> owned = harness();
  LayerHarness& h = *owned;
  const int last = static_cast<int>(c.shapes.size()) - 1;
  // A mask is (batch, steps): the first two dimensions of the batch tensor it masks.
  const int steps = h.inputs[last].dim(1);
  h.masks[last] = Tensor(Shape{2, steps + 1});
  const std::string forInput = c.shapes.size() == 1 ? "" : " for " + role(c, last);
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {named(c) + ": expected a mask of shape " + Shape{2, steps}.str() +
                                                    forInput + ", got " + Shape{2, steps + 1}.str()}));
  // The module keeps working: the right mask goes through.
  h.masks[last] = Tensor(Shape{2, steps});
  h.masks[last].fill(1.f);
  EXPECT_NO_THROW(h.forward());
}

// The option list a layer declares once both reads and writes: what options() writes (defaults
// included) creates the same layer again, and a key the list does not know is refused by name.
TEST_P(LayerBoundary, OptionsRoundTripAndUnknownKeysAreRefused) {
  const LayerCase& c = GetParam();
  const Json written = makeLayer(c.type, c.options)->options();
  EXPECT_EQ(makeLayer(c.type, written)->options(), written);
  Json misspelt = c.options;
  misspelt["unitz"] = 3;
  EXPECT_TRUE(throwsWith([&] { makeLayer(c.type, misspelt); }, {": unknown option 'unitz' (known: "}));
}

// The same table drives the gradient check, the accumulate-don't-overwrite rule and the
// no-allocation rule for every layer, unmasked and with the tail of each sequence padded.
TEST_P(LayerBoundary, GradientsAccumulationAndNoAllocationOverTheTable) {
  const LayerCase& c = GetParam();
  for (bool masked : {false, true}) {
    SCOPED_TRACE(masked ? "masked" : "unmasked");
    std::unique_ptr<LayerHarness> owned = harness();
    LayerHarness& h = *owned;
    if (masked)
      for (size_t i = 0; i < c.shapes.size(); ++i)
        if (h.inputs[i].rank() >= 3 || (c.ids > 0 && h.inputs[i].rank() == 2)) h.maskTail(static_cast<int>(i), {1, 0});
    testing::GradCheckOptions check;
    check.epsilon = c.epsilon;
    EXPECT_TRUE(testing::gradientsMatch(h, check));
    EXPECT_TRUE(testing::backwardAccumulates(h));
    EXPECT_EQ(testing::allocationsAfterFirstBatch(h), 0);
    EXPECT_EQ(testing::allocationsAfterFirstBatch(h, /*training=*/true), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryLayer, LayerBoundary, ::testing::ValuesIn(layerCases()),
                         [](const ::testing::TestParamInfo<LayerCase>& info) { return info.param.name; });

}  // namespace
}  // namespace attn::layer_boundary_test
