// kernels/cpu/pool.cpp — the pooling kernels of kernels/cpu/pool.h. Every kernel walks the output windows in
// row-major order; the backward passes scatter into dx in that same order (the CUDA twins gather in it, so both sum
// identically).
#include "kernels/cpu/pool.h"

#include <algorithm>
#include <cstdint>

#include "kernels/parallel.h"

namespace ls::cpu {
namespace {

// The in-image rows (or columns) [lo, hi) of output index o's window along an axis of n inputs.
struct Span {
  int lo, hi;
};
Span window(int o, int n, int k, int stride, int pad) {
  const int start = o * stride - pad;
  return {std::max(start, 0), std::min(start + k, n)};
}

// Calls f(plane, rows, cols, out_index) for every output window, planes split over the pool and each plane's windows
// in row-major order (a backward pass only scatters within its own plane). With zero_first set, each plane of dx is
// zeroed before its windows.
template <class F>
void for_each_window(int NC, int H, int W, int k, int stride, int pad, F f, float* zero_first = nullptr) {
  const int P = (H + 2 * pad - k) / stride + 1, Q = (W + 2 * pad - k) / stride + 1;
  parallel_for(NC, grain_for(int64_t(H) * W, kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      if (zero_first) std::fill(zero_first + plane * H * W, zero_first + (plane + 1) * H * W, 0.f);
      for (int p = 0; p < P; ++p)
        for (int q = 0; q < Q; ++q)
          f(plane, window(p, H, k, stride, pad), window(q, W, k, stride, pad), (plane * P + p) * Q + q);
    }
  });
}

// Offset within the plane of the window's first maximum (row-major; strict comparison keeps the earlier one).
int64_t first_max(const float* plane, int W, Span rows, Span cols) {
  int64_t best = int64_t(rows.lo) * W + cols.lo;
  for (int i = rows.lo; i < rows.hi; ++i)
    for (int j = cols.lo; j < cols.hi; ++j)
      if (plane[int64_t(i) * W + j] > plane[best]) best = int64_t(i) * W + j;
  return best;
}

float divisor(Span rows, Span cols, int k, bool count_include_pad) {
  return float(count_include_pad ? k * k : (rows.hi - rows.lo) * (cols.hi - cols.lo));
}

}  // namespace

void max_pool2d_forward(const float* x, float* y, int NC, int H, int W, int k, int stride, int pad) {
  for_each_window(NC, H, W, k, stride, pad, [&](int64_t plane, Span rows, Span cols, int64_t o) {
    const float* xp = x + plane * H * W;
    y[o] = xp[first_max(xp, W, rows, cols)];
  });
}

void max_pool2d_backward(const float* x, const float* dy, float* dx, int NC, int H, int W, int k, int stride, int pad) {
  for_each_window(
      NC, H, W, k, stride, pad,
      [&](int64_t plane, Span rows, Span cols, int64_t o) {
        dx[plane * H * W + first_max(x + plane * H * W, W, rows, cols)] += dy[o];
      },
      dx);
}

void avg_pool2d_forward(const float* x, float* y, int NC, int H, int W, int k, int stride, int pad,
                        bool count_include_pad) {
  for_each_window(NC, H, W, k, stride, pad, [&](int64_t plane, Span rows, Span cols, int64_t o) {
    const float* xp = x + plane * H * W;
    float sum = 0.f;
    for (int i = rows.lo; i < rows.hi; ++i)
      for (int j = cols.lo; j < cols.hi; ++j) sum += xp[int64_t(i) * W + j];
    y[o] = sum / divisor(rows, cols, k, count_include_pad);
  });
}

void avg_pool2d_backward(const float* dy, float* dx, int NC, int H, int W, int k, int stride, int pad,
                         bool count_include_pad) {
  for_each_window(
      NC, H, W, k, stride, pad,
      [&](int64_t plane, Span rows, Span cols, int64_t o) {
        const float g = dy[o] / divisor(rows, cols, k, count_include_pad);
        float* dxp = dx + plane * H * W;
        for (int i = rows.lo; i < rows.hi; ++i)
          for (int j = cols.lo; j < cols.hi; ++j) dxp[int64_t(i) * W + j] += g;
      },
      dx);
}

}  // namespace ls::cpu
