// Tensor: an owning, 64-byte aligned float buffer with a shape. resize() keeps the capacity, so
// layers that resize their outputs every batch allocate only when a batch is larger than any
// before it (in practice: on the first batch). Token ids are stored as floats (exact below 2^24).
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "core/shape.h"

namespace attn {

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(const Shape& shape);  // zero-filled
  Tensor(const Shape& shape, std::initializer_list<float> values);
  Tensor(const Tensor& other);
  Tensor(Tensor&& other) noexcept;
  Tensor& operator=(const Tensor& other);
  Tensor& operator=(Tensor&& other) noexcept;
  ~Tensor();

  // Sets the shape; reallocates only when the new size exceeds the capacity. Contents are
  // unspecified afterwards (call zero() when they must start at 0).
  void resize(const Shape& shape);
  void zero();
  void fill(float value);

  const Shape& shape() const { return shape_; }
  int dim(int i) const { return shape_[i]; }
  int rank() const { return shape_.rank; }
  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  float* data() { return data_; }
  const float* data() const { return data_; }
  float& operator[](int64_t i) { return data_[i]; }
  float operator[](int64_t i) const { return data_[i]; }

  // Number of buffer (re)allocations made by all tensors so far: lets tests prove that a
  // training loop stops allocating after its first batch.
  static int64_t allocationCount();

 private:
  void reserve(int64_t count);

  float* data_ = nullptr;
  int64_t size_ = 0;
  int64_t capacity_ = 0;
  Shape shape_;
};

}  // namespace attn
