// kernels/cuda/shape.cu — copy_rows of kernels/cuda/shape.h as one pitched device-to-device copy (the copy engine
// handles any row length and alignment). Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/shape.h"

namespace ls::cuda {

void copy_rows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows, int64_t cols,
               cudaStream_t s) {
  if (rows <= 0 || cols <= 0) return;
  LS_CUDA_CHECK(cudaMemcpy2DAsync(dst, size_t(dst_stride) * sizeof(float), src, size_t(src_stride) * sizeof(float),
                                  size_t(cols) * sizeof(float), size_t(rows), cudaMemcpyDeviceToDevice, s));
}

}  // namespace ls::cuda
