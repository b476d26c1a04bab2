// kernels/cpu/compose.cpp — the fused perturbed composition of kernels/cpu/compose.h.
#include "kernels/cpu/compose.h"

#include <cmath>
#include <cstring>

#include "kernels/parallel.h"

namespace ls::cpu {

// The four bilinear source taps of one output pixel: offsets into an h·w plane and weights; a tap outside the image
// has weight 0 (zero padding) and offset 0 so that reading it is harmless.
struct Taps {
  int64_t at[4];
  float w[4];
};

static Taps bilinear_taps(const float* th, int64_t i, int64_t j, int64_t h, int64_t w) {
  // PyTorch's ix = ((sx + 1)·W − 1)/2 with sx = θ·(x, y, 1) and x = (2j+1)/W − 1, y = (2i+1)/H − 1, expanded into pixel
  // units: the same value, but an identity theta lands exactly on the pixel centres (no rounding from 1/W).
  const float u = float(j) + 0.5f, v = float(i) + 0.5f, fw = float(w), fh = float(h);
  const float px = th[0] * u + th[1] * (fw / fh) * v + 0.5f * fw * (th[2] + 1.f - th[0] - th[1]) - 0.5f;
  const float py = th[3] * (fh / fw) * u + th[4] * v + 0.5f * fh * (th[5] + 1.f - th[3] - th[4]) - 0.5f;
  // Clamped to [−2, size + 1]: a coordinate beyond that has all four taps outside either way, and the clamp keeps
  // the integer conversion below defined for huge or non-finite sources.
  const float ix = std::fmin(std::fmax(px, -2.f), fw + 1.f), iy = std::fmin(std::fmax(py, -2.f), fh + 1.f);
  const float fx = std::floor(ix), fy = std::floor(iy);
  const int64_t x0 = int64_t(fx), y0 = int64_t(fy);
  const float ax = ix - fx, ay = iy - fy;
  Taps t;
  for (int k = 0; k < 4; ++k) {
    const int64_t xx = x0 + (k & 1), yy = y0 + (k >> 1);
    const bool inside = xx >= 0 && xx < w && yy >= 0 && yy < h;
    t.at[k] = inside ? yy * w + xx : 0;
    t.w[k] = inside ? ((k & 1) ? ax : 1.f - ax) * ((k >> 1) ? ay : 1.f - ay) : 0.f;
  }
  return t;
}

static float sample(const float* plane, const Taps& t) {
  return t.w[0] * plane[t.at[0]] + t.w[1] * plane[t.at[1]] + t.w[2] * plane[t.at[2]] + t.w[3] * plane[t.at[3]];
}

// Calls f(s) for each of the n samples, split over the pool: a sample's gradients scatter only into its own planes,
// so the split cannot change a result.
template <class F>
static void for_each_sample(int64_t n, int64_t per_sample, F f) {
  parallel_for(n, grain_for(8 * per_sample, kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) f(s);
  });
}

void compose_perturbed_forward(const float* x_b, const float* x_f, const float* pi, const float* theta, float* image,
                               float* mask, int64_t n, int64_t c, int64_t h, int64_t w) {
  const int64_t hw = h * w;
  for_each_sample(n, c * hw, [&](int64_t s) {
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j) {
        const Taps t = bilinear_taps(theta + 6 * s, i, j, h, w);
        const int64_t p = i * w + j;
        const float m = sample(pi + s * hw, t);
        mask[s * hw + p] = m;
        for (int64_t ch = 0; ch < c; ++ch) {
          const int64_t plane = (s * c + ch) * hw;
          image[plane + p] = (1.f - m) * x_b[plane + p] + m * sample(x_f + plane, t);
        }
      }
  });
}

void compose_perturbed_backward(const float* x_b, const float* x_f, const float* pi, const float* theta,
                                const float* g_image, const float* g_mask, float* g_x_b, float* g_x_f, float* g_pi,
                                int64_t n, int64_t c, int64_t h, int64_t w) {
  const int64_t hw = h * w;
  for_each_sample(n, c * hw, [&](int64_t s) {
    // The sample's gradients accumulate over its own planes only.
    std::memset(g_x_f + s * c * hw, 0, size_t(c * hw) * sizeof(float));
    std::memset(g_pi + s * hw, 0, size_t(hw) * sizeof(float));
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j) {
        const Taps t = bilinear_taps(theta + 6 * s, i, j, h, w);
        const int64_t p = i * w + j;
        const float m = sample(pi + s * hw, t);
        // ∂/∂T(π) collects the mask's own gradient and, per channel, g·(T(x_f) − x_b).
        float g_m = g_mask[s * hw + p];
        for (int64_t ch = 0; ch < c; ++ch) {
          const int64_t plane = (s * c + ch) * hw;
          const float g = g_image[plane + p];
          g_x_b[plane + p] = g * (1.f - m);
          g_m += g * (sample(x_f + plane, t) - x_b[plane + p]);
          for (int k = 0; k < 4; ++k) g_x_f[plane + t.at[k]] += t.w[k] * g * m;
        }
        for (int k = 0; k < 4; ++k) g_pi[s * hw + t.at[k]] += t.w[k] * g_m;
      }
  });
}

}  // namespace ls::cpu
