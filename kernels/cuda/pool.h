// kernels/cuda/pool.h — CUDA twins of kernels/cpu/pool.h: general k×k max and average pooling on [NC, H, W] planes,
// forward and backward; H, W are the sizes of the op's input x.
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#pragma once
#include "kernels/cuda/runtime.h"

namespace ls::cuda {

void max_pool2d_forward(const float* x, float* y, int NC, int H, int W, int k, int stride, int pad,
                        cudaStream_t stream);
void max_pool2d_backward(const float* x, const float* dy, float* dx, int NC, int H, int W, int k, int stride, int pad,
                         cudaStream_t stream);
void avg_pool2d_forward(const float* x, float* y, int NC, int H, int W, int k, int stride, int pad,
                        bool count_include_pad, cudaStream_t stream);
void avg_pool2d_backward(const float* dy, float* dx, int NC, int H, int W, int k, int stride, int pad,
                         bool count_include_pad, cudaStream_t stream);

}  // namespace ls::cuda
