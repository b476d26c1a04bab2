// kernels/cuda/gemm.cu — kernels/cuda/gemm.h: cuBLAS SGEMM for row-major matrices, and the bias kernels.
// Row-major trick: a row-major X with row stride ld is, to column-major cuBLAS, Xᵀ with leading dimension ld. So
// C = op(A)·op(B) is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ: swap the operands and M/N, keep the transpose flags.
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/segmented_sum.cuh"

namespace ls::cuda {

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc, cudaStream_t s) {
  if (M == 0 || N == 0) return;  // cuBLAS rejects a zero leading dimension
  cublasHandle_t h = cublas_on(s);
  // Read at every call so the mode can change between steps. DEFAULT math is FP32 FMA for SGEMM (no TF32).
  LS_CUBLAS_CHECK(cublasSetMathMode(h, allow_tf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  LS_CUBLAS_CHECK(cublasSgemm(h, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K,
                              &alpha, B, ldb, A, lda, &beta, C, ldc));
  if (sync_after_launch()) LS_CUDA_CHECK(cudaStreamSynchronize(s));
}

void add_bias(float* y, const float* b, int N, int C, int HW, cudaStream_t s) {
  for_each(int64_t(N) * C * HW, s, [=] __device__(int64_t i) { y[i] += b[i / HW % C]; });
}

void bias_backward(const float* dy, float* db, int N, int C, int HW, cudaStream_t s) {
  segmented_sum(
      C, int64_t(N) * HW, s,
      [=] __device__(int64_t c, int64_t r) { return double(dy[(r / HW * C + c) * HW + r % HW]); },
      [=] __device__(int64_t c, double total) { db[c] = float(total); });
}

}  // namespace ls::cuda
