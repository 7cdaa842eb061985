#include "core/shape.h"

#include "core/check.h"

namespace attn {

Shape::Shape(std::initializer_list<int> list) {
  ATTN_CHECK(list.size() <= kMaxRank, "shape: rank ", list.size(), " exceeds the maximum of ", kMaxRank);
  for (int d : list) dims[rank++] = d;
}

Shape::Shape(const std::vector<int>& list) {
  ATTN_CHECK(list.size() <= kMaxRank, "shape: rank ", list.size(), " exceeds the maximum of ", kMaxRank);
  for (int d : list) dims[rank++] = d;
}

int64_t Shape::numel() const {
  // Shapes can come from hostile configs and files: a product past any allocatable size must be
  // an error, not a signed overflow that later sizes a buffer.
  constexpr int64_t kLimit = int64_t(1) << 40;
  int64_t n = 1;
  for (int i = 0; i < rank; ++i) {
    ATTN_CHECK(dims[i] >= 0, "shape: negative size in ", str());
    if (__builtin_mul_overflow(n, static_cast<int64_t>(dims[i]), &n) || n > kLimit)
      fail("shape: ", str(), " has more than 2^40 elements");
  }
  return n;
}

Shape Shape::withBatch(int batch) const {
  ATTN_CHECK(rank < kMaxRank, "shape: rank ", rank + 1, " exceeds the maximum of ", kMaxRank);
  Shape s;
  s.rank = rank + 1;
  s.dims[0] = batch;
  for (int i = 0; i < rank; ++i) s.dims[i + 1] = dims[i];
  return s;
}

Shape Shape::dropFirst() const {
  Shape s;
  if (rank == 0) return s;
  s.rank = rank - 1;
  for (int i = 1; i < rank; ++i) s.dims[i - 1] = dims[i];
  return s;
}

std::string Shape::str(bool batchPrefix) const {
  std::string out = "(";
  if (batchPrefix) out += rank ? "None, " : "None";
  for (int i = 0; i < rank; ++i) {
    if (i) out += ", ";
    out += std::to_string(dims[i]);
  }
  if (rank == 1 && !batchPrefix) out += ",";
  return out + ")";
}

bool Shape::operator==(const Shape& o) const {
  if (rank != o.rank) return false;
  for (int i = 0; i < rank; ++i)
    if (dims[i] != o.dims[i]) return false;
  return true;
}

}  // namespace attn
