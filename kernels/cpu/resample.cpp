// kernels/cpu/resample.cpp — the kernels of kernels/cpu/resample.h. Nearest upsampling and average pooling are
// adjoint to each other up to a factor 4, so both are built from the same two 2×2-block helpers.
#include "kernels/cpu/resample.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace ls::cpu {
namespace {

// small [NC, h, w] → big [NC, H, W] (H ≥ 2h, W ≥ 2w): every small value, times scale, fills its 2×2 block; rows and
// columns past 2h, 2w are zero.
void spread_blocks(const float* small, float* big, int NC, int H, int W, float scale) {
  const int h = H / 2, w = W / 2;
  if (H % 2 || W % 2) std::fill(big, big + int64_t(NC) * H * W, 0.f);  // the uncovered trailing row/column
  for (int64_t p = 0; p < NC; ++p)
    for (int i = 0; i < 2 * h; ++i) {
      const float* s = small + (p * h + i / 2) * w;
      float* b = big + (p * H + i) * W;
      for (int j = 0; j < 2 * w; ++j) b[j] = scale * s[j / 2];
    }
}

// big [NC, H, W] → small [NC, H/2, W/2]: scale times the sum of each 2×2 block (a trailing odd row/column is unread).
void sum_blocks(const float* big, float* small, int NC, int H, int W, float scale) {
  const int h = H / 2, w = W / 2;
  for (int64_t p = 0; p < NC; ++p)
    for (int i = 0; i < h; ++i) {
      const float* b0 = big + (p * H + 2 * i) * W;
      const float* b1 = b0 + W;
      float* s = small + (p * h + i) * w;
      for (int j = 0; j < w; ++j) s[j] = scale * (b0[2 * j] + b0[2 * j + 1] + b1[2 * j] + b1[2 * j + 1]);
    }
}

// The two input taps and weights of output index o of a ×2 bilinear resize along an axis of n inputs.
struct Taps {
  int i0, i1;
  float w0, w1;
};
Taps bilinear_taps(int o, int n) {
  const float src = std::max(0.f, (float(o) + 0.5f) * 0.5f - 0.5f);  // align_corners=false, clamped below
  const int i0 = std::min(int(src), n - 1);
  const float l = src - float(i0);
  return {i0, std::min(i0 + 1, n - 1), 1.f - l, l};
}

// The bilinear ×2 forward (kForward: y from x) and its adjoint (dx accumulated from dy), sharing one set of taps.
template <bool kForward>
void bilinear_transfer(std::conditional_t<kForward, const float*, float*> x,
                       std::conditional_t<kForward, float*, const float*> y, int NC, int H, int W) {
  const int Ho = 2 * H, Wo = 2 * W;
  for (int64_t p = 0; p < NC; ++p)
    for (int oi = 0; oi < Ho; ++oi) {
      const Taps r = bilinear_taps(oi, H);
      auto x0 = x + (p * H + r.i0) * W, x1 = x + (p * H + r.i1) * W;
      auto yrow = y + (p * Ho + oi) * Wo;
      for (int oj = 0; oj < Wo; ++oj) {
        const Taps c = bilinear_taps(oj, W);
        if constexpr (kForward) {
          yrow[oj] = r.w0 * (c.w0 * x0[c.i0] + c.w1 * x0[c.i1]) + r.w1 * (c.w0 * x1[c.i0] + c.w1 * x1[c.i1]);
        } else {
          const float g = yrow[oj];
          x0[c.i0] += r.w0 * c.w0 * g;
          x0[c.i1] += r.w0 * c.w1 * g;
          x1[c.i0] += r.w1 * c.w0 * g;
          x1[c.i1] += r.w1 * c.w1 * g;
        }
      }
    }
}

// Offset (0..3 → (0,0), (0,1), (1,0), (1,1)) of the first maximum of the 2×2 window whose top-left is b0[0].
int first_max(const float* b0, int W) {
  const float v[4] = {b0[0], b0[1], b0[W], b0[W + 1]};
  int k = 0;
  for (int t = 1; t < 4; ++t)
    if (v[t] > v[k]) k = t;  // strict: ties keep the earlier position
  return k;
}

}  // namespace

void upsample_nearest2x_forward(const float* x, float* y, int NC, int H, int W) {
  spread_blocks(x, y, NC, 2 * H, 2 * W, 1.f);
}
void upsample_nearest2x_backward(const float* dy, float* dx, int NC, int H, int W) {
  sum_blocks(dy, dx, NC, 2 * H, 2 * W, 1.f);
}

void upsample_bilinear2x_forward(const float* x, float* y, int NC, int H, int W) {
  bilinear_transfer<true>(x, y, NC, H, W);
}
void upsample_bilinear2x_backward(const float* dy, float* dx, int NC, int H, int W) {
  std::fill(dx, dx + int64_t(NC) * H * W, 0.f);
  bilinear_transfer<false>(dx, dy, NC, H, W);
}

void avg_pool2_forward(const float* x, float* y, int NC, int H, int W) { sum_blocks(x, y, NC, H, W, 0.25f); }
void avg_pool2_backward(const float* dy, float* dx, int NC, int H, int W) { spread_blocks(dy, dx, NC, H, W, 0.25f); }

void max_pool2_forward(const float* x, float* y, int NC, int H, int W) {
  const int h = H / 2, w = W / 2;
  for (int64_t p = 0; p < NC; ++p)
    for (int i = 0; i < h; ++i)
      for (int j = 0; j < w; ++j) {
        const float* b0 = x + (p * H + 2 * i) * W + 2 * j;
        const int k = first_max(b0, W);
        y[(p * h + i) * w + j] = b0[(k / 2) * W + k % 2];
      }
}

void max_pool2_backward(const float* x, const float* dy, float* dx, int NC, int H, int W) {
  const int h = H / 2, w = W / 2;
  std::fill(dx, dx + int64_t(NC) * H * W, 0.f);
  for (int64_t p = 0; p < NC; ++p)
    for (int i = 0; i < h; ++i)
      for (int j = 0; j < w; ++j) {
        const int64_t top_left = (p * H + 2 * i) * W + 2 * j;
        const int k = first_max(x + top_left, W);
        dx[top_left + (k / 2) * W + k % 2] = dy[(p * h + i) * w + j];
      }
}

}  // namespace ls::cpu
