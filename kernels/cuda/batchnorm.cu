// kernels/cuda/batchnorm.cu — kernels/cuda/batchnorm.h, hand-written so the semantics are exactly the CPU reference's
// (kernels/cpu/batchnorm.cpp): per-channel statistics as deterministic double segmented sums
// (kernels/cuda/segmented_sum.cuh), the variance in two passes (mean, then Σ(x − mean)²), biased for normalising and
// unbiased for the running estimate, and the element-wise passes rounded as the CPU rounds (__fmul_rn/__fadd_rn:
// no fused multiply-adds). Launches per call: training forward 3, eval forward 2, backward 2 (+ the split finish).
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#include "kernels/cuda/batchnorm.h"
#include "kernels/cuda/segmented_sum.cuh"

namespace ls::cuda {

// Term r of channel c's sum: element r of the channel's N·HW values, image-major.
__device__ inline int64_t channel_offset(int64_t c, int64_t r, int C, int HW) { return (r / HW * C + c) * HW + r % HW; }

// y = x·scale + shift per channel, scale = γ·invstd, shift = β − mean·scale.
static void normalize(const float* x, const float* gamma, const float* beta, const float* mean, const float* invstd,
                      float* y, int N, int C, int HW, cudaStream_t s) {
  for_each(int64_t(N) * C * HW, s, [=] __device__(int64_t i) {
    const int64_t c = i / HW % C;
    const float scale = __fmul_rn(gamma[c], invstd[c]), shift = __fsub_rn(beta[c], __fmul_rn(mean[c], scale));
    y[i] = __fadd_rn(__fmul_rn(x[i], scale), shift);
  });
}

void batchnorm_forward(const float* x, const float* gamma, const float* beta, float* y, float* save_mean,
                       float* save_invstd, float* running_mean, float* running_var, int N, int C, int HW, bool training,
                       float momentum, float eps, cudaStream_t s) {
  const int64_t M = int64_t(N) * HW;
  if (!training) {
    for_each(C, s, [=] __device__(int64_t c) {
      save_mean[c] = running_mean[c];
      save_invstd[c] = float(1.0 / sqrt(double(running_var[c]) + double(eps)));
    });
  } else {
    double* mean = static_cast<double*>(device_alloc(size_t(C) * sizeof(double)));
    segmented_sum(
        C, M, s, [=] __device__(int64_t c, int64_t r) { return double(x[channel_offset(c, r, C, HW)]); },
        [=] __device__(int64_t c, double total) { mean[c] = total / double(M); });
    const double mom = momentum;
    segmented_sum(
        C, M, s,
        [=] __device__(int64_t c, int64_t r) {
          const double d = x[channel_offset(c, r, C, HW)] - mean[c];
          return d * d;
        },
        [=] __device__(int64_t c, double ss) {
          const double var = ss / double(M);  // biased: what the batch is normalised with
          running_mean[c] = float(__dadd_rn(__dmul_rn(1.0 - mom, running_mean[c]), __dmul_rn(mom, mean[c])));
          running_var[c] = float(__dadd_rn(__dmul_rn(1.0 - mom, running_var[c]), __dmul_rn(mom, ss / double(M - 1))));
          save_mean[c] = float(mean[c]);
          save_invstd[c] = float(1.0 / sqrt(var + double(eps)));
        });
    device_free(mean);
  }
  normalize(x, gamma, beta, save_mean, save_invstd, y, N, C, HW, s);
}

void batchnorm_backward(const float* x, const float* dy, const float* gamma, const float* save_mean,
                        const float* save_invstd, float* dx, float* dgamma, float* dbeta, int N, int C, int HW,
                        bool training, cudaStream_t s) {
  const int64_t M = int64_t(N) * HW;
  // sums[c] = Σ dy and sums[C + c] = Σ dy·x̂ of channel c: one segmented sum with 2C outputs.
  double* sums = static_cast<double*>(device_alloc(size_t(2) * C * sizeof(double)));
  segmented_sum(
      2 * int64_t(C), M, s,
      [=] __device__(int64_t o, int64_t r) {
        const int64_t c = o % C, at = channel_offset(c, r, C, HW);
        return o < C ? double(dy[at]) : double(dy[at]) * (x[at] - save_mean[c]) * save_invstd[c];
      },
      [=] __device__(int64_t o, double total) {
        sums[o] = total;
        (o < C ? dbeta[o] : dgamma[o - C]) = float(total);
      });
  // Eval: the running statistics do not depend on x, so the two correction terms vanish.
  for_each(int64_t(N) * C * HW, s, [=] __device__(int64_t i) {
    const int64_t c = i / HW % C;
    const float invstd = save_invstd[c], k = __fmul_rn(gamma[c], invstd);
    const float mean_dy = training ? float(sums[c] / double(M)) : 0.f;
    const float mean_dyx = training ? float(sums[C + c] / double(M)) : 0.f;
    const float xhat_term = __fmul_rn(__fmul_rn(__fsub_rn(x[i], save_mean[c]), invstd), mean_dyx);
    dx[i] = __fmul_rn(k, __fsub_rn(__fsub_rn(dy[i], mean_dy), xhat_term));
  });
  device_free(sums);
}

}  // namespace ls::cuda
