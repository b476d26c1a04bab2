// core/perturb.h — the random affine perturbation T of SPEC §3, as the theta that compose_perturbed (core/ops.h)
// takes. Tested by tests/test_compose.cpp: build/layerseg_tests --gtest_filter='Compose*'
//
// Convention. All coordinates are normalised to [−1, 1] (x right, y down, the centre at 0; 1.0 is half the image).
// The object's motion is M(p) = t + s·R(φ)·p: scale by s and rotate by φ about the image centre, then translate by t
// (φ > 0 turns clockwise on screen, since y points down). Sampling needs the opposite direction, output → input, so
// theta is M⁻¹: p_in = A·p_out + b with A = R(−φ)/s and b = −A·t. Rotations are in normalised units, so on a
// non-square image they shear slightly; the project's images are square.
#pragma once
#include <array>

#include "core/rng.h"
#include "core/tensor.h"

namespace ls {

// theta (row-major 2×3) for the motion (tx, ty, rot_deg, scale) above.
std::array<float, 6> motion_theta(float tx, float ty, float rot_deg, float scale);

// theta [n,6] on the CPU for n fresh perturbations: ε ~ U[−1,1]^4 per sample (drawn in one fill, sample k using
// ε[4k .. 4k+3]), t = (ε0, ε1)·t_max, φ = ε2·rot_deg, s = 2^(ε3·log2_scale).
Tensor perturbation_theta(Rng& rng, int n, float t_max = 0.25f, float rot_deg = 10.f, float log2_scale = 0.1f);

}  // namespace ls
