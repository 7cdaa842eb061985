#include "core/tensor.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/check.h"

namespace attn {
namespace {

constexpr size_t kAlignment = 64;
std::atomic<int64_t> g_allocations{0};

float* allocateFloats(int64_t count) {
  size_t bytes = (static_cast<size_t>(count) * sizeof(float) + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, bytes ? bytes : kAlignment);
  if (!p) fail("tensor: out of memory allocating ", count, " floats");
  ++g_allocations;
  return static_cast<float*>(p);
}

}  // namespace

Tensor::Tensor(const Shape& shape) {
  resize(shape);
  zero();
}

Tensor::Tensor(const Shape& shape, std::initializer_list<float> values) {
  resize(shape);
  ATTN_CHECK(static_cast<int64_t>(values.size()) == size_, "tensor: shape ", shape.str(), " holds ", size_,
             " values, got ", values.size());
  std::memcpy(data_, values.begin(), values.size() * sizeof(float));
}

Tensor::Tensor(const Tensor& other) {
  // A default (empty) tensor has rank 0 but no element: resizing to its shape would make one.
  if (other.empty()) {
    shape_ = other.shape_;
    return;
  }
  resize(other.shape_);
  if (size_) std::memcpy(data_, other.data_, size_ * sizeof(float));
}

Tensor::Tensor(Tensor&& other) noexcept
    : data_(other.data_), size_(other.size_), capacity_(other.capacity_), shape_(other.shape_) {
  other.data_ = nullptr;
  other.size_ = other.capacity_ = 0;
  other.shape_ = Shape();
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this == &other) return *this;
  if (other.empty()) {
    shape_ = other.shape_;
    size_ = 0;
    return *this;
  }
  resize(other.shape_);
  if (size_) std::memcpy(data_, other.data_, size_ * sizeof(float));
  return *this;
}

Tensor& Tensor::operator=(Tensor&& other) noexcept {
  if (this == &other) return *this;
  std::free(data_);
  data_ = other.data_;
  size_ = other.size_;
  capacity_ = other.capacity_;
  shape_ = other.shape_;
  other.data_ = nullptr;
  other.size_ = other.capacity_ = 0;
  other.shape_ = Shape();
  return *this;
}

Tensor::~Tensor() { std::free(data_); }

void Tensor::reserve(int64_t count) {
  if (count <= capacity_) return;
  float* fresh = allocateFloats(count);
  std::free(data_);
  data_ = fresh;
  capacity_ = count;
}

void Tensor::resize(const Shape& shape) {
  int64_t count = shape.numel();
  ATTN_CHECK(count >= 0, "tensor: negative size in shape ", shape.str());
  reserve(count);
  shape_ = shape;
  size_ = count;
}

void Tensor::zero() {
  if (size_) std::memset(data_, 0, size_ * sizeof(float));
}

void Tensor::fill(float value) {
  for (int64_t i = 0; i < size_; ++i) data_[i] = value;
}

int64_t Tensor::allocationCount() { return g_allocations.load(); }

}  // namespace attn
