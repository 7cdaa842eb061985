#include "kernels/reference.h"

#include <cmath>
#include <vector>

namespace attn::reference {

void gemm(Trans transA, Trans transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc) {
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      double acc = 0;
      for (int k = 0; k < K; ++k) {
        float a = transA == Trans::No ? A[i * lda + k] : A[k * lda + i];
        float b = transB == Trans::No ? B[k * ldb + j] : B[j * ldb + k];
        acc += static_cast<double>(a) * b;
      }
      float prior = beta == 0.f ? 0.f : beta * C[i * ldc + j];
      C[i * ldc + j] = static_cast<float>(alpha * acc) + prior;
    }
  }
}

void fill(float* y, float value, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = value;
}
void copy(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i];
}
void add(const float* a, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}
void addInPlace(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}
void axpy(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}
void mul(const float* a, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] * b[i];
}
void mulAdd(const float* a, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a[i] * b[i];
}
void scale(float alpha, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] *= alpha;
}
float sum(const float* x, int64_t n) {
  double acc = 0;
  for (int64_t i = 0; i < n; ++i) acc += x[i];
  return static_cast<float>(acc);
}
float dot(const float* a, const float* b, int64_t n) {
  double acc = 0;
  for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(acc);
}
void addRowVector(const float* bias, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) y[r * cols + c] += bias[c];
}
void sumRows(const float* x, float* out, int rows, int cols) {
  for (int c = 0; c < cols; ++c) {
    double acc = 0;
    for (int r = 0; r < rows; ++r) acc += x[r * cols + c];
    out[c] += static_cast<float>(acc);
  }
}

float activation(Activation a, float x) {
  switch (a) {
    case Activation::Linear: return x;
    case Activation::Relu: return x > 0.f ? x : 0.f;
    case Activation::Sigmoid: return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x))));
    case Activation::Tanh: return std::tanh(x);
    case Activation::Elu: return x > 0.f ? x : static_cast<float>(std::expm1(static_cast<double>(x)));
    // Exact gelu, as Keras' default (approximate=False): 0.5 x (1 + erf(x / sqrt 2)).
    // erfc(-z) == 1 + erf(z) without the cancellation that leaves only noise for x << 0.
    case Activation::Gelu: return static_cast<float>(0.5 * x * std::erfc(-x / std::sqrt(2.0)));
    case Activation::Softplus: return static_cast<float>(std::log1p(std::exp(-std::fabs(double(x)))) + std::fmax(double(x), 0.0));
    case Activation::Softmax: break;
  }
  return x;
}

float activationDerivative(Activation a, float x) {
  switch (a) {
    case Activation::Linear: return 1.f;
    case Activation::Relu: return x > 0.f ? 1.f : 0.f;
    // s(x) (1 - s(x)) with 1 - s(x) = s(-x): no cancellation in the saturated tails.
    case Activation::Sigmoid:
      return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x))) /
                                (1.0 + std::exp(static_cast<double>(x))));
    // 1 - tanh^2 = 1 / cosh^2, which stays exact where tanh rounds to +-1.
    case Activation::Tanh: {
      double c = std::cosh(static_cast<double>(x));
      return static_cast<float>(1.0 / (c * c));
    }
    case Activation::Elu: return x > 0.f ? 1.f : static_cast<float>(std::exp(static_cast<double>(x)));
    case Activation::Gelu: {
      double cdf = 0.5 * std::erfc(-x / std::sqrt(2.0));
      double pdf = std::exp(-0.5 * double(x) * x) / std::sqrt(2.0 * 3.141592653589793);
      return static_cast<float>(cdf + x * pdf);
    }
    case Activation::Softplus: return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x))));
    case Activation::Softmax: break;
  }
  return 1.f;
}

void activationForward(Activation a, const float* x, float* y, int64_t n, int cols) {
  if (a == Activation::Softmax) {
    softmax(x, y, static_cast<int>(n / cols), cols, 1);
    return;
  }
  for (int64_t i = 0; i < n; ++i) y[i] = activation(a, x[i]);
}

void activationBackward(Activation a, const float* x, const float* y, const float* dy, float* dx, int64_t n,
                        int cols) {
  if (a == Activation::Softmax) {
    softmaxBackward(y, dy, dx, static_cast<int>(n / cols), cols, 1);
    return;
  }
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * activationDerivative(a, x[i]);
}

void softmax(const float* x, float* y, int outer, int axis, int inner) {
  for (int o = 0; o < outer; ++o) {
    for (int in = 0; in < inner; ++in) {
      const int64_t base = static_cast<int64_t>(o) * axis * inner + in;
      double maxValue = -INFINITY;
      for (int k = 0; k < axis; ++k) maxValue = std::fmax(maxValue, x[base + int64_t(k) * inner]);
      double total = 0;
      std::vector<double> e(axis);
      for (int k = 0; k < axis; ++k) total += e[k] = std::exp(x[base + int64_t(k) * inner] - maxValue);
      for (int k = 0; k < axis; ++k) y[base + int64_t(k) * inner] = static_cast<float>(e[k] / total);
    }
  }
}

void softmaxBackward(const float* y, const float* dy, float* dx, int outer, int axis, int inner) {
  for (int o = 0; o < outer; ++o) {
    for (int in = 0; in < inner; ++in) {
      const int64_t base = static_cast<int64_t>(o) * axis * inner + in;
      double inner_product = 0;
      for (int k = 0; k < axis; ++k) inner_product += double(dy[base + int64_t(k) * inner]) * y[base + int64_t(k) * inner];
      for (int k = 0; k < axis; ++k) {
        const int64_t i = base + int64_t(k) * inner;
        dx[i] = static_cast<float>(y[i] * (dy[i] - inner_product));
      }
    }
  }
}

void reduceSum(const float* x, float* out, int outer, int axis, int inner) {
  for (int o = 0; o < outer; ++o)
    for (int in = 0; in < inner; ++in) {
      double acc = 0;
      for (int k = 0; k < axis; ++k) acc += x[(int64_t(o) * axis + k) * inner + in];
      out[int64_t(o) * inner + in] = static_cast<float>(acc);
    }
}

void reduceMean(const float* x, float* out, int outer, int axis, int inner) {
  reduceSum(x, out, outer, axis, inner);
  for (int64_t i = 0; i < int64_t(outer) * inner; ++i) out[i] /= static_cast<float>(axis);
}

}  // namespace attn::reference
