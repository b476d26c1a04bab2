// kernels/cpu/gemm.cpp — the kernels of kernels/cpu/gemm.h. OpenBLAS runs single-threaded (kernels/parallel.cpp pins
// it): callers split their GEMMs over the pool; the bias kernels split their rows and channels over it.
#include "kernels/cpu/gemm.h"

#include <cblas.h>
#include <fmt/core.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "kernels/parallel.h"

namespace ls::cpu {

namespace {
// A GEMM of at least this many multiply-adds splits over the pool (about a millisecond on one core).
constexpr double kSplitMultiplyAdds = 1 << 22;
// The blocks of C it splits into: this many rows (or columns) at least, a multiple of the micro-kernels' 16/32-wide
// tiles; each block repacks the other operand, so blocks much thinner than this cost more in packing than they gain.
constexpr int kMinBlock = 256;
}  // namespace

void gemm_serial(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                 int ldb, float beta, float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha,
              A, lda, B, ldb, beta, C, ldc);
}

// A large GEMM is cut along the longer side of C into blocks that each call a single-threaded SGEMM with the whole K:
// every element of C is one SGEMM's dot product, and the cut depends on M, N, K only, so the bits do not depend on
// the thread count.
void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc) {
  const int longer = std::max(M, N);
  if (double(M) * N * K < kSplitMultiplyAdds || longer < 2 * kMinBlock)
    return gemm_serial(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  const int blocks = std::min(longer / kMinBlock, 16), block = (longer + blocks - 1) / blocks;
  parallel_for(longer, block, [&](int64_t begin, int64_t end) {
    const int b = int(begin), n = int(end - begin);
    if (M >= N)  // rows of C: rows of op(A)
      gemm_serial(trans_a, trans_b, n, N, K, alpha, trans_a ? A + b : A + int64_t(b) * lda, lda, B, ldb, beta,
                  C + int64_t(b) * ldc, ldc);
    else  // columns of C: columns of op(B)
      gemm_serial(trans_a, trans_b, M, n, K, alpha, A, lda, trans_b ? B + int64_t(b) * ldb : B + b, ldb, beta, C + b,
                  ldc);
  });
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
  parallel_for(int64_t(N) * C, grain_for(HW, kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t nc = begin; nc < end; ++nc) {
      float* row = y + nc * HW;
      for (int i = 0; i < HW; ++i) row[i] += b[nc % C];
    }
  });
}

void bias_backward(const float* dy, float* db, int N, int C, int HW) {
  parallel_for(C, grain_for(int64_t(N) * HW, kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      double acc = 0;  // double: a bias gradient sums N·HW terms
      for (int n = 0; n < N; ++n) {
        const float* row = dy + (int64_t(n) * C + c) * HW;
        for (int i = 0; i < HW; ++i) acc += row[i];
      }
      db[c] = float(acc);
    }
  });
}

}  // namespace ls::cpu
