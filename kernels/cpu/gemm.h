// kernels/cpu/gemm.h — the matrix-multiply wrapper (OpenBLAS cblas_sgemm) and the per-channel bias kernels that the
// linear op and the convolutions share. Row-major throughout, as the tensors are.
// Tested via tests/op_cases_nn.cpp and tests/test_ops_nn.cpp (build/layerseg_tests --gtest_filter='OpsNn*:GradCheck*').
#pragma once
#include <cstdint>

namespace ls::cpu {

// C[M,N] = alpha·op(A)·op(B) + beta·C, row-major; op(A) = Aᵀ when trans_a (A stored [K,M]), else A ([M,K]).
// lda/ldb/ldc are the row strides of A, B, C as stored. A large GEMM splits over the thread pool (kernels/parallel.h)
// along the longer side of C, in blocks that depend on M, N, K only: the same bits at any thread count.
void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc);

// The same as one single-threaded SGEMM call, never split: for callers that split their own work into independent
// GEMMs (a convolution's image batches), where splitting each one again only repacks operands.
void gemm_serial(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                 int ldb, float beta, float* C, int ldc);

// The BLAS behind gemm, for reports: OpenBLAS's build configuration (version, kernel, max threads) and the number of
// threads it uses (OPENBLAS_NUM_THREADS, default: every core).
const char* blas_config();
int blas_threads();
const char* blas_core();  // the kernel set OpenBLAS chose at load, e.g. "Haswell", "SkylakeX", "Prescott"

// OpenBLAS 0.3.21 (Debian 12) picks its kernels once, when it loads, from the CPU's model number. On a CPU newer than
// it knows (seen: Intel family 6 model 207) it falls back to its SSE3 "Prescott" kernels: SGEMM at 55 instead of 263
// GFLOP/s on 2 cores, every training step 2.4x slower. Only OPENBLAS_CORETYPE, read at load, changes the choice, so
// the binaries call this first in main: when OpenBLAS runs that fallback on a CPU with AVX2 (or AVX-512) and the user
// has not set OPENBLAS_CORETYPE, it sets Haswell (or SkylakeX) and re-executes the program with the same arguments,
// saying so on stderr. Otherwise it does nothing; if the re-exec fails it warns and the program goes on as it is.
void use_native_blas_kernels(char** argv);

// y[n,c,i] += b[c] for y [N,C,HW] (HW = 1 for a linear layer's [N,C] output).
void add_bias(float* y, const float* b, int N, int C, int HW);

// db[c] = Σ_{n,i} dy[n,c,i]: the gradient of add_bias. Overwrites db.
void bias_backward(const float* dy, float* db, int N, int C, int HW);

}  // namespace ls::cpu
