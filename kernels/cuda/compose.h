// kernels/cuda/compose.h — CUDA twins of kernels/cpu/compose.h: the fused affine-perturbed alpha composition of SPEC §3
// (warp x_f and π by theta, bilinear with zeros outside, blend onto x_b), one kernel forward and one backward.
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*:CudaKernels.Compose*'; timed by
// `layerseg bench --device cuda`.
#pragma once
#include <cstdint>

#include "kernels/cuda/runtime.h"

namespace ls::cuda {

void compose_perturbed_forward(const float* x_b, const float* x_f, const float* pi, const float* theta, float* image,
                               float* mask, int64_t n, int64_t c, int64_t h, int64_t w, cudaStream_t stream);
void compose_perturbed_backward(const float* x_b, const float* x_f, const float* pi, const float* theta,
                                const float* g_image, const float* g_mask, float* g_x_b, float* g_x_f, float* g_pi,
                                int64_t n, int64_t c, int64_t h, int64_t w, cudaStream_t stream);

}  // namespace ls::cuda
