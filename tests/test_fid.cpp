// tests/test_fid.cpp — FID's parts (SPEC §6): general pooling and separately padded convolution against plain loops,
// the Fréchet distance against closed forms, the pytorch-fid Inception-v3's wiring against a golden from pytorch-fid
// itself (tests/golden/fid_inception_features.safetensors, written by tools/fid_golden.py with formula weights that
// formula_state below reproduces) and on CUDA against the CPU (skipped without a GPU), its weight checks and error
// messages, and `layerseg fid` end to end on a tiny run (≈ 10 s; the whole file ≈ 15 s on 2 cores).
// Gradients of the new ops: the op table (tests/op_cases_nn.cpp).
//   build/layerseg_tests --gtest_filter='Fid*'
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/checkpoint.h"
#include "core/ops.h"
#include "core/rng.h"
#include "data/fid.h"
#include "models/config.h"
#include "models/inception.h"
#include "models/trainer.h"
#include "tests/error_message.h"
#include "tests/test_cuda_util.h"

namespace ls {
namespace {

namespace fs = std::filesystem;

void expect_all_near(const std::vector<float>& got, const std::vector<float>& want, float tol, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], tol) << what << ", element " << i;
}

// ---- pooling and padding against plain loops -----------------------------------------------------------------------

// max_pool2d / avg_pool2d written as the definition: every window position, padding as −∞ (max) or skipped (avg).
std::vector<float> pool_reference(const Tensor& x, int k, int s, int p, bool max, bool count_include_pad) {
  const int NC = int(x.size(0) * x.size(1)), H = int(x.size(2)), W = int(x.size(3));
  const int P = (H + 2 * p - k) / s + 1, Q = (W + 2 * p - k) / s + 1;
  const std::vector<float> v = x.to_vector();
  std::vector<float> out;
  for (int c = 0; c < NC; ++c)
    for (int i = 0; i < P; ++i)
      for (int j = 0; j < Q; ++j) {
        double acc = max ? -std::numeric_limits<double>::infinity() : 0.0;
        int inside = 0;
        for (int a = 0; a < k; ++a)
          for (int b = 0; b < k; ++b) {
            const int r = i * s - p + a, q = j * s - p + b;
            if (r < 0 || r >= H || q < 0 || q >= W) continue;
            const double val = v[(size_t(c) * H + r) * W + q];
            acc = max ? std::max(acc, val) : acc + val;
            ++inside;
          }
        out.push_back(float(max ? acc : acc / (count_include_pad ? k * k : inside)));
      }
  return out;
}

TEST(FidOps, PoolingMatchesPlainLoops) {
  Rng rng(11);
  const Tensor x = Tensor::uniform({2, 3, 9, 8}, rng, -1, 1);
  struct Window {
    int k, s, p;
  };
  for (const Window w : {Window{3, 2, 0}, Window{3, 1, 1}, Window{3, 2, 1}, Window{2, 1, 0}, Window{5, 3, 2}}) {
    SCOPED_TRACE(testing::Message() << "kernel " << w.k << " stride " << w.s << " pad " << w.p);
    const Tensor m = max_pool2d(x, w.k, w.s, w.p);
    EXPECT_EQ(m.shape(), (Shape{2, 3, (9 + 2 * w.p - w.k) / w.s + 1, (8 + 2 * w.p - w.k) / w.s + 1}));
    expect_all_near(m.to_vector(), pool_reference(x, w.k, w.s, w.p, true, true), 0.f, "max");
    for (bool include : {true, false})
      expect_all_near(avg_pool2d(x, w.k, w.s, w.p, include).to_vector(),
                      pool_reference(x, w.k, w.s, w.p, false, include), 1e-6f, include ? "avg incl" : "avg excl");
  }
  // At a corner, 3×3/1/1 averages 4 pixels: the two padding conventions differ there by exactly 9/4.
  const Tensor ones = Tensor::full({1, 1, 4, 4}, 1.f);
  EXPECT_FLOAT_EQ(avg_pool2d(ones, 3, 1, 1, false).to_vector()[0], 1.f);
  EXPECT_FLOAT_EQ(avg_pool2d(ones, 3, 1, 1, true).to_vector()[0], 4.f / 9.f);
}

// Ties: each window's gradient goes to its first maximum in row-major order, and overlapping windows add up.
TEST(FidOps, MaxPoolGradientGoesToTheFirstMaximumOfEachWindow) {
  Tensor x = Tensor::zeros({1, 1, 2, 3});
  x.set_requires_grad(true);
  sum(max_pool2d(x, 3, 1, 1)).backward();  // 6 windows; each covers (0,0) or (0,1) first among equal zeros
  // Windows at columns 0 and 1 (both rows) start at column 0; the two at column 2 start at column 1.
  expect_all_near(x.grad().to_vector(), {4, 2, 0, 0, 0, 0}, 0.f, "max-pool ties");
}

TEST(FidOps, PoolingErrorsNameTheOpAndTheWindow) {
  const Tensor x = Tensor::zeros({1, 1, 4, 4});
  std::string e = test::error_message([&] { max_pool2d(x, 3, 1, 2); });
  EXPECT_NE(e.find("max_pool2d: need kernel ≥ 1, stride ≥ 1 and 0 ≤ pad ≤ kernel/2"), std::string::npos) << e;
  e = test::error_message([&] { avg_pool2d(Tensor::zeros({1, 1, 2, 2}), 3, 1); });
  EXPECT_NE(e.find("avg_pool2d: input [1, 1, 2, 2] is smaller than the 3×3 window"), std::string::npos) << e;
}

// conv2d with pad {h, w} against the definition; a single int still pads both axes.
TEST(FidOps, SeparatelyPaddedConvolutionMatchesPlainLoops) {
  Rng rng(5);
  const Tensor x = Tensor::uniform({2, 3, 6, 9}, rng, -1, 1), b = Tensor::uniform({4}, rng, -1, 1);
  struct Geometry {
    int R, S, stride, ph, pw;
  };
  for (const Geometry g :
       {Geometry{1, 7, 1, 0, 3}, Geometry{7, 1, 1, 3, 0}, Geometry{3, 1, 2, 1, 0}, Geometry{1, 3, 2, 0, 1}}) {
    SCOPED_TRACE(testing::Message() << g.R << "x" << g.S << " stride " << g.stride << " pad " << g.ph << "," << g.pw);
    const Tensor w = Tensor::uniform({4, 3, g.R, g.S}, rng, -1, 1);
    const Tensor y = conv2d(x, w, b, g.stride, {g.ph, g.pw});
    const int P = (6 + 2 * g.ph - g.R) / g.stride + 1, Q = (9 + 2 * g.pw - g.S) / g.stride + 1;
    ASSERT_EQ(y.shape(), (Shape{2, 4, P, Q}));
    const std::vector<float> xv = x.to_vector(), wv = w.to_vector(), bv = b.to_vector();
    std::vector<float> want;
    for (int n = 0; n < 2; ++n)
      for (int k = 0; k < 4; ++k)
        for (int p = 0; p < P; ++p)
          for (int q = 0; q < Q; ++q) {
            double acc = bv[size_t(k)];
            for (int c = 0; c < 3; ++c)
              for (int r = 0; r < g.R; ++r)
                for (int s = 0; s < g.S; ++s) {
                  const int ih = p * g.stride - g.ph + r, iw = q * g.stride - g.pw + s;
                  if (ih >= 0 && ih < 6 && iw >= 0 && iw < 9)
                    acc += double(xv[((size_t(n) * 3 + c) * 6 + ih) * 9 + iw]) *
                           wv[((size_t(k) * 3 + c) * g.R + r) * g.S + s];
                }
            want.push_back(float(acc));
          }
    expect_all_near(y.to_vector(), want, 1e-5f, "conv2d");
  }
  const Tensor w = Tensor::uniform({4, 3, 3, 3}, rng, -1, 1);
  expect_all_near(conv2d(x, w, b, 1, 1).to_vector(), conv2d(x, w, b, 1, {1, 1}).to_vector(), 0.f, "pad 1 vs {1, 1}");
}

// ---- the Fréchet distance
// --------------------------------------------------------------------------------------------

data::GaussianStats stats(std::vector<double> mean, std::vector<double> cov) {
  data::GaussianStats s;
  s.d = int(mean.size()), s.n = 100, s.mean = std::move(mean), s.cov = std::move(cov);
  return s;
}

// A random rotation Q (d × d, row-major) from Gram-Schmidt on uniform vectors.
std::vector<double> random_rotation(int d, Rng& rng) {
  std::vector<double> q(size_t(d) * d);
  for (int i = 0; i < d; ++i) {
    std::vector<float> v(static_cast<size_t>(d));
    rng.fill_uniform(v.data(), v.size(), -1.f, 1.f);
    for (int j = 0; j < d; ++j) q[size_t(i) * d + j] = v[size_t(j)];
    for (int k = 0; k < i; ++k) {
      double dot = 0;
      for (int j = 0; j < d; ++j) dot += q[size_t(i) * d + j] * q[size_t(k) * d + j];
      for (int j = 0; j < d; ++j) q[size_t(i) * d + j] -= dot * q[size_t(k) * d + j];
    }
    double norm = 0;
    for (int j = 0; j < d; ++j) norm += q[size_t(i) * d + j] * q[size_t(i) * d + j];
    for (int j = 0; j < d; ++j) q[size_t(i) * d + j] /= std::sqrt(norm);
  }
  return q;
}

// Qᵀ diag(s) Q.
std::vector<double> rotated_diagonal(const std::vector<double>& q, const std::vector<double>& s) {
  const int d = int(s.size());
  std::vector<double> c(size_t(d) * d, 0.0);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j)
      for (int k = 0; k < d; ++k) c[size_t(i) * d + j] += q[size_t(k) * d + i] * s[size_t(k)] * q[size_t(k) * d + j];
  return c;
}

TEST(FidDistance, GaussianStatsAreTheMeanAndUnbiasedCovariance) {
  // Rows (1, 2), (3, 6), (5, 4): mean (3, 4); variances 4 and 4; covariance ((−2)(−2) + 0·2 + 2·0)/2 = 2.
  const data::GaussianStats s = data::gaussian_stats({1, 2, 3, 6, 5, 4}, 3, 2);
  EXPECT_EQ(s.mean, (std::vector<double>{3, 4}));
  EXPECT_EQ(s.cov, (std::vector<double>{4, 2, 2, 4}));
  const std::string e = test::error_message([] { data::gaussian_stats({1, 2}, 1, 2); });
  EXPECT_NE(e.find("at least 2 samples"), std::string::npos) << e;
}

TEST(FidDistance, IdenticalSetsGiveZeroAndShiftedMeansGiveTheSquaredShift) {
  Rng rng(3);
  const int n = 300, d = 16;
  std::vector<float> a(size_t(n) * d), shifted(a.size());
  rng.fill_normal(a.data(), a.size());
  double shift2 = 0;
  for (int j = 0; j < d; ++j) shift2 += (0.1 * j) * (0.1 * j);
  for (size_t i = 0; i < a.size(); ++i) shifted[i] = a[i] + 0.1f * float(i % d);
  const data::GaussianStats sa = data::gaussian_stats(a, n, d);
  EXPECT_NEAR(data::frechet_distance(sa, sa), 0.0, 1e-9);
  // Same covariance (up to float rounding of the shifted copy), means 0.1·j apart: FID = Σ (0.1·j)².
  EXPECT_NEAR(data::frechet_distance(sa, data::gaussian_stats(shifted, n, d)), shift2, 1e-5);
}

// Commuting covariances (diagonal, then both rotated by the same Q): FID = ‖Δμ‖² + Σ (√s₁ − √s₂)².
TEST(FidDistance, CommutingCovariancesMatchTheClosedForm) {
  Rng rng(7);
  const int d = 12;
  std::vector<double> m1(d), m2(d), s1(d), s2(d);
  double want = 0;
  for (int j = 0; j < d; ++j) {
    m1[size_t(j)] = 0.3 * j, m2[size_t(j)] = 1.0 - 0.2 * j, s1[size_t(j)] = 0.5 + j, s2[size_t(j)] = 4.0 / (1 + j);
    want +=
        (m1[size_t(j)] - m2[size_t(j)]) * (m1[size_t(j)] - m2[size_t(j)]) +
        (std::sqrt(s1[size_t(j)]) - std::sqrt(s2[size_t(j)])) * (std::sqrt(s1[size_t(j)]) - std::sqrt(s2[size_t(j)]));
  }
  std::vector<double> identity(size_t(d) * d, 0.0);
  for (int j = 0; j < d; ++j) identity[size_t(j) * d + j] = 1.0;
  EXPECT_NEAR(
      data::frechet_distance(stats(m1, rotated_diagonal(identity, s1)), stats(m2, rotated_diagonal(identity, s2))),
      want, 1e-9);
  const std::vector<double> q = random_rotation(d, rng);
  EXPECT_NEAR(data::frechet_distance(stats(m1, rotated_diagonal(q, s1)), stats(m2, rotated_diagonal(q, s2))), want,
              1e-8);
}

// Non-commuting 2 × 2: M = Σ₁^½ Σ₂ Σ₁^½ has tr M = tr Σ₁Σ₂ and det M = det Σ₁ det Σ₂, and a 2 × 2 PSD matrix has
// tr √M = √(tr M + 2√det M).
TEST(FidDistance, NonCommutingTwoByTwoMatchesTheClosedForm) {
  const std::vector<double> c1{2.0, 0.7, 0.7, 1.0}, c2{0.5, -0.3, -0.3, 3.0};
  const double tr12 = c1[0] * c2[0] + c1[1] * c2[2] + c1[2] * c2[1] + c1[3] * c2[3];
  const double det = (c1[0] * c1[3] - c1[1] * c1[2]) * (c2[0] * c2[3] - c2[1] * c2[2]);
  const double want = 1.0 + 4.0 + (c1[0] + c1[3]) + (c2[0] + c2[3]) - 2.0 * std::sqrt(tr12 + 2.0 * std::sqrt(det));
  EXPECT_NEAR(data::frechet_distance(stats({0, 0}, c1), stats({1, 2}, c2)), want, 1e-12);
  const std::string e = test::error_message([&] { data::frechet_distance(stats({0, 0}, c1), stats({0}, {1})); });
  EXPECT_NE(e.find("dimension 2 and 1"), std::string::npos) << e;
}

// ---- the Inception-v3 -------------------------------------------------------------------------------------------

// tools/fid_golden.py's formula (see there): hash bits of a tensor's name and element index, scaled by role.
uint64_t hash_bits(const std::string& name, uint64_t i) {
  uint32_t h = 2166136261u;  // FNV-1a 32
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  return ((i * 2654435761ull + h) & 0xFFFFFFFFull) >> 16;
}

std::map<std::string, Tensor> formula_state() {
  std::map<std::string, Tensor> state;
  const auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  for (const auto& [name, shape] : models::FidInception::expected_tensors()) {
    std::vector<float> v(size_t(shape_numel(shape)));
    const double fan_in = shape.size() == 4 ? double(shape[1] * shape[2] * shape[3]) : 1.0;
    for (size_t i = 0; i < v.size(); ++i) {
      const double u = double(hash_bits(name, i) % 65536) / 65536.0 - 0.5;
      double x = 0;
      if (ends_with(name, "conv.weight"))
        x = u * std::sqrt(48.0 / fan_in);
      else if (ends_with(name, "bn.weight"))
        x = 1.0 + 0.2 * u;
      else if (ends_with(name, "bn.bias") || ends_with(name, "bn.running_mean"))
        x = 0.02 * u;
      else if (ends_with(name, "bn.running_var"))
        x = 1.0 + u;
      v[i] = float(x);
    }
    state[name] = Tensor::from_vector(shape, v);
  }
  return state;
}

// The golden's two images in [-1, 1]: noise, then stripes (tools/fid_golden.py's golden_images, mapped 2·m/256 − 1).
Tensor golden_images() {
  const int C = 3, H = 37, W = 29;
  std::vector<float> v;
  for (int i = 0; i < C * H * W; ++i) v.push_back(float(hash_bits("image", uint64_t(i)) % 257) / 128.f - 1.f);
  for (int c = 0; c < C; ++c)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) v.push_back(float((16 * y + 8 * (c + 1) * x) % 257) / 128.f - 1.f);
  return Tensor::from_vector({2, C, H, W}, v);
}

// The formula weights as a weights file (what tools/fid_weights.py writes), in the temp folder; returns its path.
std::string write_formula_weights(const std::string& tag) {
  const fs::path path = fs::temp_directory_path() / fmt::format("layerseg_fid_{}_{}.safetensors", tag, getpid());
  NamedTensors named;
  for (auto& [name, t] : formula_state()) named.emplace_back(name, t);
  save_checkpoint(path.string(), named, {});
  return path.string();
}

TEST(FidInception, HasPytorchFidsTensorsAndShapes) {
  const auto& convs = models::FidInception::convs();
  EXPECT_EQ(convs.size(), 94u);  // torchvision's Inception3 up to Mixed_7c: 94 BasicConv2d
  const auto expected = models::FidInception::expected_tensors();
  EXPECT_EQ(expected.size(), 94u * 5);
  const std::map<std::string, Shape> by_name(expected.begin(), expected.end());
  EXPECT_EQ(by_name.at("Conv2d_1a_3x3.conv.weight"), (Shape{32, 3, 3, 3}));
  EXPECT_EQ(by_name.at("Mixed_6b.branch7x7_2.conv.weight"), (Shape{128, 128, 1, 7}));
  EXPECT_EQ(by_name.at("Mixed_7a.branch7x7x3_3.conv.weight"), (Shape{192, 192, 7, 1}));
  EXPECT_EQ(by_name.at("Mixed_7c.branch_pool.conv.weight"), (Shape{192, 2048, 1, 1}));
  EXPECT_EQ(by_name.at("Mixed_7c.branch3x3dbl_3b.bn.running_var"), (Shape{384}));
}

// The whole network (batch-norm folding, every block's branches, pools and concatenation order, the resize to 299)
// against pytorch-fid's module with the same formula weights, through a weights file like tools/fid_weights.py's.
TEST(FidInception, MatchesThePytorchFidGolden) {
  const std::string path = write_formula_weights("golden");
  const models::FidInception net = models::FidInception::load(path);
  fs::remove(path);

  const auto start = std::chrono::steady_clock::now();
  const Tensor f = net.features(golden_images());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("Inception-v3 forward on the CPU: %.2f s per image (batch of 2)\n", seconds / 2);
  ASSERT_EQ(f.shape(), (Shape{2, 2048}));

  const std::vector<float> want =
      load_checkpoint(std::string(LAYERSEG_SOURCE_DIR) + "/tests/golden/fid_inception_features.safetensors")
          .tensors.at("features")
          .to_vector();
  const std::vector<float> got = f.to_vector();
  // Features are ~0.04 ± 0.06 (max 0.34). Float32 sums in another order over ~20 layers differ by up to 6e-5 here;
  // averaging with the padding in FIDInceptionA/C/E_1 (the one change from torchvision's blocks) differs by 0.025,
  // and the two images' features differ by up to ~0.02 (checked below), so a wiring slip shows.
  const float tol = 3e-4f;
  float max_err = 0;
  float swapped_err = 0;  // the largest difference from the other image's golden features
  for (size_t i = 0; i < got.size(); ++i) {
    max_err = std::max(max_err, std::fabs(got[i] - want[i]));
    swapped_err = std::max(swapped_err, std::fabs(got[i] - want[(i + 2048) % got.size()]));
  }
  std::printf("largest difference from the pytorch-fid golden: %.3g (to the other image's: %.3g)\n", double(max_err),
              double(swapped_err));
  EXPECT_LT(max_err, tol);
  EXPECT_GT(swapped_err, 10 * tol) << "the golden's two images must be told apart";
}

// The CUDA backend (cuDNN convolutions with separate pads, the pooling twins) against the CPU on the whole network;
// FP32 math, so the tolerance of the golden comparison. Skips without a GPU.
TEST(FidInception, CudaFeaturesMatchTheCpu) {
  LS_REQUIRE_CUDA();
  const std::map<std::string, Tensor> state = formula_state();
  const Tensor images = golden_images();
  const std::vector<float> cpu = models::FidInception(state, "formula").features(images).to_vector();
  const Tensor on_gpu = models::FidInception(state, "formula", Device::CUDA).features(images.to(Device::CUDA));
  ASSERT_EQ(on_gpu.device(), Device::CUDA);
  expect_all_near(on_gpu.to_vector(), cpu, 3e-4f, "CUDA vs CPU features");
}

TEST(FidInception, WrongWeightsAndMissingFilesSayWhatToDo) {
  std::map<std::string, Tensor> state = formula_state();
  state.erase("Mixed_6c.branch7x7_1.bn.running_mean");
  state["Conv2d_2a_3x3.conv.weight"] = Tensor::zeros({32, 32, 1, 1});
  std::string e = test::error_message([&] { models::FidInception(state, "w.safetensors"); });
  EXPECT_NE(e.find("w.safetensors: not the pytorch-fid Inception-v3 weights (2 of 470 tensors wrong)"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("Mixed_6c.branch7x7_1.bn.running_mean is missing (expected [160])"), std::string::npos) << e;
  EXPECT_NE(e.find("Conv2d_2a_3x3.conv.weight is [32, 32, 1, 1], expected [32, 32, 3, 3]"), std::string::npos) << e;
  EXPECT_NE(e.find("tools/fid_weights.py"), std::string::npos) << e;

  e = test::error_message([] { models::FidInception::load("/nonexistent/pt_inception.safetensors"); });
  EXPECT_NE(e.find("/nonexistent/pt_inception.safetensors does not exist"), std::string::npos) << e;
  EXPECT_NE(e.find("FID needs the pytorch-fid Inception-v3 weights"), std::string::npos) << e;
  EXPECT_NE(e.find("pt_inception-2015-12-05-6726825d.pth"), std::string::npos) << e;
  EXPECT_NE(e.find("tools/fid_weights.py"), std::string::npos) << e;
}

// ---- the command ----------------------------------------------------------------------------------------------

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// A tiny trained run (16 real 16×16 shapes), then `layerseg fid` on it with the formula weights: the JSON line and
// RUN_DIR/fid.json agree and hold finite distances; without --weights the command says what FID needs.
TEST(FidCommand, WritesFidJsonForARunAndExplainsMissingWeights) {
  const std::string dir = (fs::temp_directory_path() / fmt::format("layerseg_fid_run_{}", getpid())).string();
  fs::remove_all(dir);
  const models::Config cfg = models::load_config(
      std::string(LAYERSEG_SOURCE_DIR) + "/configs/tiny_test.toml",
      {"data.shapes_n=16", "data.eval_n=8", "train.rounds=1", "train.gan_steps=1", "train.seg_steps=1"});
  models::TrainOptions o;
  o.run_dir = dir, o.progress = false;
  ASSERT_TRUE(models::Trainer(cfg, o).run().finished);
  const std::string weights = write_formula_weights("cli"), bin = LAYERSEG_BINARY, out = dir + "_stdout.txt";
  const std::string err = dir + "_stderr.txt";
  ASSERT_EQ(
      std::system(
          (bin + " fid --run " + dir + " --weights " + weights + " --n 4 --batch 3 > " + out + " 2> " + err).c_str()),
      0)
      << read_text(err);
  const nlohmann::json printed = nlohmann::json::parse(read_text(out));
  const nlohmann::json written = nlohmann::json::parse(read_text(dir + "/fid.json"));
  EXPECT_EQ(printed, written);
  EXPECT_EQ(written["n_real"], 16);
  EXPECT_EQ(written["n_generated"], 4);
  EXPECT_EQ(written["size"], 16);
  EXPECT_EQ(written["generator"], "g_ema");
  for (const char* key : {"fid", "bg_fid"})
    EXPECT_TRUE(std::isfinite(written[key].get<double>()) && written[key].get<double>() > 0.0) << written.dump();
  EXPECT_NE(read_text(err).find("fid: generated 4/4"), std::string::npos) << read_text(err);

  EXPECT_NE(std::system((bin + " fid --run " + dir + " 2> " + err).c_str()), 0);
  EXPECT_NE(read_text(err).find("--weights is required. FID needs the pytorch-fid Inception-v3 weights"),
            std::string::npos)
      << read_text(err);
  fs::remove(weights), fs::remove(out), fs::remove(err);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ls
