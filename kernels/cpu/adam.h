// kernels/cpu/adam.h — the optimizer kernels on raw float pointers: one Adam step and one EMA step.
// Used through LS_DISPATCH by core/optim.cpp; the CUDA twins (kernels/cuda/adam.h) take a trailing cudaStream_t.
#pragma once
#include <cstdint>

namespace ls::cpu {

// PyTorch's Adam (L2 weight decay added to the gradient, not decoupled), one step over n elements:
//   g = grad + weight_decay·param;  m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
//   param −= lr/bias_c1 · m / (sqrt(v)/sqrt(bias_c2) + eps),  bias_c1 = 1 − β1^t, bias_c2 = 1 − β2^t.
void adam_update(float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1, float beta2,
                 float eps, float bias_c1, float bias_c2, float weight_decay);

// ema = decay·ema + (1 − decay)·p over n elements.
void ema_update(float* ema, const float* p, int64_t n, float decay);

}  // namespace ls::cpu
