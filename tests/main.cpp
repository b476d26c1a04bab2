// tests/main.cpp — main of layerseg_tests: GoogleTest's, after making OpenBLAS use this CPU's kernels as the layerseg
// binary does (kernels/cpu/gemm.h: use_native_blas_kernels), so that tests run, and time, what training runs.
//   build/layerseg_tests [--gtest_filter=...]
//   mpirun -np 2 build/layerseg_tests --gtest_filter='Mpi*'   # the tests of several ranks (tests/test_mpi.cpp)
#include <gtest/gtest.h>

#include "core/comm.h"
#include "kernels/cpu/gemm.h"

int main(int argc, char** argv) {
  ls::cpu::use_native_blas_kernels(argv);
  ls::comm::init(&argc, &argv);
  testing::InitGoogleTest(&argc, argv);
  const int failed = RUN_ALL_TESTS();
  ls::comm::finalize();
  return failed;
}
