// kernels/cuda/adam.h — CUDA twins of kernels/cpu/adam.h: one EMA step, and the fused multi-tensor
// Adam step: every parameter of a model in a handful of launches instead of one per tensor (Adam::step in
// core/optim.cpp uses it for CUDA parameters).
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaKernels*'.
#pragma once
#include <cstdint>

#include "kernels/cuda/runtime.h"

namespace ls::cuda {

void ema_update(float* ema, const float* p, int64_t n, float decay, cudaStream_t stream);

// One parameter tensor's slice of an Adam step: its n elements and the three same-sized state arrays.
struct AdamTensor {
  float* param;
  const float* grad;
  float *m, *v;
  int64_t n;
};
// One Adam step over every tensor of the list, bit-identical to ls::cpu::adam_update once per tensor.
void adam_update_multi(const AdamTensor* tensors, int count, float lr, float beta1, float beta2, float eps,
                       float bias_c1, float bias_c2, float weight_decay, cudaStream_t stream);

}  // namespace ls::cuda
