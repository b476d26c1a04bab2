// kernels/cpu/compose.h — the fused perturbed composition of SPEC §3: warp the foreground x_f and its mask π by an
// affine T (bilinear, zeros outside) and alpha-blend onto the background x_b, in one pass forward and one backward.
// Sampling is exactly PyTorch's F.grid_sample(mode='bilinear', padding_mode='zeros', align_corners=False) on the grid
// of F.affine_grid(theta, align_corners=False): output pixel (i, j) has normalised coordinates
// (x, y) = ((2j+1)/W − 1, (2i+1)/H − 1), its source is (sx, sy) = θ·(x, y, 1) with θ = theta[6n .. 6n+5] the 2×3
// matrix row-major, read at pixel coordinates (((sx+1)·W − 1)/2, ((sy+1)·H − 1)/2).
// Tested by tests/test_compose.cpp and the op cases: build/layerseg_tests --gtest_filter='Compose*:*GradCheck*'
#pragma once
#include <cstdint>

namespace ls::cpu {

// x_b, x_f, image [n,c,h,w]; pi, mask [n,1,h,w]; theta [n,6].
// mask = T(π), image = (1 − T(π))·x_b + T(π)·T(x_f).
void compose_perturbed_forward(const float* x_b, const float* x_f, const float* pi, const float* theta, float* image,
                               float* mask, int64_t n, int64_t c, int64_t h, int64_t w);
// Given the gradients of image and mask, writes those of x_b, x_f and π (all three overwritten; g_x_f and g_pi are
// zeroed, then receive the bilinear weights scattered back to the four source pixels). No gradient for theta.
void compose_perturbed_backward(const float* x_b, const float* x_f, const float* pi, const float* theta,
                                const float* g_image, const float* g_mask, float* g_x_b, float* g_x_f, float* g_pi,
                                int64_t n, int64_t c, int64_t h, int64_t w);

}  // namespace ls::cpu
