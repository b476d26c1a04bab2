// kernels/cpu/gemm.cpp — the kernels of kernels/cpu/gemm.h. OpenBLAS picks its thread count from the environment
// (OPENBLAS_NUM_THREADS, default: every core); the other kernels here are single-threaded loops.
#include "kernels/cpu/gemm.h"

#include <cblas.h>
#include <fmt/core.h>
#include <strings.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ls::cpu {

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha,
              A, lda, B, ldb, beta, C, ldc);
}

const char* blas_config() { return openblas_get_config(); }
int blas_threads() { return openblas_get_num_threads(); }
const char* blas_core() { return openblas_get_corename(); }

namespace {
// The kernel set to ask for when OpenBLAS fell back to its generic one, or nullptr when it did not or the CPU has
// nothing better. __builtin_cpu_supports also checks that the OS saves the AVX / AVX-512 registers.
const char* native_core() {
#if defined(__x86_64__)
  if (strcasecmp(blas_core(), "Prescott") != 0) return nullptr;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return nullptr;
}
}  // namespace

void use_native_blas_kernels(char** argv) {
  const char* core = native_core();
  if (!core || std::getenv("OPENBLAS_CORETYPE")) return;  // a user's choice stands, and a re-executed run stops here
  fmt::print(stderr,
             "note: OpenBLAS does not know this CPU and chose its generic SSE3 kernels; re-running with "
             "OPENBLAS_CORETYPE={} (set OPENBLAS_CORETYPE to choose yourself)\n",
             core);
  std::fflush(stderr);
  setenv("OPENBLAS_CORETYPE", core, 1);
  execv("/proc/self/exe", argv);
  fmt::print(stderr, "warning: re-running with OPENBLAS_CORETYPE={} failed ({}); going on with the slow kernels\n",
             core, std::strerror(errno));
  unsetenv("OPENBLAS_CORETYPE");
}

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
