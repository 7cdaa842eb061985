// TEMPORARY: the kernel API forwarded to the scalar reference until the xsimd kernels land.
#include "kernels/kernels.h"
#include "kernels/reference.h"

namespace attn::kernels {
void gemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
          float beta, float* C, int ldc) {
  reference::gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void fill(float* y, float v, int64_t n) { reference::fill(y, v, n); }
void copy(const float* x, float* y, int64_t n) { reference::copy(x, y, n); }
void add(const float* a, const float* b, float* y, int64_t n) { reference::add(a, b, y, n); }
void addInPlace(const float* x, float* y, int64_t n) { reference::addInPlace(x, y, n); }
void axpy(float alpha, const float* x, float* y, int64_t n) { reference::axpy(alpha, x, y, n); }
void mul(const float* a, const float* b, float* y, int64_t n) { reference::mul(a, b, y, n); }
void mulAdd(const float* a, const float* b, float* y, int64_t n) { reference::mulAdd(a, b, y, n); }
void scale(float alpha, float* y, int64_t n) { reference::scale(alpha, y, n); }
float sum(const float* x, int64_t n) { return reference::sum(x, n); }
float dot(const float* a, const float* b, int64_t n) { return reference::dot(a, b, n); }
void addRowVector(const float* bias, float* y, int rows, int cols) { reference::addRowVector(bias, y, rows, cols); }
void sumRows(const float* x, float* out, int rows, int cols) { reference::sumRows(x, out, rows, cols); }
void activationForward(Activation a, const float* x, float* y, int64_t n, int cols) {
  reference::activationForward(a, x, y, n, cols);
}
void activationBackward(Activation a, const float* x, const float* y, const float* dy, float* dx, int64_t n, int cols) {
  reference::activationBackward(a, x, y, dy, dx, n, cols);
}
void softmax(const float* x, float* y, int o, int a, int i) { reference::softmax(x, y, o, a, i); }
void softmaxBackward(const float* y, const float* dy, float* dx, int o, int a, int i) {
  reference::softmaxBackward(y, dy, dx, o, a, i);
}
void reduceSum(const float* x, float* out, int o, int a, int i) { reference::reduceSum(x, out, o, a, i); }
void reduceMean(const float* x, float* out, int o, int a, int i) { reference::reduceMean(x, out, o, a, i); }
const char* simdArchitecture() { return "scalar"; }
}  // namespace attn::kernels
