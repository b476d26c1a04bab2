// kernels/cpu/resample.h — ×2 upsampling on [NC, H, W] planes (N·C planes of H×W), with backward. Pooling is
// kernels/cpu/pool.h.
// Conventions (PyTorch's):
//  - nearest ×2: y[i][j] = x[i/2][j/2];
//  - bilinear ×2, align_corners=false: output index o samples input coordinate (o + 0.5)/2 − 0.5, clamped below at 0;
//    taps i0 = floor, i1 = min(i0 + 1, size − 1), so the border rows/columns repeat the edge value.
// H, W are always the sizes of the op's input x. Backward kernels overwrite dx.
// Tested via tests/op_cases_nn.cpp and tests/test_ops_nn.cpp.
#pragma once

namespace ls::cpu {

void upsample_nearest2x_forward(const float* x, float* y, int NC, int H, int W);
void upsample_nearest2x_backward(const float* dy, float* dx, int NC, int H, int W);
void upsample_bilinear2x_forward(const float* x, float* y, int NC, int H, int W);
void upsample_bilinear2x_backward(const float* dy, float* dx, int NC, int H, int W);

}  // namespace ls::cpu
