// kernels/cpu/conv.h — 2-D convolution as im2col + GEMM (OpenBLAS), forward and both backward passes.
// Geometry (PyTorch's): x [N,C,H,W], w [K,C/groups,R,S], y [N,K,P,Q] with P = (H + 2·pad_h − R)/stride + 1 and
// Q = (W + 2·pad_w − S)/stride + 1 (floor); taps outside the image read zero. Separate pads serve the 1×7 / 7×1
// kernels of Inception-v3 (models/inception.h). Every kernel takes the image size H, W
// and derives P, Q, so a transposed convolution (conv2d_backward_data with the roles of x and y swapped) names its
// output size exactly, output padding included. Bias is separate: add_bias / bias_backward in kernels/cpu/gemm.h.
// The kernels overwrite their output. Scratch (the im2col buffer) is a grow-only per-thread buffer in conv.cpp.
// Tested via tests/op_cases_nn.cpp and tests/test_ops_nn.cpp; timed by `layerseg bench`.
#pragma once

namespace ls::cpu {

// y = conv(x, w).
void conv2d_forward(const float* x, const float* w, float* y, int N, int C, int H, int W, int K, int R, int S,
                    int stride, int pad_h, int pad_w, int groups);

// dx = ∂(Σ dy·conv(x, w))/∂x: the adjoint of conv2d_forward in x (GEMM wᵀ·dy, then col2im). dy [N,K,P,Q].
void conv2d_backward_data(const float* dy, const float* w, float* dx, int N, int C, int H, int W, int K, int R, int S,
                          int stride, int pad_h, int pad_w, int groups);

// dw = ∂(Σ dy·conv(x, w))/∂w: Σ over images of dy·im2col(x)ᵀ.
void conv2d_backward_weight(const float* x, const float* dy, float* dw, int N, int C, int H, int W, int K, int R, int S,
                            int stride, int pad_h, int pad_w, int groups);

}  // namespace ls::cpu
