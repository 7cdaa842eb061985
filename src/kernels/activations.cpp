// Elementwise activations and their derivatives. Each activation is chosen once, outside the
// loop, and runs as one vectorised pass; the tail goes through a padded batch so it uses the
// same formulas. Formulas are the numerically safe forms: no exp overflow, no cancellation near
// saturation (derivatives come from x, not from 1 - y^2 or y(1 - y)).
#include <cstring>

#include "kernels/kernels.h"
#include "kernels/simd.h"

namespace attn::kernels {
namespace {

using simd::Batch;
using simd::kWidth;

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

// y = f(x) batch by batch; x and y may alias (each batch is read before it is written).
template <class F>
void unary(const float* x, float* y, int64_t n, F f) {
  int64_t i = 0;
  for (; i + kWidth <= n; i += kWidth) f(Batch::load_unaligned(x + i)).store_unaligned(y + i);
  if (i < n) {
    alignas(64) float buffer[kWidth] = {};
    const size_t rest = static_cast<size_t>(n - i) * sizeof(float);
    std::memcpy(buffer, x + i, rest);
    f(Batch::load_aligned(buffer)).store_aligned(buffer);
    std::memcpy(y + i, buffer, rest);
  }
}

// dx = g(x, dy) batch by batch; dx may alias dy.
template <class G>
void binary(const float* x, const float* dy, float* dx, int64_t n, G g) {
  int64_t i = 0;
  for (; i + kWidth <= n; i += kWidth)
    g(Batch::load_unaligned(x + i), Batch::load_unaligned(dy + i)).store_unaligned(dx + i);
  if (i < n) {
    alignas(64) float xs[kWidth] = {}, ds[kWidth] = {};
    const size_t rest = static_cast<size_t>(n - i) * sizeof(float);
    std::memcpy(xs, x + i, rest);
    std::memcpy(ds, dy + i, rest);
    g(Batch::load_aligned(xs), Batch::load_aligned(ds)).store_aligned(ds);
    std::memcpy(dx + i, ds, rest);
  }
}

using simd::sigmoid;

}  // namespace

void activationForward(Activation a, const float* x, float* y, int64_t n, int cols) {
  const Batch zero(0.f), half(0.5f);
  switch (a) {
    case Activation::Linear:
      if (x != y) copy(x, y, n);
      return;
    case Activation::Relu:
      unary(x, y, n, [&](Batch v) { return xsimd::select(v > zero, v, zero); });
      return;
    case Activation::Sigmoid:
      unary(x, y, n, [&](Batch v) { return sigmoid(v); });
      return;
    case Activation::Tanh:
      unary(x, y, n, [&](Batch v) { return simd::tanh(v); });
      return;
    case Activation::Elu:
      // elu(x) = x for x > 0, e^x - 1 otherwise (expm1 keeps precision near 0).
      unary(x, y, n, [&](Batch v) { return xsimd::select(v > zero, v, xsimd::expm1(xsimd::min(v, zero))); });
      return;
    case Activation::Gelu:
      // gelu(x) = x * Phi(x) = 0.5 x erfc(-x / sqrt 2); erfc avoids the 1 + erf cancellation for x << 0.
      unary(x, y, n, [&](Batch v) { return half * v * xsimd::erfc(-v * Batch(kInvSqrt2)); });
      return;
    case Activation::Softplus:
      // softplus(x) = log(1 + e^x) = log1p(e^-|x|) + max(x, 0).
      unary(x, y, n, [&](Batch v) { return xsimd::log1p(xsimd::exp(-xsimd::abs(v))) + xsimd::max(v, zero); });
      return;
    case Activation::Softmax:
      softmax(x, y, static_cast<int>(n / cols), cols, 1);
      return;
  }
}

void activationBackward(Activation a, const float* x, const float* y, const float* dy, float* dx, int64_t n,
                        int cols) {
  const Batch zero(0.f), one(1.f), half(0.5f), four(4.f);
  switch (a) {
    case Activation::Linear:
      if (dy != dx) copy(dy, dx, n);
      return;
    case Activation::Relu:
      binary(x, dy, dx, n, [&](Batch v, Batch d) { return xsimd::select(v > zero, d, zero); });
      return;
    case Activation::Sigmoid:
      // sigmoid'(x) = e / (1 + e)^2 with e = e^-|x| (symmetric in x).
      binary(x, dy, dx, n, [&](Batch v, Batch d) {
        const Batch e = xsimd::exp(-xsimd::abs(v));
        const Batch r = one / (one + e);
        return d * (e * r * r);
      });
      return;
    case Activation::Tanh:
      // tanh'(x) = sech^2 x = 4e / (1 + e)^2 with e = e^-2|x|.
      binary(x, dy, dx, n, [&](Batch v, Batch d) {
        const Batch e = xsimd::exp(Batch(-2.f) * xsimd::abs(v));
        const Batch r = one / (one + e);
        return d * (four * e * r * r);
      });
      return;
    case Activation::Elu:
      binary(x, dy, dx, n,
             [&](Batch v, Batch d) { return d * xsimd::select(v > zero, one, xsimd::exp(xsimd::min(v, zero))); });
      return;
    case Activation::Gelu:
      // gelu'(x) = Phi(x) + x phi(x).
      binary(x, dy, dx, n, [&](Batch v, Batch d) {
        const Batch cdf = half * xsimd::erfc(-v * Batch(kInvSqrt2));
        const Batch pdf = Batch(kInvSqrt2Pi) * xsimd::exp(-half * v * v);
        return d * simd::mulAdd(v, pdf, cdf);
      });
      return;
    case Activation::Softplus:
      // softplus'(x) = sigmoid(x).
      binary(x, dy, dx, n, [&](Batch v, Batch d) { return d * sigmoid(v); });
      return;
    case Activation::Softmax:
      softmaxBackward(y, dy, dx, static_cast<int>(n / cols), cols, 1);
      return;
  }
}

}  // namespace attn::kernels
