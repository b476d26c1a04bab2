// kernels/cpu/adam.cpp — the CPU reference of kernels/cpu/adam.h, written in the order PyTorch evaluates it so the
// float results follow torch.optim.Adam as closely as float arithmetic allows.
#include "kernels/cpu/adam.h"

#include <cmath>

#include "kernels/parallel.h"

namespace ls::cpu {

void adam_update(float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1, float beta2,
                 float eps, float bias_c1, float bias_c2, float weight_decay) {
  const float step_size = lr / bias_c1, sqrt_bias_c2 = std::sqrt(bias_c2);
  parallel_for(n, kElementGrain / 4, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float g = grad[i] + weight_decay * param[i];
      m[i] = beta1 * m[i] + (1.f - beta1) * g;
      v[i] = beta2 * v[i] + (1.f - beta2) * g * g;
      param[i] -= step_size * m[i] / (std::sqrt(v[i]) / sqrt_bias_c2 + eps);
    }
  });
}

void ema_update(float* ema, const float* p, int64_t n, float decay) {
  parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) ema[i] = decay * ema[i] + (1.f - decay) * p[i];
  });
}

}  // namespace ls::cpu
