// kernels/cuda/rng.h — Philox fills on the device, bit-identical to ls::Rng::fill_uniform / fill_normal (core/rng.h)
// for the same (seed, offset): take the offset from Rng::reserve(n) to draw what the CPU fill would have drawn.
// Checked by build/layerseg_tests --gtest_filter='CudaKernels.Philox*'.
#pragma once
#include <cstdint>

#include "kernels/cuda/runtime.h"

namespace ls::cuda {

// out[i] = lo + (hi − lo)·philox_uniform(seed, offset, i) for i < n.
void fill_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi, cudaStream_t stream);
// out[i] = mean + std·philox_normal(seed, offset, i) for i < n.
void fill_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std, cudaStream_t stream);

}  // namespace ls::cuda
