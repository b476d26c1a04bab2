// tests/test_ops_nn.cpp — forward semantics of the neural-network ops (core/ops_nn.cpp) and layers (core/layers.cpp)
// on small hand-checked cases: conv padding/stride values and a direct-loop reference, transposed-conv size and
// adjointness, align_corners=false bilinear borders, pooling, batch-norm train/eval and its running statistics,
// spectral norm's power iteration, layer registration, and shape errors. Gradients: tests/op_cases_nn.cpp.
//   build/layerseg_tests --gtest_filter='OpsNn*'
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/error.h"
#include "core/layers.h"
#include "core/ops.h"
#include "core/rng.h"

namespace ls {
namespace {

void expect_near_all(const Tensor& t, const std::vector<float>& want, float tol = 1e-5f) {
  const std::vector<float> got = t.to_vector();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

Tensor iota(const Shape& s, float start = 1.f) {
  std::vector<float> v(size_t(shape_numel(s)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = start + float(i);
  return Tensor::from_vector(s, v);
}

// ---- convolution --------------------------------------------------------------------------------------------------

// x = [[1,2,3],[4,5,6],[7,8,9]], an all-ones 3×3 kernel: each output is the sum of the padded neighbourhood.
TEST(OpsNnConv, PaddingAndStrideValues) {
  const Tensor x = iota({1, 1, 3, 3}), w = Tensor::full({1, 1, 3, 3}, 1.f), b = Tensor::full({1}, 0.5f);
  const Tensor same = conv2d(x, w, Tensor(), 1, 1);
  EXPECT_EQ(same.shape(), (Shape{1, 1, 3, 3}));
  expect_near_all(same, {12, 21, 16, 27, 45, 33, 24, 39, 28});
  const Tensor strided = conv2d(x, w, b, 2, 1);  // output (3 + 2 − 3)/2 + 1 = 2: the four corners
  EXPECT_EQ(strided.shape(), (Shape{1, 1, 2, 2}));
  expect_near_all(strided, {12.5f, 16.5f, 24.5f, 28.5f});
  const Tensor valid = conv2d(x, w, Tensor());  // no padding: the one full window
  expect_near_all(valid, {45});
}

// Random odd sizes against the definition written as loops, over the geometries that take different paths through
// kernels/cpu/conv.cpp: strided, stride 1 as wide as the input (flat) or not, unequal padding, two groups, and
// enough small images that several share one GEMM.
TEST(OpsNnConv, MatchesDirectLoopReference) {
  struct Geometry {
    int N, C, H, W, K, R, S, stride, pad_h, pad_w, groups;
  };
  const Geometry cases[] = {{2, 4, 7, 6, 6, 3, 3, 2, 1, 1, 2},  {3, 3, 7, 5, 4, 3, 3, 1, 1, 1, 1},
                            {2, 3, 6, 5, 4, 3, 3, 1, 0, 0, 1},  {2, 2, 4, 6, 3, 5, 3, 1, 2, 1, 1},
                            {70, 2, 3, 4, 3, 3, 3, 1, 1, 1, 1}, {2, 2, 5, 5, 4, 1, 1, 1, 0, 0, 2}};
  Rng rng(3);
  for (const Geometry& g : cases) {
    const int Cg = g.C / g.groups, Kg = g.K / g.groups;
    const Tensor x = Tensor::uniform({g.N, g.C, g.H, g.W}, rng, -1, 1);
    const Tensor w = Tensor::uniform({g.K, Cg, g.R, g.S}, rng, -1, 1), b = Tensor::uniform({g.K}, rng, -1, 1);
    const Tensor y = conv2d(x, w, b, g.stride, {g.pad_h, g.pad_w}, g.groups);
    const int P = (g.H + 2 * g.pad_h - g.R) / g.stride + 1, Q = (g.W + 2 * g.pad_w - g.S) / g.stride + 1;
    ASSERT_EQ(y.shape(), (Shape{g.N, g.K, P, Q}));
    const float *xd = x.data(), *wd = w.data();
    std::vector<float> want;
    for (int n = 0; n < g.N; ++n)
      for (int k = 0; k < g.K; ++k)
        for (int p = 0; p < P; ++p)
          for (int q = 0; q < Q; ++q) {
            double acc = b.data()[k];
            for (int c = 0; c < Cg; ++c)
              for (int r = 0; r < g.R; ++r)
                for (int s = 0; s < g.S; ++s) {
                  const int ih = p * g.stride - g.pad_h + r, iw = q * g.stride - g.pad_w + s, ci = (k / Kg) * Cg + c;
                  if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W)
                    acc += double(xd[((n * g.C + ci) * g.H + ih) * g.W + iw]) * wd[((k * Cg + c) * g.R + r) * g.S + s];
                }
            want.push_back(float(acc));
          }
    SCOPED_TRACE(::testing::Message() << "N" << g.N << " C" << g.C << " " << g.H << "x" << g.W << " k" << g.R << "x"
                                      << g.S << " stride " << g.stride << " pad " << g.pad_h << "," << g.pad_w);
    expect_near_all(y, want, 1e-5f);
  }
}

TEST(OpsNnConvTranspose, OutputSizeAndScatter) {
  Rng rng(4);
  // H' = (H − 1)·s − 2p + R + output_pad = 3·2 − 2 + 3 + 1 = 8, W' = 4·2 − 2 + 3 + 1 = 10.
  const Tensor y = conv_transpose2d(Tensor::uniform({2, 3, 4, 5}, rng), Tensor::uniform({3, 6, 3, 3}, rng),
                                    Tensor::zeros({6}), 2, 1, 1);
  EXPECT_EQ(y.shape(), (Shape{2, 6, 8, 10}));
  // One input pixel at the top-left scatters the kernel, stride 2, no padding: output (2 − 1)·2 + 3 = 5.
  const Tensor x = Tensor::from_vector({1, 1, 2, 2}, {1, 0, 0, 0});
  const Tensor z = conv_transpose2d(x, iota({1, 1, 3, 3}), Tensor(), 2, 0);
  EXPECT_EQ(z.shape(), (Shape{1, 1, 5, 5}));
  expect_near_all(z, {1, 2, 3, 0, 0, 4, 5, 6, 0, 0, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
}

// ⟨conv2d(x, w), y⟩ = ⟨x, conv_transpose2d(y, w)⟩: the transposed convolution is conv2d's adjoint.
TEST(OpsNnConvTranspose, IsTheAdjointOfConv2d) {
  Rng rng(5);
  const Tensor x = Tensor::uniform({2, 3, 9, 7}, rng, -1, 1), w = Tensor::uniform({4, 3, 3, 3}, rng, -1, 1);
  const Tensor y =
      Tensor::uniform({2, 4, 5, 4}, rng, -1, 1);  // conv2d(x): (9 + 2 − 3)/2 + 1 = 5, (7 + 2 − 3)/2 + 1 = 4
  const Tensor cx = conv2d(x, w, Tensor(), 2, 1);
  ASSERT_EQ(cx.shape(), y.shape());
  // conv2d's weight [K, C, R, S] is read by conv_transpose2d as [C_in = K, C_out = C, R, S].
  const Tensor ty = conv_transpose2d(y, w, Tensor(), 2, 1);  // (5 − 1)·2 − 2 + 3 = 9
  ASSERT_EQ(ty.shape(), x.shape());
  auto dot = [](const Tensor& a, const Tensor& b) {
    double acc = 0;
    for (int64_t i = 0; i < a.numel(); ++i) acc += double(a.data()[i]) * b.data()[i];
    return acc;
  };
  EXPECT_NEAR(dot(cx, y), dot(x, ty), 1e-4);
}

// ---- linear -------------------------------------------------------------------------------------------------------

TEST(OpsNnLinear, Values) {
  const Tensor x = Tensor::from_vector({2, 3}, {1, 2, 3, -1, 0, 1});
  const Tensor w = Tensor::from_vector({2, 3}, {1, 0, 1, 0.5f, 0.5f, 0.5f}), b = Tensor::from_vector({2}, {10, 20});
  expect_near_all(linear(x, w, b), {14, 23, 10, 20});
  expect_near_all(linear(x, w, Tensor()), {4, 3, 0, 0});
}

// ---- resampling ---------------------------------------------------------------------------------------------------

// align_corners=false: output o samples (o + 0.5)/2 − 0.5, clamped at the border, so the first row is
// [1, 0.75·1 + 0.25·2, 0.25·1 + 0.75·2, 2] = [1, 1.25, 1.75, 2].
TEST(OpsNnUpsample, BilinearAlignCornersFalseBorders) {
  const Tensor y = upsample_bilinear2x(Tensor::from_vector({1, 1, 2, 2}, {1, 2, 3, 4}));
  EXPECT_EQ(y.shape(), (Shape{1, 1, 4, 4}));
  expect_near_all(y, {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4});
}

TEST(OpsNnUpsample, NearestRepeats) {
  const Tensor y = upsample_nearest2x(Tensor::from_vector({1, 1, 1, 2}, {1, 2}));
  EXPECT_EQ(y.shape(), (Shape{1, 1, 2, 4}));
  expect_near_all(y, {1, 1, 2, 2, 1, 1, 2, 2});
}

TEST(OpsNnPool, AvgAndMaxFloorOddSizes) {
  const Tensor x = iota({1, 1, 3, 5});  // rows [1..5], [6..10], [11..15]; the last row and column are dropped
  EXPECT_EQ(avg_pool2d(x, 2, 2).shape(), (Shape{1, 1, 1, 2}));
  expect_near_all(avg_pool2d(x, 2, 2), {(1 + 2 + 6 + 7) / 4.f, (3 + 4 + 8 + 9) / 4.f});
  expect_near_all(max_pool2d(x, 2, 2), {7, 9});
}

// A tie: the whole gradient goes to the first maximum in row-major order (PyTorch's CPU rule).
TEST(OpsNnPool, MaxGradientGoesToTheFirstMaximum) {
  Tensor x = Tensor::from_vector({1, 1, 2, 2}, {1, 5, 5, 5});
  x.set_requires_grad(true);
  sum(max_pool2d(x, 2, 2)).backward();
  expect_near_all(x.grad(), {0, 1, 0, 0});
}

// ---- batch-norm ---------------------------------------------------------------------------------------------------

// One channel holding 1, 2, 3, 4: mean 2.5, biased variance 1.25 (normalises), unbiased 5/3 (running statistics).
TEST(OpsNnBatchNorm, TrainNormalisesWithBiasedVarianceAndUpdatesRunningStatsUnbiased) {
  const Tensor x = Tensor::from_vector({2, 1, 1, 2}, {1, 2, 3, 4});
  const Tensor gamma = Tensor::full({1}, 2.f), beta = Tensor::full({1}, 0.5f);
  Tensor rm = Tensor::zeros({1}), rv = Tensor::full({1}, 1.f);
  const Tensor y = batch_norm2d(x, gamma, beta, rm, rv, true, 0.1f, 1e-5f);
  const float s = 1.f / std::sqrt(1.25f + 1e-5f);
  expect_near_all(y, {2 * -1.5f * s + 0.5f, 2 * -0.5f * s + 0.5f, 2 * 0.5f * s + 0.5f, 2 * 1.5f * s + 0.5f});
  expect_near_all(rm, {0.1f * 2.5f});
  expect_near_all(rv, {0.9f + 0.1f * (5.f / 3.f)});
}

TEST(OpsNnBatchNorm, EvalUsesRunningStatsAndLeavesThemAlone) {
  const Tensor x = Tensor::from_vector({2, 1, 1, 2}, {1, 2, 3, 4});
  const Tensor gamma = Tensor::full({1}, 2.f), beta = Tensor::full({1}, 0.5f);
  Tensor rm = Tensor::full({1}, 1.f), rv = Tensor::full({1}, 4.f);
  const Tensor y = batch_norm2d(x, gamma, beta, rm, rv, false);
  const float s = 2.f / std::sqrt(4.f + 1e-5f);
  expect_near_all(y, {0 * s + 0.5f, 1 * s + 0.5f, 2 * s + 0.5f, 3 * s + 0.5f});
  expect_near_all(rm, {1});
  expect_near_all(rv, {4});
}

// ---- spectral normalisation ---------------------------------------------------------------------------------------

// W = diag(3, 1) with a generic u: the power iteration finds σ = 3, and W/σ = diag(1, 1/3). Without an update, u is
// left as it was.
TEST(OpsNnSpectral, PowerIterationFindsTheTopSingularValue) {
  const Tensor w = Tensor::from_vector({2, 2}, {3, 0, 0, 1});
  Tensor u = Tensor::from_vector({2}, {0.6f, 0.8f});
  const Tensor fixed = spectral_normalize(w, u, false);
  expect_near_all(u, {0.6f, 0.8f});
  // σ = |Wᵀu| = |(1.8, 0.8)| without an update.
  expect_near_all(fixed, {3 / std::hypot(1.8f, 0.8f), 0, 0, 1 / std::hypot(1.8f, 0.8f)});
  const Tensor w_sn = spectral_normalize(w, u, true, 30);
  expect_near_all(w_sn, {1, 0, 0, 1 / 3.f}, 1e-4f);
  EXPECT_NEAR(std::fabs(u.to_vector()[0]), 1.f, 1e-4f);
}

// ---- layers -------------------------------------------------------------------------------------------------------

TEST(OpsNnLayers, RegistrationNamesShapesAndInit) {
  Rng rng(9);
  Conv2d conv(3, 8, 3, 1, 1, rng, {true, true});
  const NamedTensors params = conv.named_parameters(), buffers = conv.named_buffers();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].first, "weight");
  EXPECT_EQ(params[0].second.shape(), (Shape{8, 3, 3, 3}));
  EXPECT_EQ(params[1].first, "bias");
  ASSERT_EQ(buffers.size(), 1u);
  EXPECT_EQ(buffers[0].first, "weight_u");
  double uu = 0;
  for (float a : buffers[0].second.to_vector()) uu += a * a;
  EXPECT_NEAR(uu, 1.0, 1e-5);
  const float bound = 1.f / std::sqrt(27.f);  // PyTorch's default U(−1/√fan_in, 1/√fan_in)
  for (float a : conv.weight.to_vector()) EXPECT_LE(std::fabs(a), bound);

  Linear fc(5, 2, rng, {false, false});
  EXPECT_EQ(fc.named_parameters().size(), 1u);
  EXPECT_TRUE(fc.named_buffers().empty());
  BatchNorm2d bn(4);
  EXPECT_EQ(bn.named_buffers().size(), 2u);
}

// Training forwards advance the power iteration (u changes); eval forwards use the frozen u: y = conv2d(x, W/σ).
TEST(OpsNnLayers, SpectralNormIteratesOnlyInTraining) {
  Rng rng(10);
  Conv2d conv(2, 3, 3, 1, 1, rng, {true, true});
  const Tensor x = Tensor::uniform({1, 2, 4, 4}, rng);
  const std::vector<float> u0 = conv.weight_u.to_vector();
  conv.forward(x);
  EXPECT_NE(conv.weight_u.to_vector(), u0);
  conv.train(false);
  const std::vector<float> u1 = conv.weight_u.to_vector();
  const Tensor y = conv.forward(x);
  EXPECT_EQ(conv.weight_u.to_vector(), u1);
  Tensor u = conv.weight_u.clone();
  expect_near_all(y, conv2d(x, spectral_normalize(conv.weight, u, false), conv.bias, 1, 1).to_vector());
}

TEST(OpsNnLayers, BatchNormModuleFollowsTrainingMode) {
  BatchNorm2d bn(1);
  const Tensor x = Tensor::from_vector({2, 1, 1, 2}, {1, 2, 3, 4});
  bn.forward(x);
  expect_near_all(bn.running_mean, {0.25f});
  bn.train(false);
  const Tensor y = bn.forward(x);  // running mean 0.25, var 0.9 + 0.1·5/3
  const float s = 1.f / std::sqrt(0.9f + 0.1f * 5.f / 3.f + 1e-5f);
  expect_near_all(y, {0.75f * s, 1.75f * s, 2.75f * s, 3.75f * s});
  expect_near_all(bn.running_mean, {0.25f});
}

// ---- errors -------------------------------------------------------------------------------------------------------

// The message names the op and both shapes.
void expect_error_naming(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no ls::Error thrown";
  } catch (const Error& e) {
    for (const std::string& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST(OpsNnErrors, ShapeMismatchesNameTheOpAndBothShapes) {
  const Tensor x = Tensor::zeros({1, 3, 5, 5});
  expect_error_naming(
      [&] {
        conv2d(x, Tensor::zeros({4, 2, 3, 3}), Tensor());
      },
      {"conv2d", "[1, 3, 5, 5]", "[4, 2, 3, 3]"});
  expect_error_naming(
      [&] {
        conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor::zeros({5}));
      },
      {"conv2d", "[5]", "[1, 3, 5, 5]"});
  expect_error_naming(
      [&] {
        conv_transpose2d(x, Tensor::zeros({4, 2, 3, 3}), Tensor());
      },
      {"conv_transpose2d", "[1, 3, 5, 5]", "[4, 2, 3, 3]"});
  expect_error_naming(
      [&] {
        linear(Tensor::zeros({2, 3}), Tensor::zeros({4, 5}), Tensor());
      },
      {"linear", "[2, 3]", "[4, 5]"});
  Tensor rm = Tensor::zeros({2}), rv = Tensor::zeros({2});
  expect_error_naming([&] { batch_norm2d(x, Tensor::zeros({2}), Tensor::zeros({2}), rm, rv, true); },
                      {"batch_norm2d", "[1, 3, 5, 5]", "[2]"});
  Tensor u = Tensor::zeros({3});
  expect_error_naming(
      [&] {
        spectral_normalize(Tensor::zeros({4, 5}), u, false);
      },
      {"spectral_normalize", "[4, 5]", "[3]"});
  expect_error_naming([&] { max_pool2d(Tensor::zeros({1, 1, 1, 4}), 2, 2); }, {"max_pool2d", "[1, 1, 1, 4]"});
}

}  // namespace
}  // namespace ls
