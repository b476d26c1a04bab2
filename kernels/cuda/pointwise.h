// kernels/cuda/pointwise.h — CUDA twins of kernels/cpu/pointwise.h: activations, x·scale + shift, and the broadcasting
// binary ops (forward and output-shaped local gradients). Same arguments as the CPU kernels plus the stream.
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#pragma once
#include <cstdint>

#include "kernels/cpu/pointwise.h"
#include "kernels/cuda/runtime.h"

namespace ls::cuda {

void activation_forward(Activation f, const float* x, float* y, int64_t n, float slope, cudaStream_t stream);
void activation_backward(Activation f, const float* x, const float* y, const float* gy, float* gx, int64_t n,
                         float slope, cudaStream_t stream);
void scale_shift(const float* x, float* y, int64_t n, float scale, float shift, cudaStream_t stream);
void binary_forward(BinaryOp op, const float* a, const float* b, float* y, Broadcast4 bc, cudaStream_t stream);
void binary_backward(BinaryOp op, const float* a, const float* b, const float* gy, float* ga, float* gb, Broadcast4 bc,
                     cudaStream_t stream);

}  // namespace ls::cuda
