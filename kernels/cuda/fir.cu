// kernels/cuda/fir.cu — the kernels of kernels/cuda/fir.h. One thread per element written, reading the taps from the
// FirSpec passed by value (kernel parameter memory); each thread adds its terms in the CPU's order (a, then b), so
// the two devices differ only where the compiler contracts a multiply-add.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/fir.h"

namespace ls::cuda {
namespace {
__device__ int phase(int v, int m) { return ((v % m) + m) % m; }
}  // namespace

void upfirdn2d_forward(const float* x, float* y, int NC, int H, int W, FirSpec f, cudaStream_t s) {
  const int P = f.out_size(H), Q = f.out_size(W);
  for_each(int64_t(NC) * P * Q, s, [=] __device__(int64_t e) {
    const int q = int(e % Q), o = int(e / Q % P);
    const float* plane = x + e / (int64_t(P) * Q) * H * W;
    float sum = 0.f;
    for (int a = phase(f.pad0 - o * f.down, f.up); a < f.k; a += f.up) {
      const int i = o * f.down + a - f.pad0;
      if (i < 0 || i >= H * f.up) continue;
      for (int b = phase(f.pad0 - q * f.down, f.up); b < f.k; b += f.up) {
        const int j = q * f.down + b - f.pad0;
        if (j < 0 || j >= W * f.up) continue;
        sum += f.taps[a] * f.taps[b] * plane[int64_t(i / f.up) * W + j / f.up];
      }
    }
    y[e] = f.gain * sum;
  });
}

void upfirdn2d_backward(const float* dy, float* dx, int NC, int H, int W, FirSpec f, cudaStream_t s) {
  const int P = f.out_size(H), Q = f.out_size(W);
  for_each(int64_t(NC) * H * W, s, [=] __device__(int64_t e) {
    const int c = int(e % W), r = int(e / W % H);
    const float* plane = dy + e / (int64_t(H) * W) * P * Q;
    float sum = 0.f;
    for (int a = phase(r * f.up + f.pad0, f.down); a < f.k; a += f.down) {
      const int num = r * f.up + f.pad0 - a;
      if (num < 0 || num / f.down >= P) continue;
      for (int b = phase(c * f.up + f.pad0, f.down); b < f.k; b += f.down) {
        const int numc = c * f.up + f.pad0 - b;
        if (numc < 0 || numc / f.down >= Q) continue;
        sum += f.taps[a] * f.taps[b] * plane[int64_t(num / f.down) * Q + numc / f.down];
      }
    }
    dx[e] = f.gain * sum;
  });
}

}  // namespace ls::cuda
