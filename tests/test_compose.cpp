// tests/test_compose.cpp — compose_perturbed (SPEC §3) and the perturbation draws of core/perturb.h: the blend with
// an identity warp, exact one-pixel shifts, bilinear weights against hand values (PyTorch grid_sample convention),
// masks all 0 / all 1, out-of-frame objects, per-sample thetas, the motion convention, ranges and determinism.
// Gradients: tests/test_gradcheck.cpp (compose_perturbed/* cases).   build/layerseg_tests --gtest_filter='Compose*'
#include <gtest/gtest.h>

#include <cmath>

#include "core/autograd.h"
#include "kernels/error.h"
#include "core/perturb.h"
#include "core/rng.h"

namespace ls {
namespace {

std::vector<float> values(const Tensor& t) { return t.to_vector(); }

Tensor thetas(const std::vector<std::array<float, 6>>& ts) {
  std::vector<float> v;
  for (const auto& t : ts) v.insert(v.end(), t.begin(), t.end());
  return Tensor::from_vector({int64_t(ts.size()), 6}, v);
}
const std::array<float, 6> kIdentity = {1, 0, 0, 0, 1, 0};

TEST(Compose, IdentityThetaIsExactlyTheAlphaBlend) {
  Rng rng(5);
  const Tensor xb = Tensor::uniform({2, 3, 5, 7}, rng, -1, 1), xf = Tensor::uniform({2, 3, 5, 7}, rng, -1, 1);
  const Tensor pi = Tensor::uniform({2, 1, 5, 7}, rng);
  const Composite out = compose_perturbed(xb, xf, pi, thetas({kIdentity, kIdentity}));
  EXPECT_EQ(values(out.mask), values(pi));
  const std::vector<float> img = values(out.image), b = values(xb), f = values(xf), p = values(pi);
  for (size_t k = 0; k < img.size(); ++k) {
    const float m = p[(k / 105) * 35 + k % 35];
    EXPECT_EQ(img[k], (1 - m) * b[k] + m * f[k]) << k;
  }
}

TEST(Compose, OnePixelTranslationShiftsTheMaskWithZerosEntering) {
  // tx = 2/W: output column j samples input column j + 1; the last column samples outside (zero).
  const int h = 3, w = 8;
  Rng rng(6);
  const Tensor pi = Tensor::uniform({1, 1, h, w}, rng, 0.1f, 1.f);
  const Composite out = compose_perturbed(Tensor::zeros({1, 1, h, w}), Tensor::zeros({1, 1, h, w}), pi,
                                          thetas({{1, 0, 2.f / w, 0, 1, 0}}));
  const std::vector<float> m = values(out.mask), p = values(pi);
  for (int i = 0; i < h; ++i)
    for (int j = 0; j < w; ++j)
      EXPECT_EQ(m[size_t(i * w + j)], j + 1 < w ? p[size_t(i * w + j + 1)] : 0.f) << i << "," << j;
}

TEST(Compose, BilinearWeightsMatchGridSampleByHand) {
  // theta = diag(½, ½) zooms in 2×. Output pixel (0, 0) of a 4×4 image: x = y = −0.75 → source −0.375 → pixel
  // coordinate ((−0.375 + 1)·4 − 1)/2 = 0.75 on both axes: weights ¼ on index 0, ¾ on index 1 per axis.
  std::vector<float> v(16);
  for (int k = 0; k < 16; ++k) v[size_t(k)] = float(k);
  const Tensor xf = Tensor::from_vector({1, 1, 4, 4}, v);
  const Composite out = compose_perturbed(Tensor::zeros({1, 1, 4, 4}), xf, Tensor::full({1, 1, 4, 4}, 1.f),
                                          thetas({{0.5f, 0, 0, 0, 0.5f, 0}}));
  const std::vector<float> img = values(out.image);
  // Value at (r, c) is 4r + c, linear, so bilinear interpolation returns 4·0.75 + 0.75 exactly.
  EXPECT_FLOAT_EQ(img[0], 3.75f);
  // Output (3, 3): source pixel coordinate 2.25 on both axes: 4·2.25 + 2.25.
  EXPECT_FLOAT_EQ(img[15], 11.25f);
  // Zero padding: a shift by −½ pixel at the left edge reads half of column 0 and half of the zero outside.
  const Composite edge = compose_perturbed(Tensor::zeros({1, 1, 4, 4}), Tensor::full({1, 1, 4, 4}, 1.f),
                                           Tensor::full({1, 1, 4, 4}, 1.f), thetas({{1, 0, -0.25f, 0, 1, 0}}));
  EXPECT_FLOAT_EQ(values(edge.mask)[0], 0.5f);
  EXPECT_FLOAT_EQ(values(edge.mask)[1], 1.f);
}

TEST(Compose, AllZeroMaskGivesBackgroundAllOneGivesWarpedForeground) {
  Rng rng(8);
  const Tensor xb = Tensor::uniform({1, 2, 4, 8}, rng, -1, 1), xf = Tensor::uniform({1, 2, 4, 8}, rng, -1, 1);
  const Tensor theta = thetas({{1, 0, 2.f / 8, 0, 1, 0}});  // one pixel
  EXPECT_EQ(values(compose_perturbed(xb, xf, Tensor::zeros({1, 1, 4, 8}), theta).image), values(xb));
  const std::vector<float> img = values(compose_perturbed(xb, xf, Tensor::full({1, 1, 4, 8}, 1.f), theta).image);
  const std::vector<float> b = values(xb), f = values(xf);
  for (size_t k = 0; k < img.size(); ++k)  // last column: the shifted-in mask is 0 there, so background shows
    EXPECT_EQ(img[k], k % 8 == 7 ? b[k] : f[k + 1]) << k;
}

TEST(Compose, ObjectMovedOutOfFrameLeavesTheBackground) {
  Rng rng(9);
  Tensor xb = Tensor::uniform({1, 3, 6, 6}, rng, -1, 1), xf = Tensor::uniform({1, 3, 6, 6}, rng, -1, 1);
  Tensor pi = Tensor::uniform({1, 1, 6, 6}, rng);
  for (Tensor* t : {&xb, &xf, &pi}) t->set_requires_grad(true);
  const Composite out = compose_perturbed(xb, xf, pi, thetas({motion_theta(0.f, -2.5f, 5.f, 1.f)}));
  EXPECT_EQ(values(out.image), values(xb));
  EXPECT_EQ(values(out.mask), std::vector<float>(36, 0.f));
  sum(out.image).backward();
  EXPECT_EQ(values(xb.grad()), std::vector<float>(108, 1.f));
  EXPECT_EQ(values(xf.grad()), std::vector<float>(108, 0.f));
  EXPECT_EQ(values(pi.grad()), std::vector<float>(36, 0.f));
}

TEST(Compose, BatchOfOneAndPerSampleThetas) {
  Rng rng(10);
  const Tensor pi = Tensor::uniform({2, 1, 4, 8}, rng, 0.1f, 1.f);
  const Tensor z = Tensor::zeros({2, 1, 4, 8});
  const std::vector<float> both =
      values(compose_perturbed(z, z, pi, thetas({kIdentity, {1, 0, 2.f / 8, 0, 1, 0}})).mask);
  const std::vector<float> p = values(pi);
  for (size_t k = 0; k < 32; ++k) EXPECT_EQ(both[k], p[k]);  // sample 0: identity
  EXPECT_EQ(both[32], p[33]);                                // sample 1: shifted
  // Batch 1 on its own gives the same as its row of the batch.
  const Composite one =
      compose_perturbed(slice(z, 0, 1, 2), slice(z, 0, 1, 2), slice(pi, 0, 1, 2), thetas({{1, 0, 2.f / 8, 0, 1, 0}}));
  EXPECT_EQ(values(one.mask), std::vector<float>(both.begin() + 32, both.end()));
}

TEST(Compose, ShapeErrorsNameTheOp) {
  const Tensor x = Tensor::zeros({2, 3, 4, 4});
  EXPECT_THROW(compose_perturbed(x, x, Tensor::zeros({2, 3, 4, 4}), Tensor::zeros({2, 6})), Error);
  EXPECT_THROW(compose_perturbed(x, Tensor::zeros({2, 3, 4, 5}), Tensor::zeros({2, 1, 4, 4}), Tensor::zeros({2, 6})),
               Error);
  try {
    compose_perturbed(x, x, Tensor::zeros({2, 1, 4, 4}), Tensor::zeros({1, 6}));
    ADD_FAILURE() << "accepted theta [1, 6] for a batch of 2";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("compose_perturbed"), std::string::npos) << e.what();
  }
}

TEST(Compose, MotionThetaMovesTheObjectByT) {
  // A one-pixel object at column 2 of an 8-wide image, moved by t = +0.5 (a quarter width = 2 pixels) to the right.
  std::vector<float> p(8, 0.f);
  p[2] = 1.f;
  const Tensor pi = Tensor::from_vector({1, 1, 1, 8}, p), z = Tensor::zeros({1, 1, 1, 8});
  std::vector<float> moved = values(compose_perturbed(z, z, pi, thetas({motion_theta(0.5f, 0.f, 0.f, 1.f)})).mask);
  for (int j = 0; j < 8; ++j) EXPECT_NEAR(moved[size_t(j)], j == 4 ? 1.f : 0.f, 1e-6) << j;
  // Scale 2 about the centre maps p to 2p: theta = ½·I.
  const std::array<float, 6> s = motion_theta(0.f, 0.f, 0.f, 2.f);
  EXPECT_FLOAT_EQ(s[0], 0.5f);
  EXPECT_FLOAT_EQ(s[4], 0.5f);
  EXPECT_FLOAT_EQ(s[2], 0.f);
  // Rotation by 90° (y down): the object's +x axis goes to +y, so output (0, 1) samples input (1, 0).
  const std::array<float, 6> r = motion_theta(0.f, 0.f, 90.f, 1.f);
  EXPECT_NEAR(r[0] * 0 + r[1] * 1, 1.f, 1e-6);
  EXPECT_NEAR(r[3] * 0 + r[4] * 1, 0.f, 1e-6);
}

TEST(Compose, PerturbationThetaRangesAndDeterminism) {
  Rng rng(11);
  const int n = 2000;
  const std::vector<float> th = values(perturbation_theta(rng, n));
  float max_t = 0, max_rot = 0, max_log2s = 0;
  for (int k = 0; k < n; ++k) {
    const float* t = &th[size_t(6 * k)];
    // theta = [A | −A·t] with A = R(−φ)/s: det A = 1/s², φ = atan2(A01, A00), t = −A⁻¹ b.
    const float det = t[0] * t[4] - t[1] * t[3];
    const float log2s = -0.5f * std::log2(det), rot = std::atan2(t[1], t[0]) * 57.2957795f;  // degrees
    const float tx = -(t[4] * t[2] - t[1] * t[5]) / det, ty = -(-t[3] * t[2] + t[0] * t[5]) / det;
    EXPECT_NEAR(t[0], t[4], 1e-6);  // no shear
    EXPECT_NEAR(t[1], -t[3], 1e-6);
    max_t = std::max({max_t, std::fabs(tx), std::fabs(ty)});
    max_rot = std::max(max_rot, std::fabs(rot));
    max_log2s = std::max(max_log2s, std::fabs(log2s));
  }
  EXPECT_LE(max_t, 0.25f + 1e-5f);
  EXPECT_GT(max_t, 0.24f);
  EXPECT_LE(max_rot, 10.f + 1e-3f);
  EXPECT_GT(max_rot, 9.5f);
  EXPECT_LE(max_log2s, 0.1f + 1e-5f);
  EXPECT_GT(max_log2s, 0.095f);

  Rng a(42), b(42), c(43);
  const std::vector<float> ta = values(perturbation_theta(a, 4));
  EXPECT_EQ(ta, values(perturbation_theta(b, 4)));
  EXPECT_NE(ta, values(perturbation_theta(c, 4)));
  EXPECT_NE(ta, values(perturbation_theta(a, 4)));  // fresh ε each draw
  EXPECT_EQ(perturbation_theta(a, 3).shape(), Shape({3, 6}));
}

}  // namespace
}  // namespace ls
