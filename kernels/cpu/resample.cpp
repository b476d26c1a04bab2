// kernels/cpu/resample.cpp — the kernels of kernels/cpu/resample.h.
#include "kernels/cpu/resample.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "kernels/parallel.h"

namespace ls::cpu {
namespace {

// Calls f(plane) for each of the NC planes of an H×W → 2H×2W resampling, split over the pool: planes never share
// an output element, so the split cannot change a result.
template <class F>
void for_each_plane(int NC, int H, int W, F f) {
  parallel_for(NC, grain_for(5 * int64_t(H) * W, kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) f(p);
  });
}

// Nearest ×2: x [NC, H, W] → y [NC, 2H, 2W], every value fills its 2×2 block.
void spread_blocks(const float* x, float* y, int NC, int H, int W) {
  for_each_plane(NC, H, W, [&](int64_t p) {
    for (int i = 0; i < 2 * H; ++i) {
      const float* s = x + (p * H + i / 2) * W;
      float* b = y + (p * 2 * H + i) * 2 * W;
      for (int j = 0; j < 2 * W; ++j) b[j] = s[j / 2];
    }
  });
}

// Its adjoint: dy [NC, 2H, 2W] → dx [NC, H, W], the sum of each 2×2 block.
void sum_blocks(const float* dy, float* dx, int NC, int H, int W) {
  for_each_plane(NC, H, W, [&](int64_t p) {
    for (int i = 0; i < H; ++i) {
      const float* b0 = dy + (p * 2 * H + 2 * i) * 2 * W;
      const float* b1 = b0 + 2 * W;
      float* s = dx + (p * H + i) * W;
      for (int j = 0; j < W; ++j) s[j] = b0[2 * j] + b0[2 * j + 1] + b1[2 * j] + b1[2 * j + 1];
    }
  });
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
  for_each_plane(NC, H, W, [&](int64_t p) {
    if constexpr (!kForward) std::fill(x + p * H * W, x + (p + 1) * H * W, 0.f);  // the plane's adjoint accumulates
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
  });
}

}  // namespace

void upsample_nearest2x_forward(const float* x, float* y, int NC, int H, int W) { spread_blocks(x, y, NC, H, W); }
void upsample_nearest2x_backward(const float* dy, float* dx, int NC, int H, int W) { sum_blocks(dy, dx, NC, H, W); }

void upsample_bilinear2x_forward(const float* x, float* y, int NC, int H, int W) {
  bilinear_transfer<true>(x, y, NC, H, W);
}
void upsample_bilinear2x_backward(const float* dy, float* dx, int NC, int H, int W) {
  bilinear_transfer<false>(dx, dy, NC, H, W);
}

}  // namespace ls::cpu
