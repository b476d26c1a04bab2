// kernels/cuda/resample.h — CUDA twins of kernels/cpu/resample.h: ×2 upsampling (nearest, bilinear) on [NC, H, W]
// planes, forward and backward; H, W are the sizes of the op's input x. Pooling is kernels/cuda/pool.h.
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#pragma once
#include "kernels/cuda/runtime.h"

namespace ls::cuda {

void upsample_nearest2x_forward(const float* x, float* y, int NC, int H, int W, cudaStream_t stream);
void upsample_nearest2x_backward(const float* dy, float* dx, int NC, int H, int W, cudaStream_t stream);
void upsample_bilinear2x_forward(const float* x, float* y, int NC, int H, int W, cudaStream_t stream);
void upsample_bilinear2x_backward(const float* dy, float* dx, int NC, int H, int W, cudaStream_t stream);

}  // namespace ls::cuda
