// Naive scalar twins of every kernel in kernels.h: the oracle the tests compare against.
// Written for obviousness, not speed (double accumulation where it keeps the oracle exact).
#pragma once
#include <cstdint>

#include "kernels/kernels.h"

namespace attn::reference {

using kernels::Trans;

void gemm(Trans transA, Trans transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc);

void fill(float* y, float value, int64_t n);
void copy(const float* x, float* y, int64_t n);
void add(const float* a, const float* b, float* y, int64_t n);
void addInPlace(const float* x, float* y, int64_t n);
void axpy(float alpha, const float* x, float* y, int64_t n);
void mul(const float* a, const float* b, float* y, int64_t n);
void mulAdd(const float* a, const float* b, float* y, int64_t n);
void scale(float alpha, float* y, int64_t n);
float sum(const float* x, int64_t n);
float dot(const float* a, const float* b, int64_t n);
void addRowVector(const float* bias, float* y, int rows, int cols);
void sumRows(const float* x, float* out, int rows, int cols);

float activation(Activation a, float x);           // every activation but Softmax
float activationDerivative(Activation a, float x);  // f'(x), every activation but Softmax
void activationForward(Activation a, const float* x, float* y, int64_t n, int cols);
void activationBackward(Activation a, const float* x, const float* y, const float* dy, float* dx, int64_t n,
                        int cols);
void softmax(const float* x, float* y, int outer, int axis, int inner);
void softmaxBackward(const float* y, const float* dy, float* dx, int outer, int axis, int inner);
void reduceSum(const float* x, float* out, int outer, int axis, int inner);
void reduceMean(const float* x, float* out, int outer, int axis, int inner);

}  // namespace attn::reference
