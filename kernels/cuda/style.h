// kernels/cuda/style.h — CUDA twins of kernels/cpu/style.h: bias + leaky-ReLU with gain, the demodulation coefficients
// of a modulated convolution, and the minibatch standard deviation, forward and backward; same arguments plus the
// stream. Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#pragma once
#include <cstdint>

#include "kernels/cuda/runtime.h"

namespace ls::cuda {

void bias_act_forward(const float* x, const float* b, float* y, int N, int C, int64_t HW, float slope, float gain,
                      cudaStream_t stream);
void bias_act_backward(const float* dy, const float* y, float* dx, int64_t n, float slope, float gain,
                       cudaStream_t stream);

void demodulation_forward(const float* w, const float* s, float* d, int N, int O, int C, int K, float eps,
                          cudaStream_t stream);
void demodulation_backward(const float* w, const float* s, const float* d, const float* dd, float* dw, float* ds, int N,
                           int O, int C, int K, cudaStream_t stream);

void minibatch_stddev_forward(const float* x, float* stat, int N, int C, int64_t HW, int G, int F, float eps,
                              cudaStream_t stream);
void minibatch_stddev_backward(const float* x, const float* dstat, float* dx, int N, int C, int64_t HW, int G, int F,
                               float eps, cudaStream_t stream);

}  // namespace ls::cuda
