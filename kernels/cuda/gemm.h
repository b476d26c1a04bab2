// kernels/cuda/gemm.h — CUDA twins of kernels/cpu/gemm.h: row-major SGEMM through cuBLAS, and the per-channel bias
// kernels shared by the linear layer and the convolutions. Compared with the CPU by
// build/layerseg_tests --gtest_filter='CudaOps*'; timed by `layerseg bench --device cuda`.
#pragma once
#include "kernels/cuda/runtime.h"

namespace ls::cuda {

// C[M,N] = alpha·op(A)·op(B) + beta·C, row-major, lda/ldb/ldc the row strides as stored (as ls::cpu::gemm).
// FP32 math unless set_allow_tf32(true).
void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc, cudaStream_t stream);

// y[n,c,i] += b[c] for y [N,C,HW].
void add_bias(float* y, const float* b, int N, int C, int HW, cudaStream_t stream);

// db[c] = Σ_{n,i} dy[n,c,i] (in double, deterministic). Overwrites db.
void bias_backward(const float* dy, float* db, int N, int C, int HW, cudaStream_t stream);

}  // namespace ls::cuda
