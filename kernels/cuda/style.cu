// kernels/cuda/style.cu — the kernels of kernels/cuda/style.h. One thread per element written, each summing its terms
// in the CPU twin's order (kernels/cpu/style.cpp), so the devices differ only by contracted multiply-adds and the
// square root's rounding. The demodulation's sums run over C·K (forward) and O·K or N (backward) terms per thread:
// simple and exact in order, at the cost of re-reading w; a modulated layer's convolution dwarfs them.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/style.h"

namespace ls::cuda {
namespace {

__device__ float filter_energy(const float* w, int o, int C, int c, int K) {
  const float* f = w + (int64_t(o) * C + c) * K;
  float e = 0.f;
  for (int k = 0; k < K; ++k) e += f[k] * f[k];
  return e;
}

struct GroupMoments {
  float mean, std;
};
__device__ GroupMoments group_moments(const float* x, int m, int M, int C, int c, int64_t HW, int64_t i, int G,
                                      float eps) {
  float mean = 0.f;
  for (int g = 0; g < G; ++g) mean += x[(int64_t(m * G + g) * C + c) * HW + i];
  mean /= float(G);
  float var = 0.f;
  for (int g = 0; g < G; ++g) {
    const float v = x[(int64_t(m * G + g) * C + c) * HW + i] - mean;
    var += v * v;
  }
  return {mean, sqrtf(var / float(G) + eps)};
}

}  // namespace

void bias_act_forward(const float* x, const float* b, float* y, int N, int C, int64_t HW, float slope, float gain,
                      cudaStream_t s) {
  for_each(int64_t(N) * C * HW, s, [=] __device__(int64_t i) {
    const float v = x[i] + (b ? b[i / HW % C] : 0.f);
    y[i] = gain * (v > 0.f ? v : slope * v);
  });
}

void bias_act_backward(const float* dy, const float* y, float* dx, int64_t n, float slope, float gain, cudaStream_t s) {
  for_each(n, s, [=] __device__(int64_t i) { dx[i] = dy[i] * gain * (y[i] > 0.f ? 1.f : slope); });
}

void demodulation_forward(const float* w, const float* st, float* d, int N, int O, int C, int K, float eps,
                          cudaStream_t s) {
  for_each(int64_t(N) * O, s, [=] __device__(int64_t e) {
    const int n = int(e / O), o = int(e % O);
    float q = 0.f;
    for (int c = 0; c < C; ++c) q += st[int64_t(n) * C + c] * st[int64_t(n) * C + c] * filter_energy(w, o, C, c, K);
    d[e] = 1.f / sqrtf(q + eps);
  });
}

void demodulation_backward(const float* w, const float* st, const float* d, const float* dd, float* dw, float* ds,
                           int N, int O, int C, int K, cudaStream_t s) {
  for_each(int64_t(N) * C, s, [=] __device__(int64_t e) {
    const int n = int(e / C), c = int(e % C);
    float sum = 0.f;
    for (int o = 0; o < O; ++o) {
      const float dv = d[int64_t(n) * O + o];
      sum += -0.5f * dd[int64_t(n) * O + o] * dv * dv * dv * filter_energy(w, o, C, c, K);
    }
    ds[e] = 2.f * st[e] * sum;
  });
  for_each(int64_t(O) * C, s, [=] __device__(int64_t e) {
    const int o = int(e / C), c = int(e % C);
    float sum = 0.f;
    for (int n = 0; n < N; ++n) {
      const float dv = d[int64_t(n) * O + o];
      sum += -0.5f * dd[int64_t(n) * O + o] * dv * dv * dv * st[int64_t(n) * C + c] * st[int64_t(n) * C + c];
    }
    for (int k = 0; k < K; ++k) dw[e * K + k] = 2.f * sum * w[e * K + k];
  });
}

void minibatch_stddev_forward(const float* x, float* stat, int N, int C, int64_t HW, int G, int F, float eps,
                              cudaStream_t s) {
  const int M = N / G, Cf = C / F;
  for_each(int64_t(M) * F, s, [=] __device__(int64_t e) {
    const int m = int(e / F), f = int(e % F);
    float sum = 0.f;
    for (int j = 0; j < Cf; ++j)
      for (int64_t i = 0; i < HW; ++i) sum += group_moments(x, m, M, C, f * Cf + j, HW, i, G, eps).std;
    stat[e] = sum / float(int64_t(Cf) * HW);
  });
}

void minibatch_stddev_backward(const float* x, const float* dstat, float* dx, int N, int C, int64_t HW, int G, int F,
                               float eps, cudaStream_t s) {
  const int M = N / G, Cf = C / F;
  for_each(int64_t(M) * C * HW, s, [=] __device__(int64_t e) {
    const int m = int(e / (int64_t(C) * HW)), c = int(e / HW % C);
    const int64_t i = e % HW;
    const GroupMoments gm = group_moments(x, m, M, C, c, HW, i, G, eps);
    const float scale = dstat[int64_t(m) * F + c / Cf] / (float(G) * gm.std * float(int64_t(Cf) * HW));
    for (int g = 0; g < G; ++g) {
      const int64_t at = (int64_t(m * G + g) * C + c) * HW + i;
      dx[at] = scale * (x[at] - gm.mean);
    }
  });
}

}  // namespace ls::cuda
