// kernels/cuda/adam.cu — kernels/cuda/adam.h. The updates are written with __fmul_rn/__fadd_rn in the CPU's order of
// operations (kernels/cpu/adam.cpp): nvcc would otherwise fuse multiply-adds, and the results would drift from the
// CPU's by an ulp per step. sqrtf and the division are correctly rounded (nvcc's defaults), so a GPU step is
// bit-identical to a CPU step.
// The multi-tensor version passes up to kTensorsPerLaunch tensors' pointers as one kernel argument (no host-to-device
// copy, no allocation); each launch walks its tensors in turn with the whole grid.
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaKernels*'.
#include <cmath>

#include "kernels/cuda/adam.h"
#include "kernels/cuda/check.cuh"

namespace ls::cuda {

struct AdamHyper {
  float beta1, beta2, eps, weight_decay, step_size, sqrt_bias_c2;
};

static AdamHyper hyper(float lr, float beta1, float beta2, float eps, float bias_c1, float bias_c2, float wd) {
  return {beta1, beta2, eps, wd, lr / bias_c1, std::sqrt(bias_c2)};
}

__device__ inline void adam_element(float* param, const float* grad, float* m, float* v, int64_t i,
                                    const AdamHyper& h) {
  const float g = __fadd_rn(grad[i], __fmul_rn(h.weight_decay, param[i]));
  const float mi = __fadd_rn(__fmul_rn(h.beta1, m[i]), __fmul_rn(1.f - h.beta1, g));
  const float vi = __fadd_rn(__fmul_rn(h.beta2, v[i]), __fmul_rn(__fmul_rn(1.f - h.beta2, g), g));
  m[i] = mi;
  v[i] = vi;
  param[i] = __fsub_rn(param[i],
                       __fdiv_rn(__fmul_rn(h.step_size, mi), __fadd_rn(__fdiv_rn(sqrtf(vi), h.sqrt_bias_c2), h.eps)));
}

void ema_update(float* ema, const float* p, int64_t n, float decay, cudaStream_t s) {
  for_each(n, s,
           [=] __device__(int64_t i) { ema[i] = __fadd_rn(__fmul_rn(decay, ema[i]), __fmul_rn(1.f - decay, p[i])); });
}

// 40 bytes per tensor: 48 tensors keep the kernel argument under the classic 4 KiB limit.
constexpr int kTensorsPerLaunch = 48;
struct AdamBatch {
  AdamTensor t[kTensorsPerLaunch];
  int count;
};

// n (launch_linear's first argument) is the largest tensor of the batch: it sizes the grid.
__global__ void adam_multi_kernel(int64_t, AdamBatch batch, AdamHyper h) {
  for (int k = 0; k < batch.count; ++k) {
    const AdamTensor& t = batch.t[k];
    LS_GRID_STRIDE_LOOP(i, t.n) adam_element(t.param, t.grad, t.m, t.v, i, h);
  }
}

void adam_update_multi(const AdamTensor* tensors, int count, float lr, float beta1, float beta2, float eps,
                       float bias_c1, float bias_c2, float weight_decay, cudaStream_t s) {
  const AdamHyper h = hyper(lr, beta1, beta2, eps, bias_c1, bias_c2, weight_decay);
  for (int first = 0; first < count; first += kTensorsPerLaunch) {
    AdamBatch batch{};
    int64_t largest = 0;
    for (int k = first; k < count && k < first + kTensorsPerLaunch; ++k) {
      batch.t[batch.count++] = tensors[k];
      largest = tensors[k].n > largest ? tensors[k].n : largest;
    }
    launch_linear(adam_multi_kernel, largest, s, batch, h);
  }
}

}  // namespace ls::cuda
