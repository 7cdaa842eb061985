// Shape: a fixed-capacity list of dimensions (no heap), row-major, batch first where a batch exists.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace attn {

constexpr int kMaxRank = 6;

struct Shape {
  int rank = 0;
  int dims[kMaxRank] = {};

  Shape() = default;
  Shape(std::initializer_list<int> list);
  explicit Shape(const std::vector<int>& list);

  int operator[](int i) const { return dims[i < 0 ? rank + i : i]; }
  int& operator[](int i) { return dims[i < 0 ? rank + i : i]; }
  int back() const { return dims[rank - 1]; }
  int64_t numel() const;

  // Shape with `batch` prepended: per-sample (T, D) -> (batch, T, D).
  Shape withBatch(int batch) const;
  // Shape without its first dimension: (B, T, D) -> (T, D).
  Shape dropFirst() const;
  std::vector<int> toVector() const { return std::vector<int>(dims, dims + rank); }
  // "(2, 3)"; per-sample shapes print as Keras does with batchPrefix: "(None, 20, 1)".
  std::string str(bool batchPrefix = false) const;

  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }
};

}  // namespace attn
