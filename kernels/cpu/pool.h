// kernels/cpu/pool.h — general k×k max and average pooling on [NC, H, W] planes (N·C planes of H×W), with backward:
// the U-Net's 2×2 max pooling and what Inception-v3 needs (3×3 windows, stride 1 or 2, padding 0 or 1).
// Conventions (PyTorch's F.max_pool2d / F.avg_pool2d, floor mode, pad ≤ k/2 so no window lies in the padding):
//  - output P = (H + 2·pad − k)/stride + 1, Q likewise; window (p, q) covers rows p·stride − pad + [0, k), clipped;
//  - max: padding never wins (it is −∞); the gradient goes to the first maximum in row-major order, recomputed from
//    x in the backward (as PyTorch's CPU kernel picks it);
//  - average: the window sum divided by k² (count_include_pad) or by the number of in-image taps.
// H, W are always the sizes of the op's input x. Backward kernels overwrite dx; windows overlap when stride < k, so
// dx sums the contributions of every window, in row-major window order.
// Tested via tests/op_cases_nn.cpp (gradients, CPU vs CUDA) and tests/test_fid.cpp (against plain loops).
#pragma once

namespace ls::cpu {

void max_pool2d_forward(const float* x, float* y, int NC, int H, int W, int k, int stride, int pad);
void max_pool2d_backward(const float* x, const float* dy, float* dx, int NC, int H, int W, int k, int stride, int pad);
void avg_pool2d_forward(const float* x, float* y, int NC, int H, int W, int k, int stride, int pad,
                        bool count_include_pad);
void avg_pool2d_backward(const float* dy, float* dx, int NC, int H, int W, int k, int stride, int pad,
                         bool count_include_pad);

}  // namespace ls::cpu
