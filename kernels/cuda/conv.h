// kernels/cuda/conv.h — CUDA twins of kernels/cpu/conv.h through cuDNN (all cuDNN calls live in
// kernels/cuda/conv_cudnn.cu): 2-D convolution forward, backward-data (also the transposed convolution's forward)
// and backward-weight; outputs overwritten. Descriptors and algorithm choices are cached by shape and mode; one
// grow-only workspace with a cap; a workspace-free, deterministic fallback algorithm for every pass.
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*:CudaKernels.Conv*'; timed by
// `layerseg bench --device cuda`.
#pragma once
#include <cstddef>
#include <string>

#include "kernels/cuda/runtime.h"

namespace ls::cuda {

void conv2d_forward(const float* x, const float* w, float* y, int N, int C, int H, int W, int K, int R, int S,
                    int stride, int pad_h, int pad_w, int groups, cudaStream_t stream);
void conv2d_backward_data(const float* dy, const float* w, float* dx, int N, int C, int H, int W, int K, int R, int S,
                          int stride, int pad_h, int pad_w, int groups, cudaStream_t stream);
void conv2d_backward_weight(const float* x, const float* dy, float* dw, int N, int C, int H, int W, int K, int R, int S,
                            int stride, int pad_h, int pad_w, int groups, cudaStream_t stream);

// Algorithms needing more workspace than this are skipped (default 1 GiB).
void set_conv_workspace_limit(size_t bytes);
// One line per cached shape and pass: the algorithm in use, its math type and workspace.
std::string conv_algorithm_report();

}  // namespace ls::cuda
