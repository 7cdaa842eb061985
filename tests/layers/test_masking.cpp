// Masking and SpatialDropout1D beyond the table: the mask Masking makes reaches the layers after
// it (an LSTM then ignores padded steps of a numeric series), and SpatialDropout1D drops whole
// channels.
#include <gtest/gtest.h>

#include "layer_test_util.h"
#include "model/model.h"

namespace attn::masking_test {
namespace {

using namespace testing;

TEST(Masking, MasksTheStepsWhoseFeaturesAllEqualMaskValue) {
  LayerHarness h(makeLayer("masking", {{"maskValue", -1}}), {Shape{3, 2}}, 1);
  const float x[] = {-1, -1, -1, 4, 0, -1};  // step 0 all -1: masked; steps 1, 2 kept
  std::copy(x, x + 6, h.inputs[0].data());
  const Tensor* mask = forwardMask(h);
  ASSERT_NE(mask, nullptr);
  EXPECT_EQ((std::vector<float>(mask->data(), mask->data() + 3)), (std::vector<float>{0, 1, 1}));
  const Tensor& y = h.layer().output();
  EXPECT_EQ((std::vector<float>(y.data(), y.data() + 6)), (std::vector<float>{0, 0, -1, 4, 0, -1}));
}

// A series padded with zeros gives the LSTM the same answer as the same series unpadded.
TEST(Masking, AnLstmAfterItSkipsThePaddedSteps) {
  auto lstmModel = [](int steps, bool masking) {
    std::vector<Json> layers;
    if (masking) layers.push_back({{"className", "Masking"}, {"config", {{"inputShape", {steps, 2}}}}});
    Json lstm = {{"className", "LSTM"}, {"config", {{"units", 3}}}};
    if (!masking) lstm["config"]["inputShape"] = {steps, 2};
    layers.push_back(lstm);
    return sequentialModel(layers);
  };
  auto padded = lstmModel(5, true);
  auto plain = lstmModel(3, false);
  plain->setWeights(padded->getWeights());
  Tensor shortSeries(Shape{1, 3, 2}), longSeries(Shape{1, 5, 2});
  longSeries.zero();
  for (int i = 0; i < 6; ++i) shortSeries[i] = longSeries[i] = 0.3f * float(i + 1);
  const Tensor a = padded->predict({longSeries})[0];
  const Tensor b = plain->predict({shortSeries})[0];
  for (int u = 0; u < 3; ++u) EXPECT_FLOAT_EQ(a[u], b[u]);
  // Without the masking layer the zeros would change the answer.
  auto unmasked = lstmModel(5, false);
  unmasked->setWeights(padded->getWeights());
  EXPECT_NE(unmasked->predict({longSeries})[0][0], b[0]);
}

TEST(SpatialDropout1D, DropsWholeChannelsInTrainingOnly) {
  const float rate = 0.4f;
  LayerHarness h(makeLayer("spatialDropout1D", {{"rate", rate}}), {Shape{6, 50}}, 8);
  h.forward(true);
  const Tensor& y = h.layer().output();
  int dropped = 0;
  for (int b = 0; b < 8; ++b)
    for (int c = 0; c < 50; ++c) {
      const bool channelDropped = y[(b * 6) * 50 + c] == 0.f;
      dropped += channelDropped;
      for (int t = 0; t < 6; ++t) {
        const int64_t i = (b * 6 + t) * 50 + c;
        EXPECT_FLOAT_EQ(y[i], channelDropped ? 0.f : h.inputs[0][i] / (1 - rate)) << "b " << b << " t " << t << " c " << c;
      }
    }
  EXPECT_NEAR(dropped / 400.0, rate, 0.075);  // 400 draws: 3 sigma is about 0.074
  h.forward(false);
  for (int64_t i = 0; i < y.size(); ++i) EXPECT_EQ(y[i], h.inputs[0][i]);
  // The mask passes through.
  h.maskTail(0, {2, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(forwardMask(h, true), &h.masks[0]);
  EXPECT_TRUE(throwsWith([] { makeLayer("spatialDropout1D", {{"rate", 1.0}}); }, {"'rate' must be in [0, 1)"}));
}

}  // namespace
}  // namespace attn::masking_test
