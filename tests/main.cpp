// tests/main.cpp — main of layerseg_tests: GoogleTest's, after making OpenBLAS use this CPU's kernels as the layerseg
// binary does (kernels/cpu/gemm.h: use_native_blas_kernels), so that tests run, and time, what training runs.
//   build/layerseg_tests [--gtest_filter=...]
#include <gtest/gtest.h>

#include "kernels/cpu/gemm.h"

int main(int argc, char** argv) {
  ls::cpu::use_native_blas_kernels(argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
