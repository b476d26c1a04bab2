// kernels/cuda/shape.h — CUDA twin of kernels/cpu/shape.h: the strided block copy behind concat and slice.
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#pragma once
#include <cstdint>

#include "kernels/cpu/shape.h"
#include "kernels/cuda/runtime.h"

namespace ls::cuda {

void copy_rows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows, int64_t cols,
               cudaStream_t stream);

}  // namespace ls::cuda
