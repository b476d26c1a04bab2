// tests/test_blas.cpp — OpenBLAS runs kernels made for this CPU, not its generic SSE3 fallback (kernels/cpu/gemm.h:
// use_native_blas_kernels, called by tests/main.cpp as by apps/main.cpp).
//   build/layerseg_tests --gtest_filter='Blas*'
#include <gtest/gtest.h>
#include <strings.h>

#include "kernels/cpu/gemm.h"

TEST(Blas, RunsKernelsMadeForThisCpu) {
#if defined(__x86_64__)
  if (!__builtin_cpu_supports("avx2")) GTEST_SKIP() << "this CPU has no AVX2; OpenBLAS's generic kernels are its best";
  // Prescott is what OpenBLAS falls back to on a CPU it does not know: SSE3 kernels, 2-5x slower on AVX2 machines.
  EXPECT_NE(strcasecmp(ls::cpu::blas_core(), "Prescott"), 0)
      << "OpenBLAS chose its generic kernels (" << ls::cpu::blas_config() << ") on a CPU with AVX2";
#else
  GTEST_SKIP() << "the generic-kernel fallback is an x86-64 matter";
#endif
}
