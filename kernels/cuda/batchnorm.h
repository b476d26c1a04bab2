// kernels/cuda/batchnorm.h — CUDA twins of kernels/cpu/batchnorm.h: 2-D batch normalisation over [N, C, HW], forward
// (train or eval, same running-statistics conventions) and backward. Compared with the CPU by
// build/layerseg_tests --gtest_filter='CudaOps*'.
#pragma once
#include "kernels/cuda/runtime.h"

namespace ls::cuda {

void batchnorm_forward(const float* x, const float* gamma, const float* beta, float* y, float* save_mean,
                       float* save_invstd, float* running_mean, float* running_var, int N, int C, int HW, bool training,
                       float momentum, float eps, cudaStream_t stream);
void batchnorm_backward(const float* x, const float* dy, const float* gamma, const float* save_mean,
                        const float* save_invstd, float* dx, float* dgamma, float* dbeta, int N, int C, int HW,
                        bool training, cudaStream_t stream);

}  // namespace ls::cuda
