// tests/test_ops_style.cpp — what StyleGAN2's layer ops compute (the op table checks their gradients and devices):
// FIR resampling against its definition and StyleGAN2's uses, bias_act by value, the demodulation coefficients and the
// minibatch standard deviation against plain double-precision loops.
//   build/layerseg_tests --gtest_filter='OpsStyle*'
#include <gtest/gtest.h>

#include <cmath>

#include "core/ops.h"
#include "core/rng.h"
#include "kernels/error.h"

namespace ls {
namespace {

const std::vector<float> kBinomial = {0.125f, 0.375f, 0.375f, 0.125f};

// StyleGAN2's ×2 upsampling (up 2, pad 2/1, gain 4) and ×2 downsampling (down 2, pad 1/1) of a constant image keep the
// constant away from the border, and have the sizes StyleGAN2 gets (2H, H/2).
TEST(OpsStyleUpfirdn, StyleGanResamplingKeepsAConstantAndTheSizes) {
  const Tensor x = Tensor::full({1, 1, 6, 6}, 0.7f);
  const Tensor up = upfirdn2d(x, kBinomial, 2, 1, 2, 1, 4.f);
  ASSERT_EQ(up.shape(), (Shape{1, 1, 12, 12}));
  const std::vector<float> u = up.to_vector();
  for (int i = 2; i < 10; ++i)
    for (int j = 2; j < 10; ++j) EXPECT_NEAR(u[size_t(i * 12 + j)], 0.7f, 1e-6f) << i << "," << j;
  const Tensor down = upfirdn2d(x, kBinomial, 1, 2, 1, 1);
  ASSERT_EQ(down.shape(), (Shape{1, 1, 3, 3}));
  EXPECT_NEAR(down.to_vector()[4], 0.7f, 1e-6f);
}

// The definition, element by element: upsample with zeros, pad, correlate with taps ⊗ taps, keep every down-th.
TEST(OpsStyleUpfirdn, MatchesItsDefinitionOnRandomInput) {
  Rng rng(11);
  const int H = 3, W = 4, up = 3, down = 2, pad0 = 1, pad1 = 2;
  const std::vector<float> f = {0.2f, 0.5f, 0.3f};
  const Tensor x = Tensor::uniform({1, 1, H, W}, rng, -1.f, 1.f);
  const std::vector<float> xv = x.to_vector(), y = upfirdn2d(x, f, up, down, pad0, pad1, 1.5f).to_vector();
  const int P = (H * up + pad0 + pad1 - 3) / down + 1, Q = (W * up + pad0 + pad1 - 3) / down + 1;
  ASSERT_EQ(y.size(), size_t(P * Q));
  const auto u = [&](int i, int j) {  // the upsampled, padded input
    i -= pad0, j -= pad0;
    if (i < 0 || j < 0 || i >= H * up || j >= W * up || i % up || j % up) return 0.0;
    return double(xv[size_t(i / up * W + j / up)]);
  };
  for (int o = 0; o < P; ++o)
    for (int q = 0; q < Q; ++q) {
      double e = 0;
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) e += double(f[size_t(a)]) * f[size_t(b)] * u(o * down + a, q * down + b);
      EXPECT_NEAR(y[size_t(o * Q + q)], 1.5 * e, 1e-6) << o << "," << q;
    }
}

TEST(OpsStyleUpfirdn, RefusesBadArguments) {
  const Tensor x = Tensor::zeros({1, 1, 2, 2});
  EXPECT_THROW(upfirdn2d(x, {}, 1, 1, 0, 0), Error);
  EXPECT_THROW(upfirdn2d(x, std::vector<float>(9, 0.1f), 1, 1, 0, 0), Error);
  EXPECT_THROW(upfirdn2d(x, kBinomial, 0, 1, 0, 0), Error);
  EXPECT_THROW(upfirdn2d(x, kBinomial, 1, 1, 0, 0), Error);  // 2×2 is smaller than 4 taps
}

TEST(OpsStyleBiasAct, LeakyReluWithGainByValue) {
  const Tensor x = Tensor::from_vector({1, 2, 1, 2}, {-1.f, 2.f, 0.5f, -3.f});
  const Tensor b = Tensor::from_vector({2}, {0.5f, -1.f});
  const std::vector<float> y = bias_act(x, b, 0.2f, 2.f).to_vector();
  // channel 0: -0.5 → 0.2·-0.5·2, 2.5 → 5; channel 1: -0.5 → -0.2, -4 → -1.6
  const std::vector<float> expected = {-0.2f, 5.f, -0.2f, -1.6f};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(y[i], expected[i], 1e-6f) << i;
  EXPECT_THROW(bias_act(x, Tensor::zeros({3})), Error);
  EXPECT_THROW(bias_act(x, b, 0.2f, -1.f), Error);
}

TEST(OpsStyleDemodulation, MatchesThePlainFormula) {
  Rng rng(5);
  const int O = 3, C = 4, N = 2;
  const Tensor w = Tensor::uniform({O, C, 3, 3}, rng, -1.f, 1.f), s = Tensor::uniform({N, C}, rng, 0.5f, 1.5f);
  const std::vector<float> d = demodulation(w, s, 1e-8f).to_vector(), wv = w.to_vector(), sv = s.to_vector();
  for (int n = 0; n < N; ++n)
    for (int o = 0; o < O; ++o) {
      double q = 0;
      for (int c = 0; c < C; ++c)
        for (int k = 0; k < 9; ++k) {
          const double m = double(wv[size_t((o * C + c) * 9 + k)]) * sv[size_t(n * C + c)];
          q += m * m;
        }
      EXPECT_NEAR(d[size_t(n * O + o)], 1.0 / std::sqrt(q + 1e-8), 1e-5 / std::sqrt(q)) << n << "," << o;
    }
}

// StyleGAN2-ADA's MinibatchStdLayer with consecutive groups: y = x.reshape(-1, G, F, C/F, H, W); y −= mean over G;
// std = √(mean over G of y² + 1e-8); mean over (C/F, H, W); broadcast to [N, F, H, W] and appended as channels.
TEST(OpsStyleMinibatchStddev, MatchesStyleGan2AdaLayerWithConsecutiveGroups) {
  Rng rng(9);
  const int N = 4, C = 4, H = 2, W = 3, G = 2, F = 2, Cf = C / F;
  const Tensor x = Tensor::uniform({N, C, H, W}, rng, -1.f, 1.f);
  const Tensor y = minibatch_stddev(x, G, F);
  ASSERT_EQ(y.shape(), (Shape{N, C + F, H, W}));
  const std::vector<float> xv = x.to_vector(), yv = y.to_vector();
  const auto at = [&](int n, int c, int p) { return double(xv[size_t((n * C + c) * H * W + p)]); };
  for (int n = 0; n < N; ++n) {
    const int m = n / G;
    for (int f = 0; f < F; ++f) {
      double total = 0;
      for (int j = 0; j < Cf; ++j)
        for (int p = 0; p < H * W; ++p) {
          double mean = 0, var = 0;
          for (int g = 0; g < G; ++g) mean += at(m * G + g, f * Cf + j, p) / G;
          for (int g = 0; g < G; ++g) var += std::pow(at(m * G + g, f * Cf + j, p) - mean, 2) / G;
          total += std::sqrt(var + 1e-8);
        }
      for (int p = 0; p < H * W; ++p)
        EXPECT_NEAR(yv[size_t((n * (C + F) + C + f) * H * W + p)], total / (Cf * H * W), 1e-6) << n << "," << f;
    }
    for (int c = 0; c < C; ++c)
      for (int p = 0; p < H * W; ++p) EXPECT_EQ(yv[size_t((n * (C + F) + c) * H * W + p)], float(at(n, c, p)));
  }
  EXPECT_THROW(minibatch_stddev(Tensor::zeros({3, 4, 2, 2}), 2, 1), Error);  // 3 samples in groups of 2
  EXPECT_THROW(minibatch_stddev(Tensor::zeros({4, 3, 2, 2}), 2, 2), Error);  // 3 channels in 2 groups
}

}  // namespace
}  // namespace ls
