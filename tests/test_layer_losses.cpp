// tests/test_layer_losses.cpp — the two generator terms from outside the paper (models/losses.h): the minimum mask
// size hinge and ILSGAN's layer independence. Values against loops in double, gradients against central
// differences, and the property each one is there for.
//   build/layerseg_tests --gtest_filter='LayerLosses*'
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/ops.h"
#include "kernels/error.h"
#include "models/losses.h"
#include "tests/error_message.h"
#include "tests/gradcheck.h"
#include "tests/op_cases.h"

namespace ls::models {
namespace {

constexpr int kN = 3, kH = 3, kW = 5;  // odd sizes; the batch of 3 makes the roll a real permutation

// Masks whose per-sample coverage is far from η = 0.25 on either side (sample 1 above, the others below), so a
// finite-difference step never moves a sample across the hinge.
Tensor masks_around_the_threshold(Rng& rng) {
  std::vector<float> v(size_t(kN * kH * kW));
  for (int i = 0; i < kN; ++i)
    rng.fill_uniform(v.data() + i * kH * kW, size_t(kH * kW), i == 1 ? 0.4f : 0.f, i == 1 ? 1.f : 0.2f);
  return Tensor::from_vector({kN, 1, kH, kW}, v);
}

TEST(LayerLosses, MaskSizeIsTheHingeBelowTheMinimumCoverage) {
  Rng rng(test::fresh_seed());
  const Tensor pi = masks_around_the_threshold(rng);
  const std::vector<float> p = pi.to_vector();
  double expected = 0;
  for (int i = 0; i < kN; ++i) {
    double coverage = 0;
    for (int k = 0; k < kH * kW; ++k) coverage += p[size_t(i * kH * kW + k)];
    expected += std::max(0.0, 0.25 - coverage / (kH * kW));
  }
  EXPECT_GT(expected, 0.0);
  EXPECT_NEAR(mask_size_loss(pi, 0.25f).item(), expected / kN, 1e-6);
  EXPECT_EQ(mask_size_loss(pi, 0.f).item(), 0.f);  // every mask covers at least nothing
}

TEST(LayerLosses, LayerIndependenceMatchesItsDefinition) {
  Rng rng(test::fresh_seed());
  const Tensor xb = Tensor::uniform({kN, 3, kH, kW}, rng, -1.f, 1.f);
  const Tensor xf = Tensor::uniform({kN, 3, kH, kW}, rng, -1.f, 1.f);
  const Tensor pi = Tensor::uniform({kN, 1, kH, kW}, rng, 0.f, 1.f);
  const std::vector<float> b = xb.to_vector(), f = xf.to_vector(), m = pi.to_vector();
  const int plane = kH * kW;
  double sum = 0;  // Σ over pixels of the four |·| terms with their signs
  for (int i = 0; i < kN; ++i) {
    const int j = (i + 1) % kN;  // the mismatched partner of sample i
    for (int ch = 0; ch < 3; ++ch)
      for (int k = 0; k < plane; ++k) {
        const size_t ii = size_t((i * 3 + ch) * plane + k), jj = size_t((j * 3 + ch) * plane + k);
        const double mi = m[size_t(i * plane + k)], mj = m[size_t(j * plane + k)];
        sum += std::abs(b[jj] * mj - f[ii] * mi) - std::abs(b[ii] * mi - f[ii] * mi);
        sum += std::abs(f[jj] * (1 - mj) - b[ii] * (1 - mi)) - std::abs(f[ii] * (1 - mi) - b[ii] * (1 - mi));
      }
  }
  EXPECT_NEAR(layer_independence_loss(xb, xf, pi).item(), sum / double(kN * 3 * plane), 1e-5);
}

TEST(LayerLosses, GradientsMatchFiniteDifferences) {
  // Both terms are piecewise linear in each input, so central differences away from the kinks are exact up to
  // float32 rounding of the O(1) loss (~1e-7 / fd_step = 1e-5): atol 1e-4 is ~1/40 of the smallest gradients
  // (π / 135 ≥ 1.5e-3 here), so a wrong sign or a missing term fails.
  test::OpCase size;
  size.name = "mask_size_loss";
  size.input_shapes = {{kN, 1, kH, kW}};
  size.make_inputs = [](Rng& rng) -> TensorList { return {masks_around_the_threshold(rng)}; };
  size.run = [](const TensorList& in) -> TensorList { return {mask_size_loss(in[0], 0.25f)}; };

  // x_b in [0.3, 1], x_f in [−1, −0.3], π in [0.2, 0.8]: every difference inside |·| keeps its sign (the
  // x_b·π − x_f·π terms are > 0, the x_f·(1−π) − x_b·(1−π) terms < 0), so no step straddles a kink.
  test::OpCase ils;
  ils.name = "layer_independence_loss";
  ils.input_shapes = {{kN, 3, kH, kW}, {kN, 3, kH, kW}, {kN, 1, kH, kW}};
  ils.make_inputs = [](Rng& rng) -> TensorList {
    return {Tensor::uniform({kN, 3, kH, kW}, rng, 0.3f, 1.f), Tensor::uniform({kN, 3, kH, kW}, rng, -1.f, -0.3f),
            Tensor::uniform({kN, 1, kH, kW}, rng, 0.2f, 0.8f)};
  };
  ils.run = [](const TensorList& in) -> TensorList { return {layer_independence_loss(in[0], in[1], in[2])}; };

  for (test::OpCase* c : {&size, &ils}) {
    c->atol = 1e-4f, c->rtol = 1e-2f;
    const uint64_t seed = test::fresh_seed();
    Rng rng(seed);
    const test::GradCheckResult r = test::gradcheck(*c, test::make_case_inputs(*c, rng), seed + 1, 200);
    EXPECT_TRUE(r.ok) << c->name << ", seed " << seed << ": " << r.first_failures;
    EXPECT_GE(r.checked, kN * kH * kW) << c->name;
  }
}

TEST(LayerLosses, MaskSizePullsOnlyTheSmallMasks) {
  Rng rng(test::fresh_seed());
  Tensor pi = masks_around_the_threshold(rng);
  pi.set_requires_grad(true);
  mask_size_loss(pi, 0.25f).backward();
  const std::vector<float> g = pi.grad().to_vector();
  for (int i = 0; i < kN; ++i)
    for (int k = 0; k < kH * kW; ++k)
      EXPECT_FLOAT_EQ(g[size_t(i * kH * kW + k)], i == 1 ? 0.f : -1.f / float(kN * kH * kW)) << i << " " << k;
}

TEST(LayerLosses, ABackgroundThatCopiesTheForegroundCostsMore) {
  // The leak ILSGAN names: x_b repeats x_f, so each layer predicts the other. Independent layers sit near 0 (with
  // one soft mask for all samples, the matched and the rolled pairs then have the same distribution).
  Rng rng(test::fresh_seed());
  const Shape rgb = {8, 3, 9, 9};
  const Tensor xf = Tensor::uniform(rgb, rng, -1.f, 1.f), pi = add_scalar(Tensor::zeros({8, 1, 9, 9}), 0.5f);
  const float leaked = layer_independence_loss(xf, xf, pi).item();
  const float independent = layer_independence_loss(Tensor::uniform(rgb, rng, -1.f, 1.f), xf, pi).item();
  EXPECT_GT(leaked, 0.2f);
  EXPECT_LT(std::abs(independent), 0.05f);
}

TEST(LayerLosses, LayerIndependenceNeedsTwoSamples) {
  const Tensor one = Tensor::zeros({1, 3, 4, 4}), mask = Tensor::zeros({1, 1, 4, 4});
  const std::string m = test::error_message([&] { layer_independence_loss(one, one, mask); });
  EXPECT_NE(m.find("batch of at least 2"), std::string::npos) << m;
}

// loss.adversarial: the logistic (non-saturating) losses by value, and the hinge ones unchanged; a typo is refused.
TEST(AdversarialLoss, LogisticAndHingeByValue) {
  const Tensor real = Tensor::from_vector({2, 1}, {2.f, -1.f}), fake = Tensor::from_vector({2, 1}, {0.5f, -3.f});
  const auto sp = [](double v) { return std::log1p(std::exp(v)); };
  EXPECT_NEAR(adversarial_d_loss(real, fake, "logistic").item(), (sp(-2) + sp(1)) / 2 + (sp(0.5) + sp(-3)) / 2, 1e-6);
  EXPECT_NEAR(adversarial_g_loss(fake, "logistic").item(), (sp(-0.5) + sp(3)) / 2, 1e-6);
  EXPECT_NEAR(adversarial_d_loss(real, fake, "hinge").item(), (0 + 2) / 2.0 + (1.5 + 0) / 2.0, 1e-6);
  EXPECT_NEAR(adversarial_g_loss(fake, "hinge").item(), 1.25, 1e-6);
  EXPECT_THROW(adversarial_g_loss(fake, "wasserstein"), Error);
}

}  // namespace
}  // namespace ls::models
