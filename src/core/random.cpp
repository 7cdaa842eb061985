#include "core/random.h"

#include <cmath>

namespace attn {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

}  // namespace

Rng::Rng(uint64_t seed) { this->seed(seed); }

void Rng::seed(uint64_t seed) {
  uint64_t state = seed;
  uint64_t a = splitmix64(state), b = splitmix64(state);
  s_[0] = static_cast<uint32_t>(a);
  s_[1] = static_cast<uint32_t>(a >> 32);
  s_[2] = static_cast<uint32_t>(b);
  s_[3] = static_cast<uint32_t>(b >> 32);
  hasSpare_ = false;
}

uint32_t Rng::nextU32() {
  uint32_t result = rotl(s_[1] * 5, 7) * 9;
  uint32_t t = s_[1] << 9;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 11);
  return result;
}

float Rng::uniform() { return static_cast<float>(nextU32() >> 8) * (1.0f / 16777216.0f); }

float Rng::normal() {
  if (hasSpare_) {
    hasSpare_ = false;
    return spare_;
  }
  // u1 in (0, 1] so that log(u1) is finite.
  double u1 = (static_cast<double>(nextU32() >> 8) + 1.0) / 16777216.0;
  double u2 = static_cast<double>(nextU32() >> 8) / 16777216.0;
  double radius = std::sqrt(-2.0 * std::log(u1));
  double angle = 6.283185307179586 * u2;
  spare_ = static_cast<float>(radius * std::sin(angle));
  hasSpare_ = true;
  return static_cast<float>(radius * std::cos(angle));
}

float Rng::truncatedNormal() {
  for (;;) {
    float z = normal();
    if (std::fabs(z) <= 2.0f) return z;
  }
}

uint32_t Rng::below(uint32_t n) {
  // Lemire's multiply-shift with rejection: unbiased.
  uint64_t m = static_cast<uint64_t>(nextU32()) * n;
  uint32_t low = static_cast<uint32_t>(m);
  if (low < n) {
    uint32_t threshold = static_cast<uint32_t>(-n) % n;
    while (low < threshold) {
      m = static_cast<uint64_t>(nextU32()) * n;
      low = static_cast<uint32_t>(m);
    }
  }
  return static_cast<uint32_t>(m >> 32);
}

uint64_t Rng::split() { return (static_cast<uint64_t>(nextU32()) << 32) | nextU32(); }

}  // namespace attn
