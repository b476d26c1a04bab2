// kernels/cpu/batchnorm.cpp — the kernels of kernels/cpu/batchnorm.h. Per-channel sums run in double (two passes for
// the variance) so large batches do not lose precision.
#include "kernels/cpu/batchnorm.h"

#include <cmath>
#include <cstdint>

#include "kernels/parallel.h"

namespace ls::cpu {

void batchnorm_forward(const float* x, const float* gamma, const float* beta, float* y, float* save_mean,
                       float* save_invstd, float* running_mean, float* running_var, int N, int C, int HW, bool training,
                       float momentum, float eps) {
  const int64_t M = int64_t(N) * HW;
  // Channels are independent: each is one item of the pool's work, summed in the same order by whichever thread.
  parallel_for(C, grain_for(3 * M, kElementGrain), [&](int64_t c_begin, int64_t c_end) {
    for (int64_t c = c_begin; c < c_end; ++c) {
      double mean = running_mean[c], var = running_var[c];
      if (training) {
        double s = 0, ss = 0;
        for (int n = 0; n < N; ++n) {
          const float* row = x + (int64_t(n) * C + c) * HW;
          for (int i = 0; i < HW; ++i) s += row[i];
        }
        mean = s / double(M);
        for (int n = 0; n < N; ++n) {
          const float* row = x + (int64_t(n) * C + c) * HW;
          for (int i = 0; i < HW; ++i) ss += (row[i] - mean) * (row[i] - mean);
        }
        var = ss / double(M);  // biased: what the batch is normalised with
        running_mean[c] = float((1.0 - momentum) * running_mean[c] + momentum * mean);
        running_var[c] = float((1.0 - momentum) * running_var[c] + momentum * ss / double(M - 1));  // unbiased
      }
      const float m = float(mean), invstd = float(1.0 / std::sqrt(var + double(eps)));
      save_mean[c] = m;
      save_invstd[c] = invstd;
      const float scale = gamma[c] * invstd, shift = beta[c] - m * scale;
      for (int n = 0; n < N; ++n) {
        const int64_t off = (int64_t(n) * C + c) * HW;
        for (int i = 0; i < HW; ++i) y[off + i] = x[off + i] * scale + shift;
      }
    }
  });
}

void batchnorm_backward(const float* x, const float* dy, const float* gamma, const float* save_mean,
                        const float* save_invstd, float* dx, float* dgamma, float* dbeta, int N, int C, int HW,
                        bool training) {
  const int64_t M = int64_t(N) * HW;
  parallel_for(C, grain_for(2 * M, kElementGrain), [&](int64_t c_begin, int64_t c_end) {
    for (int64_t c = c_begin; c < c_end; ++c) {
      const float m = save_mean[c], invstd = save_invstd[c];
      double sdy = 0, sdyx = 0;  // Σ dy and Σ dy·x̂
      for (int n = 0; n < N; ++n) {
        const int64_t off = (int64_t(n) * C + c) * HW;
        for (int i = 0; i < HW; ++i) {
          sdy += dy[off + i];
          sdyx += double(dy[off + i]) * (x[off + i] - m) * invstd;
        }
      }
      dgamma[c] = float(sdyx);
      dbeta[c] = float(sdy);
      const float k = gamma[c] * invstd;
      const float mean_dy = training ? float(sdy / double(M)) : 0.f,
                  mean_dyx = training ? float(sdyx / double(M)) : 0.f;
      for (int n = 0; n < N; ++n) {
        const int64_t off = (int64_t(n) * C + c) * HW;
        for (int i = 0; i < HW; ++i) dx[off + i] = k * (dy[off + i] - mean_dy - (x[off + i] - m) * invstd * mean_dyx);
      }
    }
  });
}

}  // namespace ls::cpu
