// kernels/cuda/fir.h — CUDA twins of kernels/cpu/fir.h: StyleGAN2's FIR up/down-sampling (upfirdn2d) on [NC, H, W]
// planes, forward and backward, same arguments plus the stream.
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#pragma once
#include "kernels/cpu/fir.h"
#include "kernels/cuda/runtime.h"

namespace ls::cuda {

void upfirdn2d_forward(const float* x, float* y, int NC, int H, int W, FirSpec f, cudaStream_t stream);
void upfirdn2d_backward(const float* dy, float* dx, int NC, int H, int W, FirSpec f, cudaStream_t stream);

}  // namespace ls::cuda
