// Shared helpers for the kernel tests: random buffers and an element-wise closeness check that
// names the first offending index.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/random.h"

namespace attn::testing_kernels {

inline std::vector<float> randomVector(int64_t n, Rng& rng, float scale = 1.f) {
  std::vector<float> v(n);
  for (auto& x : v) x = scale * rng.normal();
  return v;
}

// |got - want| <= rel * |want| + abs, with NaN matching NaN and infinities matching exactly.
inline ::testing::AssertionResult allClose(const float* got, const float* want, int64_t n, double rel, double abs) {
  for (int64_t i = 0; i < n; ++i) {
    const double g = got[i], w = want[i];
    if (std::isnan(w) || std::isnan(g)) {
      if (std::isnan(w) && std::isnan(g)) continue;
    } else if (std::isinf(w) || std::isinf(g)) {
      if (g == w) continue;
    } else if (std::fabs(g - w) <= rel * std::fabs(w) + abs) {
      continue;
    }
    return ::testing::AssertionFailure() << "at index " << i << " of " << n << ": got " << got[i] << ", want "
                                         << want[i] << " (diff " << (g - w) << ")";
  }
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult allClose(const std::vector<float>& got, const std::vector<float>& want, double rel,
                                           double abs) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "size " << got.size() << " vs " << want.size();
  return allClose(got.data(), want.data(), static_cast<int64_t>(got.size()), rel, abs);
}

}  // namespace attn::testing_kernels
