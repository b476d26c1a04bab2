// kernels/cuda/spectral.h — CUDA twins of kernels/cpu/spectral.h: σ(W) by power iteration, W/σ, and the backward
// that treats u, v as constants. Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#pragma once
#include "kernels/cuda/runtime.h"

namespace ls::cuda {

void spectral_sigma(const float* w, float* u, float* v, float* sigma, int rows, int cols, int n_iter, float eps,
                    cudaStream_t stream);
void spectral_scale(const float* w, const float* sigma, float* w_sn, int rows, int cols, cudaStream_t stream);
void spectral_backward(const float* g, const float* w_sn, const float* u, const float* v, const float* sigma, float* dw,
                       int rows, int cols, cudaStream_t stream);

}  // namespace ls::cuda
