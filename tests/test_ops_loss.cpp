// tests/test_ops_loss.cpp — the losses of SPEC §2 against hand computation, their stability at extreme logits, the
// gradient conventions at kinks, and which inputs get no gradient. Gradients in general: tests/test_gradcheck.cpp.
//   build/layerseg_tests --gtest_filter='OpsLoss*'
#include <gtest/gtest.h>

#include <cmath>

#include "core/autograd.h"
#include "kernels/error.h"
#include "core/rng.h"

namespace ls {
namespace {

std::vector<float> values(const Tensor& t) { return t.to_vector(); }

TEST(OpsLoss, HingeMatchesHandValues) {
  const Tensor d = Tensor::from_vector({3, 1}, {-2.f, 0.5f, 3.f});
  EXPECT_FLOAT_EQ(hinge_d_loss(d, true).item(), (3.f + 0.5f + 0.f) / 3);   // relu(1 − x)
  EXPECT_FLOAT_EQ(hinge_d_loss(d, false).item(), (0.f + 1.5f + 4.f) / 3);  // relu(1 + x)
  EXPECT_FLOAT_EQ(hinge_g_loss(d).item(), -0.5f);                          // −mean x
  EXPECT_EQ(hinge_d_loss(d, true).shape(), Shape{});
}

TEST(OpsLoss, HingeGradientIsZeroPastTheMargin) {
  Tensor d = Tensor::from_vector({4}, {-2.f, 0.5f, 1.f, 3.f});
  d.set_requires_grad(true);
  hinge_d_loss(d, true).backward();
  EXPECT_EQ(values(d.grad()), (std::vector<float>{-0.25f, -0.25f, 0.f, 0.f}));  // relu'(0) = 0 at x = 1
  d.zero_grad();
  hinge_g_loss(d).backward();
  EXPECT_EQ(values(d.grad()), (std::vector<float>(4, -0.25f)));
}

TEST(OpsLoss, SoftmaxCrossEntropyMatchesHandValues) {
  const Tensor logits = Tensor::from_vector({2, 3}, {0, 0, 0, 1, 2, 3});
  const Tensor labels = Tensor::from_vector({2}, {2, 0});
  const double row1 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 1.0;
  EXPECT_NEAR(softmax_cross_entropy(logits, labels).item(), (std::log(3.0) + row1) / 2, 1e-6);
  // Huge logits: the shifted softmax neither overflows nor loses the answer.
  EXPECT_NEAR(softmax_cross_entropy(Tensor::from_vector({1, 2}, {1000.f, 0.f}), Tensor::from_vector({1}, {0})).item(),
              0.0, 1e-6);
  EXPECT_NEAR(softmax_cross_entropy(Tensor::from_vector({1, 2}, {1000.f, 0.f}), Tensor::from_vector({1}, {1})).item(),
              1000.0, 1e-3);
}

TEST(OpsLoss, SoftmaxCrossEntropyGradientIsSoftmaxMinusOneHot) {
  Tensor logits = Tensor::from_vector({1, 2}, {0.f, 0.f});
  logits.set_requires_grad(true);
  softmax_cross_entropy(logits, Tensor::from_vector({1}, {1})).backward();
  EXPECT_EQ(values(logits.grad()), (std::vector<float>{0.5f, -0.5f}));
}

TEST(OpsLoss, SoftmaxCrossEntropyRejectsBadLabels) {
  const Tensor logits = Tensor::zeros({2, 3});
  EXPECT_THROW(softmax_cross_entropy(logits, Tensor::from_vector({2}, {0, 3})), Error);
  EXPECT_THROW(softmax_cross_entropy(logits, Tensor::from_vector({2}, {0, 1.5f})), Error);
  EXPECT_THROW(softmax_cross_entropy(logits, Tensor::from_vector({2}, {-1, 0})), Error);
  EXPECT_THROW(softmax_cross_entropy(logits, Tensor::from_vector({3}, {0, 0, 0})), Error);
}

TEST(OpsLoss, BceWithLogitsMatchesHandValuesAndIsStable) {
  auto bce = [](float x, float t) {
    return bce_with_logits(Tensor::from_vector({1}, {x}), Tensor::from_vector({1}, {t})).item();
  };
  EXPECT_NEAR(bce(0.f, 0.3f), std::log(2.0), 1e-6);
  EXPECT_NEAR(bce(2.f, 1.f), std::log1p(std::exp(-2.0)), 1e-6);
  EXPECT_NEAR(bce(-1.f, 0.25f),
              -(0.25 * std::log(1 / (1 + std::exp(1.0))) + 0.75 * std::log(1 - 1 / (1 + std::exp(1.0)))), 1e-6);
  EXPECT_NEAR(bce(-100.f, 0.f), 0.0, 1e-6);  // log σ(−100) would be −inf in the naive form
  EXPECT_NEAR(bce(100.f, 0.f), 100.0, 1e-4);
  EXPECT_NEAR(bce(100.f, 1.f), 0.0, 1e-6);
}

TEST(OpsLoss, BceGradientIsSigmoidMinusTargetAndTargetsGetNone) {
  Tensor x = Tensor::from_vector({2}, {0.f, 2.f});
  Tensor t = Tensor::from_vector({2}, {1.f, 0.5f});
  x.set_requires_grad(true);
  t.set_requires_grad(true);
  bce_with_logits(x, t).backward();
  const std::vector<float> g = values(x.grad());
  EXPECT_NEAR(g[0], (0.5 - 1.0) / 2, 1e-7);
  EXPECT_NEAR(g[1], (1 / (1 + std::exp(-2.0)) - 0.5) / 2, 1e-7);
  EXPECT_FALSE(t.grad().defined());
  EXPECT_THROW(bce_with_logits(Tensor::zeros({2}), Tensor::zeros({3})), Error);
}

TEST(OpsLoss, BinarizationValuesAndSubgradientAtOneHalf) {
  Tensor m = Tensor::from_vector({5}, {0.f, 0.2f, 0.5f, 0.7f, 1.f});
  m.set_requires_grad(true);
  const Tensor l = binarization_loss(m);
  EXPECT_FLOAT_EQ(l.item(), (0.f + 0.2f + 0.5f + 0.3f + 0.f) / 5);
  l.backward();
  // +1/n below ½, −1/n above, and 0 at exactly ½ (torch.minimum splits a tie evenly between its arguments).
  EXPECT_EQ(values(m.grad()), (std::vector<float>{0.2f, 0.2f, 0.f, -0.2f, -0.2f}));
}

TEST(OpsLoss, HalfSquaredDistanceValuesAndTheCodeGetsNoGradient) {
  Tensor c = Tensor::from_vector({2, 2}, {1, 2, 0, 0});
  Tensor mu = Tensor::from_vector({2, 2}, {0, 0, 3, 4});
  c.set_requires_grad(true);
  mu.set_requires_grad(true);
  const Tensor l = half_squared_distance(c, mu);
  EXPECT_FLOAT_EQ(l.item(), (0.5f * 5 + 0.5f * 25) / 2);
  l.backward();
  EXPECT_EQ(values(mu.grad()), (std::vector<float>{-0.5f, -1.f, 1.5f, 2.f}));  // (μ − c)/N
  EXPECT_FALSE(c.grad().defined());
}

TEST(OpsLoss, UpstreamGradientScalesTheSavedGradient) {
  Tensor m = Tensor::from_vector({2}, {0.1f, 0.9f});
  m.set_requires_grad(true);
  mul_scalar(binarization_loss(m), 3.f).backward();
  EXPECT_EQ(values(m.grad()), (std::vector<float>{1.5f, -1.5f}));
}

}  // namespace
}  // namespace ls
