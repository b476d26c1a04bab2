// kernels/cpu/style.cpp — the kernels of kernels/cpu/style.h. Each output element is computed whole by one task, in
// the order the header states, so the pool's split cannot change a result and the CUDA twin adds the same terms.
#include "kernels/cpu/style.h"

#include <cmath>

#include "kernels/parallel.h"

namespace ls::cpu {

void bias_act_forward(const float* x, const float* b, float* y, int N, int C, int64_t HW, float slope, float gain) {
  parallel_for(int64_t(N) * C, grain_for(HW, kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const float bias = b ? b[p % C] : 0.f;
      for (int64_t i = p * HW; i < (p + 1) * HW; ++i) {
        const float v = x[i] + bias;
        y[i] = gain * (v > 0.f ? v : slope * v);
      }
    }
  });
}

void bias_act_backward(const float* dy, const float* y, float* dx, int64_t n, float slope, float gain) {
  parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] = dy[i] * gain * (y[i] > 0.f ? 1.f : slope);
  });
}

namespace {
// Σ_k w[o][c][k]², the squared norm of one (output, input) filter.
float filter_energy(const float* w, int o, int C, int c, int K) {
  const float* f = w + (int64_t(o) * C + c) * K;
  float e = 0.f;
  for (int k = 0; k < K; ++k) e += f[k] * f[k];
  return e;
}
}  // namespace

void demodulation_forward(const float* w, const float* s, float* d, int N, int O, int C, int K, float eps) {
  parallel_for(int64_t(N) * O, grain_for(int64_t(C) * K, kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t e = begin; e < end; ++e) {
      const int n = int(e / O), o = int(e % O);
      float q = 0.f;
      for (int c = 0; c < C; ++c) q += s[int64_t(n) * C + c] * s[int64_t(n) * C + c] * filter_energy(w, o, C, c, K);
      d[e] = 1.f / std::sqrt(q + eps);
    }
  });
}

void demodulation_backward(const float* w, const float* s, const float* d, const float* dd, float* dw, float* ds, int N,
                           int O, int C, int K) {
  const auto g = [&](int n, int o) {  // ∂L/∂q[n][o]
    const float dv = d[int64_t(n) * O + o];
    return -0.5f * dd[int64_t(n) * O + o] * dv * dv * dv;
  };
  parallel_for(int64_t(N) * C, grain_for(int64_t(O) * K, kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t e = begin; e < end; ++e) {
      const int n = int(e / C), c = int(e % C);
      float sum = 0.f;
      for (int o = 0; o < O; ++o) sum += g(n, o) * filter_energy(w, o, C, c, K);
      ds[e] = 2.f * s[e] * sum;
    }
  });
  parallel_for(int64_t(O) * C, grain_for(int64_t(N) * K, kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t e = begin; e < end; ++e) {
      const int o = int(e / C), c = int(e % C);
      float sum = 0.f;
      for (int n = 0; n < N; ++n) sum += g(n, o) * s[int64_t(n) * C + c] * s[int64_t(n) * C + c];
      for (int k = 0; k < K; ++k) dw[e * K + k] = 2.f * sum * w[e * K + k];
    }
  });
}

namespace {
// Mean and √(variance + eps) over the G samples of group position m at channel c and pixel i.
struct GroupMoments {
  float mean, std;
};
GroupMoments group_moments(const float* x, int m, int M, int C, int c, int64_t HW, int64_t i, int G, float eps) {
  const auto at = [&](int g) { return x[(int64_t(m * G + g) * C + c) * HW + i]; };
  float mean = 0.f;
  for (int g = 0; g < G; ++g) mean += at(g);
  mean /= float(G);
  float var = 0.f;
  for (int g = 0; g < G; ++g) var += (at(g) - mean) * (at(g) - mean);
  return {mean, std::sqrt(var / float(G) + eps)};
}
}  // namespace

void minibatch_stddev_forward(const float* x, float* stat, int N, int C, int64_t HW, int G, int F, float eps) {
  const int M = N / G, Cf = C / F;
  parallel_for(int64_t(M) * F, grain_for(int64_t(G) * Cf * HW, kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t e = begin; e < end; ++e) {
      const int m = int(e / F), f = int(e % F);
      float sum = 0.f;
      for (int j = 0; j < Cf; ++j)
        for (int64_t i = 0; i < HW; ++i) sum += group_moments(x, m, M, C, f * Cf + j, HW, i, G, eps).std;
      stat[e] = sum / float(int64_t(Cf) * HW);
    }
  });
}

void minibatch_stddev_backward(const float* x, const float* dstat, float* dx, int N, int C, int64_t HW, int G, int F,
                               float eps) {
  const int M = N / G, Cf = C / F;
  parallel_for(int64_t(M) * C * HW, grain_for(4 * G, kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t e = begin; e < end; ++e) {
      const int m = int(e / (int64_t(C) * HW)), c = int(e / HW % C);
      const int64_t i = e % HW;
      const GroupMoments gm = group_moments(x, m, M, C, c, HW, i, G, eps);
      const float scale = dstat[int64_t(m) * F + c / Cf] / (float(G) * gm.std * float(int64_t(Cf) * HW));
      for (int g = 0; g < G; ++g) {
        const int64_t at = (int64_t(m * G + g) * C + c) * HW + i;
        dx[at] = scale * (x[at] - gm.mean);
      }
    }
  });
}

}  // namespace ls::cpu
