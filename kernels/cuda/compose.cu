// kernels/cuda/compose.cu — the fused perturbed composition of kernels/cuda/compose.h. One thread per output pixel:
// it computes the pixel's four bilinear taps once and serves every channel and the mask from them.
//   forward:  reads x_b, the taps of x_f and π; writes image and mask (one pass).
//   backward: writes g_x_b directly and scatters w·g·T(π) into g_x_f and w·∂L/∂T(π) into g_π with atomicAdd, after
//             zeroing both (the same scatter as the CPU; a gather would need the inverse of an arbitrary, possibly
//             singular theta). Float atomics add in an unspecified order, so g_x_f and g_π can differ from run to
//             run in the last bits; everything else is deterministic.
// The coordinate and blend arithmetic is the CPU's (kernels/cpu/compose.cpp) operation for operation, with
// __fmul_rn/__fadd_rn so nvcc cannot fuse it into FMAs: the taps, and with them the forward, are bit-identical.
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*:CudaKernels.Compose*'.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/compose.h"

namespace ls::cuda {

// The four bilinear source taps of output pixel (i, j): offsets into an h·w plane and weights; a tap outside the
// image has weight 0 and offset 0 (zero padding).
struct Taps {
  int64_t at[4];
  float w[4];
};

__device__ inline float mul(float a, float b) { return __fmul_rn(a, b); }
__device__ inline float add(float a, float b) { return __fadd_rn(a, b); }
__device__ inline float sub(float a, float b) { return __fsub_rn(a, b); }

__device__ inline Taps bilinear_taps(const float* th, int64_t i, int64_t j, int64_t h, int64_t w) {
  const float u = add(float(j), 0.5f), v = add(float(i), 0.5f), fw = float(w), fh = float(h);
  const float px = sub(add(add(mul(th[0], u), mul(mul(th[1], __fdiv_rn(fw, fh)), v)),
                           mul(mul(0.5f, fw), sub(sub(add(th[2], 1.f), th[0]), th[1]))),
                       0.5f);
  const float py = sub(add(add(mul(mul(th[3], __fdiv_rn(fh, fw)), u), mul(th[4], v)),
                           mul(mul(0.5f, fh), sub(sub(add(th[5], 1.f), th[3]), th[4]))),
                       0.5f);
  // Clamped to [−2, size + 1] (all four taps outside either way) so the integer conversion stays defined.
  const float ix = fminf(fmaxf(px, -2.f), fw + 1.f), iy = fminf(fmaxf(py, -2.f), fh + 1.f);
  const float fx = floorf(ix), fy = floorf(iy);
  const int64_t x0 = int64_t(fx), y0 = int64_t(fy);
  const float ax = sub(ix, fx), ay = sub(iy, fy);
  Taps t;
  for (int k = 0; k < 4; ++k) {
    const int64_t xx = x0 + (k & 1), yy = y0 + (k >> 1);
    const bool inside = xx >= 0 && xx < w && yy >= 0 && yy < h;
    t.at[k] = inside ? yy * w + xx : 0;
    t.w[k] = inside ? mul((k & 1) ? ax : sub(1.f, ax), (k >> 1) ? ay : sub(1.f, ay)) : 0.f;
  }
  return t;
}

__device__ inline float sample(const float* plane, const Taps& t) {
  return add(add(add(mul(t.w[0], plane[t.at[0]]), mul(t.w[1], plane[t.at[1]])), mul(t.w[2], plane[t.at[2]])),
             mul(t.w[3], plane[t.at[3]]));
}

void compose_perturbed_forward(const float* x_b, const float* x_f, const float* pi, const float* theta, float* image,
                               float* mask, int64_t n, int64_t c, int64_t h, int64_t w, cudaStream_t s) {
  const int64_t hw = h * w;
  for_each(n * hw, s, [=] __device__(int64_t q) {
    const int64_t smp = q / hw, p = q % hw;
    const Taps t = bilinear_taps(theta + 6 * smp, p / w, p % w, h, w);
    const float m = sample(pi + smp * hw, t);
    mask[q] = m;
    for (int64_t ch = 0; ch < c; ++ch) {
      const int64_t plane = (smp * c + ch) * hw;
      image[plane + p] = add(mul(sub(1.f, m), x_b[plane + p]), mul(m, sample(x_f + plane, t)));
    }
  });
}

void compose_perturbed_backward(const float* x_b, const float* x_f, const float* pi, const float* theta,
                                const float* g_image, const float* g_mask, float* g_x_b, float* g_x_f, float* g_pi,
                                int64_t n, int64_t c, int64_t h, int64_t w, cudaStream_t s) {
  const int64_t hw = h * w;
  LS_CUDA_CHECK(cudaMemsetAsync(g_x_f, 0, size_t(n * c * hw) * sizeof(float), s));
  LS_CUDA_CHECK(cudaMemsetAsync(g_pi, 0, size_t(n * hw) * sizeof(float), s));
  for_each(n * hw, s, [=] __device__(int64_t q) {
    const int64_t smp = q / hw, p = q % hw;
    const Taps t = bilinear_taps(theta + 6 * smp, p / w, p % w, h, w);
    const float m = sample(pi + smp * hw, t);
    // ∂L/∂T(π) collects the mask's own gradient and, per channel, g·(T(x_f) − x_b).
    float g_m = g_mask[q];
    for (int64_t ch = 0; ch < c; ++ch) {
      const int64_t plane = (smp * c + ch) * hw;
      const float g = g_image[plane + p];
      g_x_b[plane + p] = mul(g, sub(1.f, m));
      g_m = add(g_m, mul(g, sub(sample(x_f + plane, t), x_b[plane + p])));
      for (int k = 0; k < 4; ++k)
        if (t.w[k] != 0.f) atomicAdd(g_x_f + plane + t.at[k], mul(mul(t.w[k], g), m));
    }
    for (int k = 0; k < 4; ++k)
      if (t.w[k] != 0.f) atomicAdd(g_pi + smp * hw + t.at[k], mul(t.w[k], g_m));
  });
}

}  // namespace ls::cuda
