// kernels/cuda/pool.cu — the pooling kernels of kernels/cuda/pool.h. One thread per element of the array written:
// forward threads reduce their window in the CPU's row-major order; backward threads gather, for their input
// element, the contributions of every window covering it in row-major window order, which is the order the CPU
// scatters them in, so both devices add the same terms in the same order (no atomics, no zero-fill).
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/pool.h"

namespace ls::cuda {
namespace {

struct Span {
  int lo, hi;
};

// Pooling geometry of one call; device-side helpers mirror kernels/cpu/pool.cpp.
struct PoolGeometry {
  int H, W, k, stride, pad, P, Q;
  PoolGeometry(int H_, int W_, int k_, int stride_, int pad_)
      : H(H_),
        W(W_),
        k(k_),
        stride(stride_),
        pad(pad_),
        P((H_ + 2 * pad_ - k_) / stride_ + 1),
        Q((W_ + 2 * pad_ - k_) / stride_ + 1) {}
  // The in-image rows (n = H) or columns (n = W) [lo, hi) of output index o's window.
  __device__ Span window(int o, int n) const {
    const int start = o * stride - pad;
    return {max(start, 0), min(start + k, n)};
  }
  // The output indices [lo, hi) along an axis (of `outs` outputs) whose windows cover input index i.
  __device__ Span covering(int i, int outs) const {
    const int first = i + pad - k + 1;  // need o·stride − pad ≤ i < o·stride − pad + k
    return {first <= 0 ? 0 : (first + stride - 1) / stride, min(outs, (i + pad) / stride + 1)};
  }
  __device__ float divisor(Span rows, Span cols, bool count_include_pad) const {
    return float(count_include_pad ? k * k : (rows.hi - rows.lo) * (cols.hi - cols.lo));
  }
};

// Offset within the plane of the window's first maximum, as the CPU's first_max.
__device__ int64_t first_max(const float* plane, int W, Span rows, Span cols) {
  int64_t best = int64_t(rows.lo) * W + cols.lo;
  for (int i = rows.lo; i < rows.hi; ++i)
    for (int j = cols.lo; j < cols.hi; ++j)
      if (plane[int64_t(i) * W + j] > plane[best]) best = int64_t(i) * W + j;
  return best;
}

}  // namespace

void max_pool2d_forward(const float* x, float* y, int NC, int H, int W, int k, int stride, int pad, cudaStream_t s) {
  const PoolGeometry g(H, W, k, stride, pad);
  for_each(int64_t(NC) * g.P * g.Q, s, [=] __device__(int64_t i) {
    const float* plane = x + i / (int64_t(g.P) * g.Q) * H * W;
    y[i] = plane[first_max(plane, W, g.window(int(i / g.Q % g.P), H), g.window(int(i % g.Q), W))];
  });
}

void max_pool2d_backward(const float* x, const float* dy, float* dx, int NC, int H, int W, int k, int stride, int pad,
                         cudaStream_t s) {
  const PoolGeometry g(H, W, k, stride, pad);
  for_each(int64_t(NC) * H * W, s, [=] __device__(int64_t i) {
    const int64_t p = i / (int64_t(H) * W), own = i % (int64_t(H) * W);
    const int r = int(own / W), c = int(own % W);
    const float* plane = x + p * H * W;
    const float* dyp = dy + p * g.P * g.Q;
    const Span out_rows = g.covering(r, g.P), out_cols = g.covering(c, g.Q);
    float sum = 0.f;
    for (int oh = out_rows.lo; oh < out_rows.hi; ++oh)
      for (int ow = out_cols.lo; ow < out_cols.hi; ++ow)
        if (first_max(plane, W, g.window(oh, H), g.window(ow, W)) == own) sum += dyp[oh * g.Q + ow];
    dx[i] = sum;
  });
}

void avg_pool2d_forward(const float* x, float* y, int NC, int H, int W, int k, int stride, int pad,
                        bool count_include_pad, cudaStream_t s) {
  const PoolGeometry g(H, W, k, stride, pad);
  for_each(int64_t(NC) * g.P * g.Q, s, [=] __device__(int64_t i) {
    const float* plane = x + i / (int64_t(g.P) * g.Q) * H * W;
    const Span rows = g.window(int(i / g.Q % g.P), H), cols = g.window(int(i % g.Q), W);
    float sum = 0.f;
    for (int r = rows.lo; r < rows.hi; ++r)
      for (int c = cols.lo; c < cols.hi; ++c) sum += plane[int64_t(r) * W + c];
    y[i] = sum / g.divisor(rows, cols, count_include_pad);
  });
}

void avg_pool2d_backward(const float* dy, float* dx, int NC, int H, int W, int k, int stride, int pad,
                         bool count_include_pad, cudaStream_t s) {
  const PoolGeometry g(H, W, k, stride, pad);
  for_each(int64_t(NC) * H * W, s, [=] __device__(int64_t i) {
    const int64_t p = i / (int64_t(H) * W), own = i % (int64_t(H) * W);
    const float* dyp = dy + p * g.P * g.Q;
    const Span out_rows = g.covering(int(own / W), g.P), out_cols = g.covering(int(own % W), g.Q);
    float sum = 0.f;
    for (int oh = out_rows.lo; oh < out_rows.hi; ++oh)
      for (int ow = out_cols.lo; ow < out_cols.hi; ++ow)
        sum += dyp[oh * g.Q + ow] / g.divisor(g.window(oh, H), g.window(ow, W), count_include_pad);
    dx[i] = sum;
  });
}

}  // namespace ls::cuda
