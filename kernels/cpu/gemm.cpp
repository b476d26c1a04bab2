// kernels/cpu/gemm.cpp — the kernels of kernels/cpu/gemm.h. OpenBLAS picks its thread count from the environment
// (OPENBLAS_NUM_THREADS, default: every core); the other kernels here are single-threaded loops.
#include "kernels/cpu/gemm.h"

#include <cblas.h>

namespace ls::cpu {

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha,
              A, lda, B, ldb, beta, C, ldc);
}

const char* blas_config() { return openblas_get_config(); }
int blas_threads() { return openblas_get_num_threads(); }

void add_bias(float* y, const float* b, int N, int C, int HW) {
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c) {
      float* row = y + (int64_t(n) * C + c) * HW;
      for (int i = 0; i < HW; ++i) row[i] += b[c];
    }
}

void bias_backward(const float* dy, float* db, int N, int C, int HW) {
  for (int c = 0; c < C; ++c) {
    double acc = 0;  // double: a bias gradient sums N·HW terms
    for (int n = 0; n < N; ++n) {
      const float* row = dy + (int64_t(n) * C + c) * HW;
      for (int i = 0; i < HW; ++i) acc += row[i];
    }
    db[c] = float(acc);
  }
}

}  // namespace ls::cpu
