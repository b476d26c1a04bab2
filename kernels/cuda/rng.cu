// kernels/cuda/rng.cu — kernels/cuda/rng.h: one thread per element evaluates the same __host__ __device__ functions
// as the CPU fill (kernels/philox.h). The affine map is rounded twice (__fmul_rn, __fadd_rn) as on the CPU, not fused.
// Checked by build/layerseg_tests --gtest_filter='CudaKernels.Philox*'.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/rng.h"
#include "kernels/philox.h"

namespace ls::cuda {

void fill_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi, cudaStream_t s) {
  for_each(n, s, [=] __device__(int64_t i) {
    out[i] = __fadd_rn(lo, __fmul_rn(hi - lo, philox_uniform(seed, offset, uint64_t(i))));
  });
}

void fill_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std, cudaStream_t s) {
  for_each(n, s, [=] __device__(int64_t i) {
    out[i] = __fadd_rn(mean, __fmul_rn(std, philox_normal(seed, offset, uint64_t(i))));
  });
}

}  // namespace ls::cuda
