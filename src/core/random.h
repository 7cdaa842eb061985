// Rng: a small seeded generator (xoshiro128**, seeded through splitmix64). Same seed, same
// sequence on every platform; all randomness in the library (initializers, dropout, shuffling)
// draws from one of these.
#pragma once
#include <cstdint>

namespace attn {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0x5eed);
  void seed(uint64_t seed);

  uint32_t nextU32();
  // Uniform in [0, 1) with 24 bits of precision.
  float uniform();
  float uniform(float low, float high) { return low + (high - low) * uniform(); }
  // Standard normal (Box-Muller).
  float normal();
  // Normal truncated to two standard deviations, as Keras' TruncatedNormal.
  float truncatedNormal();
  // Uniform integer in [0, n).
  uint32_t below(uint32_t n);
  // A fresh seed for an independent stream (e.g. per-layer dropout streams).
  uint64_t split();

 private:
  uint32_t s_[4];
  bool hasSpare_ = false;
  float spare_ = 0.f;
};

}  // namespace attn
