// kernels/cpu/fir.h — StyleGAN2's FIR resampling (`upfirdn2d`) on [NC, H, W] planes, forward and backward.
// One call upsamples by `up` (inserting up − 1 zeros after every pixel along each axis), pads by pad0 before and pad1
// after (both axes), filters with the separable FIR taps f ⊗ f scaled by `gain`, and keeps every `down`-th output:
//   y[o][q] = gain · Σ_a Σ_b f[a]·f[b]·u[o·down + a − pad0][q·down + b − pad0],
//   u[i][j] = x[i/up][j/up] where up divides both and 0 ≤ i, j < H·up, W·up, else 0;
//   output P = (H·up + pad0 + pad1 − k)/down + 1 rows (Q likewise; floor).
// This is a correlation with f; StyleGAN2's [1,3,3,1] is symmetric, so it equals StyleGAN2-ADA's convolution. Its
// uses: ×2 upsampling (up 2, pad0 2, pad1 1, gain 4) and ×2 downsampling (down 2, pad0 1, pad1 1, gain 1), taps
// normalised to sum 1.
// Only the taps that meet input pixels (every up-th forward, every down-th backward) are visited. The backward is the
// adjoint, gathered per input element; both sum taps a in increasing order, then b, as the CUDA twin does; dx is
// overwritten. Tested via tests/op_cases_style.cpp (gradients, CPU vs CUDA).
#pragma once

namespace ls {

// The separable filter and the resampling of one call, passed by value to both devices.
struct FirSpec {
  static constexpr int kMaxTaps = 8;
  float taps[kMaxTaps] = {};
  int k = 0;  // number of taps
  int up = 1, down = 1, pad0 = 0, pad1 = 0;
  float gain = 1.f;
  int out_size(int n) const { return (n * up + pad0 + pad1 - k) / down + 1; }
};

}  // namespace ls

namespace ls::cpu {

void upfirdn2d_forward(const float* x, float* y, int NC, int H, int W, FirSpec f);
void upfirdn2d_backward(const float* dy, float* dx, int NC, int H, int W, FirSpec f);

}  // namespace ls::cpu
