// The one masked softmax every attention layer uses, against a naive double-precision reference
// that simply leaves the masked keys out of each softmax.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "attention/masked_softmax.h"
#include "core/random.h"

namespace attn::attention {
namespace {

struct Case {
  const char* name;
  SoftmaxShape shape;
  bool queryMask = false, keyMask = false, secondKeyMask = false, causal = false;
};

// keep[b * n + i], with whole rows masked in batch 0 (every key) when `allOfBatch0` is set.
std::vector<float> randomMask(Rng& rng, int batch, int n, bool allOfBatch0) {
  std::vector<float> keep(size_t(batch) * n);
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < n; ++i) keep[size_t(b) * n + i] = allOfBatch0 && b == 0 ? 0.f : (rng.uniform() < 0.3f ? 0.f : 1.f);
  // Any nonzero value keeps a step, as Keras casts masks to bool.
  if (!keep.empty() && !allOfBatch0) keep.back() = 2.f;
  return keep;
}

// softmax over the attended keys of each (b, g, i, inner) column, 0 elsewhere and where none is.
std::vector<double> reference(const std::vector<float>& scores, const SoftmaxShape& s, const ScoreMask& m) {
  std::vector<double> out(scores.size(), 0.0);
  for (int b = 0; b < s.batch; ++b)
    for (int g = 0; g < s.groups; ++g)
      for (int i = 0; i < s.queries; ++i)
        for (int d = 0; d < s.inner; ++d) {
          auto at = [&](int j) { return ((((size_t(b) * s.groups + g) * s.queries + i) * s.keys) + j) * s.inner + d; };
          auto attends = [&](int j) {
            if (m.queryMask && m.queryMask[size_t(b) * s.queries + i] == 0.f) return false;
            if (m.causal && j > i) return false;
            if (m.keyMask && m.keyMask[size_t(b) * s.keys + j] == 0.f) return false;
            if (m.secondKeyMask && m.secondKeyMask[size_t(b) * s.keys + j] == 0.f) return false;
            return true;
          };
          double top = -INFINITY, total = 0;
          for (int j = 0; j < s.keys; ++j)
            if (attends(j)) top = std::max(top, double(scores[at(j)]));
          for (int j = 0; j < s.keys; ++j)
            if (attends(j)) total += std::exp(scores[at(j)] - top);
          for (int j = 0; j < s.keys; ++j)
            if (attends(j)) out[at(j)] = std::exp(scores[at(j)] - top) / total;
        }
  return out;
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class MaskedSoftmax : public ::testing::TestWithParam<Case> {};

TEST_P(MaskedSoftmax, MatchesTheSoftmaxOverAttendedKeysOnly) {
  const Case& c = GetParam();
  const SoftmaxShape& s = c.shape;
  Rng rng(17);
  std::vector<float> scores(size_t(s.batch) * s.groups * s.queries * s.keys * s.inner);
  // Scores far from 0, some very negative: the masked fill must stay below every real score.
  for (float& x : scores) x = rng.normal() * 30.f - (rng.uniform() < 0.1f ? 1e4f : 0.f);
  const std::vector<float> queryKeep = randomMask(rng, s.batch, s.queries, false);
  const std::vector<float> keyKeep = randomMask(rng, s.batch, s.keys, true);
  const std::vector<float> secondKeep = randomMask(rng, s.batch, s.keys, false);
  ScoreMask mask{c.queryMask ? queryKeep.data() : nullptr, c.keyMask ? keyKeep.data() : nullptr,
                 c.secondKeyMask ? secondKeep.data() : nullptr, c.causal};
  const std::vector<double> expected = reference(scores, s, mask);

  const std::vector<float> original = scores;
  std::vector<float> weights(scores.size(), -7.f);
  maskedSoftmax(scores.data(), weights.data(), s, mask);
  EXPECT_EQ(scores, original) << "the scores must be left untouched";
  for (size_t k = 0; k < weights.size(); ++k) {
    ASSERT_TRUE(std::isfinite(weights[k])) << "weight " << k;
    if (expected[k] == 0.0)
      ASSERT_EQ(weights[k], 0.f) << "masked weight " << k << " must be exactly 0";
    else
      ASSERT_NEAR(weights[k], expected[k], 1e-6) << "weight " << k;
  }

  // In place (weights aliasing scores) gives the same weights.
  std::vector<float> inPlace = original;
  maskedSoftmax(inPlace.data(), inPlace.data(), s, mask);
  EXPECT_EQ(inPlace, weights);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MaskedSoftmax,
    ::testing::Values(Case{"plain", {3, 1, 1, 7, 1}},
                      Case{"key_mask_with_a_fully_masked_row", {4, 1, 1, 6, 1}, false, true},
                      Case{"per_feature_over_time", {3, 1, 1, 5, 4}, false, true},
                      Case{"queries_and_causal", {2, 1, 5, 5, 1}, false, false, false, true},
                      Case{"causal_more_keys_than_queries", {2, 1, 3, 6, 1}, false, true, false, true},
                      Case{"heads_query_and_two_key_masks", {3, 2, 4, 6, 1}, true, true, true, true}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace attn::attention
