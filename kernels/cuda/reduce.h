// kernels/cuda/reduce.h — CUDA twins of kernels/cpu/reduce.h: sum over any subset of four right-aligned dims, and its
// adjoint (broadcast back). Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#pragma once
#include "kernels/cpu/shape.h"
#include "kernels/cuda/runtime.h"

namespace ls::cuda {

void reduce_sum(const float* x, float* y, Dims4 dims, unsigned mask, float scale, cudaStream_t stream);
void expand(const float* x, float* y, Dims4 dims, unsigned mask, float scale, cudaStream_t stream);

}  // namespace ls::cuda
