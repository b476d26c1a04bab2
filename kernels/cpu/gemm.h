// kernels/cpu/gemm.h — the matrix-multiply wrapper (OpenBLAS cblas_sgemm) and the per-channel bias kernels that the
// linear op and the convolutions share. Row-major throughout, as the tensors are.
// Tested via tests/op_cases_nn.cpp and tests/test_ops_nn.cpp (build/layerseg_tests --gtest_filter='OpsNn*:GradCheck*').
#pragma once
#include <cstdint>

namespace ls::cpu {

// C[M,N] = alpha·op(A)·op(B) + beta·C, row-major; op(A) = Aᵀ when trans_a (A stored [K,M]), else A ([M,K]).
// lda/ldb/ldc are the row strides of A, B, C as stored.
void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc);

// The BLAS behind gemm, for reports: OpenBLAS's build configuration (version, kernel, max threads) and the number of
// threads it uses (OPENBLAS_NUM_THREADS, default: every core).
const char* blas_config();
int blas_threads();

// y[n,c,i] += b[c] for y [N,C,HW] (HW = 1 for a linear layer's [N,C] output).
void add_bias(float* y, const float* b, int N, int C, int HW);

// db[c] = Σ_{n,i} dy[n,c,i]: the gradient of add_bias. Overwrites db.
void bias_backward(const float* dy, float* db, int N, int C, int HW);

}  // namespace ls::cpu
