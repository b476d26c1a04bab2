// kernels/cuda/loss.h — CUDA twins of kernels/cpu/loss.h: each loss and its gradient (for an upstream gradient of 1)
// in one fused pass, the mean reduced deterministically in double (kernels/cuda/segmented_sum.cuh).
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*:CudaKernels*'.
#pragma once
#include <cstdint>

#include "kernels/cuda/runtime.h"

namespace ls::cuda {

void hinge_loss(const float* x, float* loss, float* grad, int64_t n, float sign, cudaStream_t stream);
void softmax_cross_entropy(const float* logits, const float* labels, float* loss, float* grad, int64_t n, int64_t k,
                           cudaStream_t stream);
void bce_with_logits(const float* x, const float* t, float* loss, float* grad, int64_t n, cudaStream_t stream);
void binarization(const float* m, float* loss, float* grad, int64_t n, cudaStream_t stream);
void half_squared_distance(const float* c, const float* mu, float* loss, float* grad, int64_t n, int64_t d,
                           cudaStream_t stream);

}  // namespace ls::cuda
