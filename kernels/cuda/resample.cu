// kernels/cuda/resample.cu — the resampling kernels of kernels/cuda/resample.h. Every kernel runs one thread per
// element of the array it writes and gathers what that element needs, so backward passes need no atomics and no
// zero-fill (each element is written exactly once).
// Arithmetic follows kernels/cpu/resample.cpp term for term (the 2×2 sums add in the same order; products are
// rounded before they are added, __fmul_rn/__fadd_rn, since the CPU does not fuse them).
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/resample.h"

namespace ls::cuda {

// Element i of an [NC, h, w] array as (plane, row, column).
struct PlaneIndex {
  int64_t p;
  int r, c;
};
__device__ inline PlaneIndex plane_index(int64_t i, int h, int w) {
  return {i / (int64_t(h) * w), int(i / w % h), int(i % w)};
}

// The sum of the 2×2 block whose top-left is b[0] in rows of width W, in the CPU's order.
__device__ inline float window_sum(const float* b, int W) { return b[0] + b[1] + b[W] + b[W + 1]; }

void upsample_nearest2x_forward(const float* x, float* y, int NC, int H, int W, cudaStream_t s) {
  for_each(int64_t(NC) * 4 * H * W, s, [=] __device__(int64_t i) {
    const PlaneIndex o = plane_index(i, 2 * H, 2 * W);
    y[i] = x[(o.p * H + o.r / 2) * W + o.c / 2];
  });
}

void upsample_nearest2x_backward(const float* dy, float* dx, int NC, int H, int W, cudaStream_t s) {
  for_each(int64_t(NC) * H * W, s, [=] __device__(int64_t i) {
    const PlaneIndex o = plane_index(i, H, W);
    dx[i] = window_sum(dy + (o.p * 2 * H + 2 * o.r) * 2 * W + 2 * o.c, 2 * W);
  });
}

// The two input taps and weights of output index o of a ×2 bilinear resize along an axis of n inputs
// (align_corners=false, source clamped below at 0), as the CPU's.
struct Taps {
  int i0, i1;
  float w0, w1;
};
__device__ inline Taps bilinear_taps(int o, int n) {
  const float src = fmaxf(0.f, __fsub_rn(__fmul_rn(__fadd_rn(float(o), 0.5f), 0.5f), 0.5f));
  const int i0 = min(int(src), n - 1);
  const float l = src - float(i0);
  return {i0, min(i0 + 1, n - 1), 1.f - l, l};
}

void upsample_bilinear2x_forward(const float* x, float* y, int NC, int H, int W, cudaStream_t s) {
  for_each(int64_t(NC) * 4 * H * W, s, [=] __device__(int64_t i) {
    const PlaneIndex o = plane_index(i, 2 * H, 2 * W);
    const Taps r = bilinear_taps(o.r, H), c = bilinear_taps(o.c, W);
    const float* x0 = x + (o.p * H + r.i0) * W;
    const float* x1 = x + (o.p * H + r.i1) * W;
    const float top = __fadd_rn(__fmul_rn(c.w0, x0[c.i0]), __fmul_rn(c.w1, x0[c.i1]));
    const float bottom = __fadd_rn(__fmul_rn(c.w0, x1[c.i0]), __fmul_rn(c.w1, x1[c.i1]));
    y[i] = __fadd_rn(__fmul_rn(r.w0, top), __fmul_rn(r.w1, bottom));
  });
}

// The weight input index `in` gets from output index o along one axis: a tap may be both i0 and i1 at the border.
__device__ inline float tap_weight(const Taps& t, int in) {
  return (t.i0 == in ? t.w0 : 0.f) + (t.i1 == in ? t.w1 : 0.f);
}

// Gather form of the CPU's scatter. Output o reads source (o + ½)/2 − ½ = o/2 − ¼, so its taps are ⌊o/2 − ¼⌋ and the
// next: input i is tapped by outputs 2i − 1, 2i (as the upper tap) and 2i + 1, 2i + 2 (as the lower), clamped to the
// image (at the borders both taps may be one index: tap_weight adds them). Sums the ≤ 16 contributions in double so
// the result is the rounded exact sum (the CPU's float scatter is within a few ulp of it).
void upsample_bilinear2x_backward(const float* dy, float* dx, int NC, int H, int W, cudaStream_t s) {
  for_each(int64_t(NC) * H * W, s, [=] __device__(int64_t i) {
    const PlaneIndex in = plane_index(i, H, W);
    double acc = 0;
    for (int oi = max(0, 2 * in.r - 1); oi <= min(2 * H - 1, 2 * in.r + 2); ++oi) {
      const float wr = tap_weight(bilinear_taps(oi, H), in.r);
      if (wr == 0.f) continue;
      const float* row = dy + (in.p * 2 * H + oi) * 2 * W;
      for (int oj = max(0, 2 * in.c - 1); oj <= min(2 * W - 1, 2 * in.c + 2); ++oj)
        acc += double(__fmul_rn(wr, tap_weight(bilinear_taps(oj, W), in.c))) * row[oj];
    }
    dx[i] = float(acc);
  });
}

}  // namespace ls::cuda
