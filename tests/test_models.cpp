// tests/test_models.cpp — the networks and losses of models/: output shapes at 32 and 64, the initial mask coverage
// the config asks for, gradients through a frozen critic and a frozen U-Net, the code NLL for both prior kinds, and
// the U-Net's training pairs with the object layer rescaled, and the U-Net's input low-pass. Shapes cover both
// architecture families (lite and stylegan2).
//   build/layerseg_tests --gtest_filter='Models*'
#include <gtest/gtest.h>

#include <cmath>

#include "core/autograd.h"
#include "core/checkpoint.h"
#include "core/ops.h"
#include "models/gan.h"
#include "models/losses.h"
#include "models/run.h"
#include "models/unet.h"
#include "tests/error_message.h"
#include "tests/op_cases.h"

namespace ls::models {
namespace {

ModelConfig small_model() {
  ModelConfig m;
  m.z_dim = 8, m.c_dim = 3, m.embed_dim = 8, m.g_width = 32, m.d_width = 8, m.e_pi_width = 4, m.unet_width = 4;
  return m;
}

// The stylegan2 family at its smallest widths (models/stylegan2.h; more in tests/test_stylegan2.cpp).
ModelConfig small_stylegan2() {
  ModelConfig m = small_model();
  m.arch = "stylegan2", m.w_dim = 16, m.mapping_layers = 2, m.channel_base = 128, m.channel_max = 16;
  return m;
}

// Both families at two resolutions; a batch of 4, whose minibatch-stddev groups fit stylegan2's critic.
TEST(Models, ShapesOfBothFamiliesAtBothResolutions) {
  for (const ModelConfig& m : {small_model(), small_stylegan2()})
    for (int size : {32, 64}) {
      SCOPED_TRACE(m.arch + " at " + std::to_string(size));
      Rng rng(1);
      auto g = make_generator(m, size, rng);
      auto d = make_critic(m, size, rng);
      const int n = 4;
      const Layers l = g->generate(Tensor::normal({n, m.z_dim}, rng), sample_code(rng, n, m, Device::CPU).input);
      EXPECT_EQ(l.x_b.shape(), (Shape{n, 3, size, size}));
      EXPECT_EQ(l.x_f.shape(), (Shape{n, 3, size, size}));
      EXPECT_EQ(l.pi.shape(), (Shape{n, 1, size, size}));
      const CriticOutput o = d->discriminate(l.x_b);
      EXPECT_EQ(o.d_logit.shape(), (Shape{n, 1}));
      EXPECT_EQ(o.e_x.shape(), (Shape{n, m.c_dim}));
      EXPECT_EQ(d->encode_mask(l.pi).shape(), (Shape{n, m.c_dim}));
      UNet f(m.unet_width, size, rng);
      EXPECT_EQ(f.forward(l.x_b).shape(), (Shape{n, 1, size, size}));
    }
}

TEST(Models, MaskBiasSetsTheInitialCoverage) {
  for (float bias : {-2.f, 0.f}) {
    Rng rng(2);
    ModelConfig m = small_model();
    m.mask_bias = bias;
    auto g = make_generator(m, 32, rng);
    autograd::NoGradGuard no_grad;
    const Layers l = g->generate(Tensor::normal({16, m.z_dim}, rng), sample_code(rng, 16, m, Device::CPU).input);
    const float coverage = mean(l.pi).item();
    EXPECT_NEAR(coverage, 1.f / (1.f + std::exp(-bias)), 0.1f) << "bias " << bias;
  }
}

// Mean |difference| of horizontally and vertically adjacent pixels: how much fine detail an image batch holds.
double total_variation(const Tensor& x) {
  const std::vector<float> v = x.to_vector();
  const int64_t h = x.size(2), w = x.size(3), planes = x.size(0) * x.size(1);
  double tv = 0;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i + 1 < h; ++i)
      for (int64_t j = 0; j + 1 < w; ++j) {
        const float* a = v.data() + (p * h + i) * w + j;
        tv += std::abs(a[1] - a[0]) + std::abs(a[w] - a[0]);
      }
  return tv / double(planes * (h - 1) * (w - 1));
}

// model.unet_input_size: F reads its input low-passed to input_size, so a ±0.3 pixel checkerboard (zero mean over
// every 2×2 block) added to the images changes nothing at input_size = S/2, while the full-resolution F (same weights:
// the low-pass has none) responds to it. F's input gradient, which L_bg follows into G_b, is one value per 2×2 block.
TEST(Models, UNetInputSizeHidesDetailFinerThanIt) {
  const int n = 2, size = 32;
  Rng data_rng(4);
  const Tensor x = Tensor::uniform({n, 3, size, size}, data_rng, -0.6f, 0.6f);
  std::vector<float> board(size_t(x.numel()));
  for (size_t i = 0; i < board.size(); ++i) board[i] = ((i % size + i / size) % 2) ? 0.3f : -0.3f;
  const Tensor checkered = x + Tensor::from_vector(x.shape(), board);
  for (int input_size : {0, size / 2}) {
    Rng rng(5);
    UNet f(4, size, rng, input_size);
    const std::vector<float> a = f.forward(x).to_vector(), b = f.forward(checkered).to_vector();
    double max_diff = 0;
    for (size_t i = 0; i < a.size(); ++i) max_diff = std::max(max_diff, double(std::abs(a[i] - b[i])));
    if (input_size)
      EXPECT_LT(max_diff, 1e-4) << "rounding of the 2x2 means only";
    else
      EXPECT_GT(max_diff, 1e-2) << "the full-resolution U-Net should see the checkerboard";
  }
  Rng rng(5);
  UNet f(4, size, rng, size / 2);
  Tensor input = x.detach();
  input.set_requires_grad(true);
  mean(f.forward(input)).backward();
  const std::vector<float> g = input.grad().to_vector();
  double block_spread = 0, magnitude = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const size_t col = i % size, row = (i / size) % size, top_left = i - (row % 2) * size - col % 2;
    block_spread = std::max(block_spread, double(std::abs(g[i] - g[top_left])));
    magnitude = std::max(magnitude, double(std::abs(g[i])));
  }
  EXPECT_GT(magnitude, 1e-4);
  EXPECT_LT(block_spread, 1e-6 * magnitude + 1e-9);
  EXPECT_NE(test::error_message([&] { UNet(4, size, rng, 12); }).find("input size 12 must be 0 or a power of two"),
            std::string::npos);
}

// model.bg_size: G_b draws at 8x8 and is upsampled bilinearly to 32x32, so it holds one up block fewer per halving
// and its background carries far less pixel-to-pixel detail than a full-resolution G_b from the same seed.
TEST(Models, CoarseBackgroundIsUpsampledToTheImageSize) {
  const int n = 4, size = 32;
  double tv[2];
  for (int coarse : {0, 1}) {
    Rng rng(3);
    ModelConfig m = small_model();
    m.bg_size = coarse ? 8 : 0;
    auto g = make_generator(m, size, rng);
    size_t bg_up_blocks = 0;
    for (const auto& [name, t] : g->named_parameters())
      if (name.rfind("gb.up", 0) == 0 && name.find(".conv.weight") != std::string::npos) ++bg_up_blocks;
    EXPECT_EQ(bg_up_blocks, coarse ? 1u : 3u);
    autograd::NoGradGuard no_grad;
    const Layers l = g->generate(Tensor::normal({n, m.z_dim}, rng), sample_code(rng, n, m, Device::CPU).input);
    EXPECT_EQ(l.x_b.shape(), (Shape{n, 3, size, size}));
    tv[coarse] = total_variation(l.x_b);
  }
  EXPECT_LT(tv[1], 0.5 * tv[0]) << "full-resolution TV " << tv[0] << ", coarse TV " << tv[1];
}

// model.bg_detail_start: at α = 0 the generator draws exactly what the coarse generator with the same weights draws;
// α > 0 adds the detail branch, which then gets gradients, and raises the background's pixel-to-pixel variation.
TEST(Models, BackgroundDetailFadesInOverTheCoarseBackground) {
  const int n = 4, size = 32;
  Rng rng(test::fresh_seed());
  ModelConfig m = small_model();
  m.bg_size = 8;
  auto coarse = make_generator(m, size, rng);
  m.bg_detail_start = 1;
  auto detailed = make_generator(m, size, rng);
  NamedTensors from = module_state(*detailed), to = module_state(*coarse);
  size_t copied = 0;
  for (auto& [name, t] : to)
    for (const auto& [src_name, src] : from)
      if (src_name == name) t.copy_from(src), ++copied;
  ASSERT_EQ(copied, to.size());
  ASSERT_GT(from.size(), to.size()) << "the detail branch adds tensors";

  const Tensor z = Tensor::normal({n, m.z_dim}, rng), c = sample_code(rng, n, m, Device::CPU).input;
  const auto draw = [&](Generator& g, float alpha) {
    if (alpha >= 0) g.set_background_detail(alpha);
    g.zero_grad();
    const Layers l = g.generate(z, c);
    sum(l.x_b).backward();
    return l;
  };
  const Layers ref = draw(*coarse, -1), at0 = draw(*detailed, 0.f);
  EXPECT_EQ(at0.x_b.to_vector(), ref.x_b.to_vector());
  EXPECT_EQ(at0.pi.to_vector(), ref.pi.to_vector());
  const auto detail_grad = [&] {
    double g = 0;
    for (const auto& [name, p] : detailed->named_parameters())
      if (name.rfind("gb_detail.", 0) == 0 && p.grad().defined())
        for (float v : p.grad().to_vector()) g += std::abs(v);
    return g;
  };
  EXPECT_EQ(detail_grad(), 0.0) << "at α = 0 the detail branch is not used";
  const Layers at1 = draw(*detailed, 1.f);
  EXPECT_GT(detail_grad(), 0.0);
  EXPECT_GT(total_variation(at1.x_b), 1.5 * total_variation(at0.x_b));
  EXPECT_NE(test::error_message([&] { coarse->set_background_detail(0.5f); }).find("model.bg_detail_start"),
            std::string::npos);
  EXPECT_NE(test::error_message([&] { detailed->set_background_detail(1.5f); }).find("outside [0, 1]"),
            std::string::npos);
}

TEST(Models, FrozenCriticAndUNetPassGradientsToTheGenerator) {
  Rng rng(3);
  const ModelConfig m = small_model();
  auto g = make_generator(m, 32, rng);
  auto d = make_critic(m, 32, rng);
  UNet f(m.unet_width, 32, rng);
  d->set_requires_grad(false);
  f.set_requires_grad(false);
  f.train(false);
  const Code c = sample_code(rng, 4, m, Device::CPU);
  const Layers l = g->generate(Tensor::normal({4, m.z_dim}, rng), c.input);
  const Tensor loss = hinge_g_loss(d->discriminate(l.x_f).d_logit) + code_nll(d->encode_mask(l.pi), c) +
                      background_loss(f.forward(l.x_b));
  loss.backward();
  for (const auto& [name, p] : g->named_parameters()) EXPECT_TRUE(p.grad().defined()) << "generator " << name;
  for (const auto& [name, p] : d->named_parameters()) EXPECT_FALSE(p.grad().defined()) << "critic " << name;
  for (const auto& [name, p] : f.named_parameters()) EXPECT_FALSE(p.grad().defined()) << "unet " << name;
}

TEST(Models, CodeSamplingAndNll) {
  Rng rng(4);
  ModelConfig m = small_model();
  const Code cat = sample_code(rng, 5, m, Device::CPU);
  const std::vector<float> onehot = cat.input.to_vector(), labels = cat.labels.to_vector();
  for (int i = 0; i < 5; ++i)
    for (int k = 0; k < m.c_dim; ++k)
      EXPECT_EQ(onehot[size_t(i * m.c_dim + k)], k == int(labels[size_t(i)]) ? 1.f : 0.f);
  // Logits that put all mass on the sampled class: NLL near 0.
  EXPECT_LT(code_nll(cat.input * 50.f, cat).item(), 1e-6f);

  m.c_kind = "normal";
  const Code nor = sample_code(rng, 5, m, Device::CPU);
  EXPECT_FALSE(nor.labels.defined());
  const std::vector<float> c = nor.input.to_vector();
  double expected = 0;
  for (float v : c) expected += 0.5 * v * v;
  EXPECT_NEAR(code_nll(Tensor::zeros({5, m.c_dim}), nor).item(), expected / 5, 1e-4);
}

TEST(Models, BackgroundLossIsMinusLogOneMinusF) {
  const Tensor logits = Tensor::from_vector({1, 1, 1, 2}, {0.f, 2.f});
  const double expected = 0.5 * (std::log(2.0) + std::log(1.0 + std::exp(2.0)));  // −log(1 − σ(x)) = softplus(x)
  EXPECT_NEAR(background_loss(logits).item(), expected, 1e-5);
}

// One object size in, many out: a disc of coverage ~0.2 on every sample, rescaled by 2^(U[−1,1]·0.6), must cover
// between 0.44 and 2.3 times as much (bilinear edges give a little slack) and reach near both ends over 64 samples;
// where the moved mask is exactly 0 the image is x_b untouched. With scale 0 the pair is the plain composite.
TEST(Models, SegmentationPairRescalesTheObjectLayer) {
  const int n = 64, size = 32, radius = 8;
  Rng rng(7);
  Synthetic s;
  s.layers.x_b = Tensor::uniform({n, 3, size, size}, rng, -1, 1);
  s.layers.x_f = Tensor::uniform({n, 3, size, size}, rng, -1, 1);
  std::vector<float> disc(size_t(n) * size * size);
  for (size_t i = 0; i < disc.size(); ++i) {
    const float y = float(i / size % size) - (size - 1) / 2.f, x = float(i % size) - (size - 1) / 2.f;
    disc[i] = x * x + y * y <= radius * radius ? 1.f : 0.f;
  }
  s.layers.pi = Tensor::from_vector({n, 1, size, size}, disc);
  s.image = s.layers.x_b + s.layers.pi * (s.layers.x_f - s.layers.x_b);
  PerturbConfig p;
  p.translate = 0, p.rotate_deg = 0;  // scale alone, so the disc never leaves the image

  const Composite plain = segmentation_pair(s, p, 0.f, rng, Device::CPU);
  EXPECT_EQ(plain.image.to_vector(), s.image.to_vector());
  EXPECT_EQ(plain.mask.to_vector(), disc);

  const Composite moved = segmentation_pair(s, p, 0.6f, rng, Device::CPU);
  const std::vector<float> m = moved.mask.to_vector(), img = moved.image.to_vector(), x_b = s.layers.x_b.to_vector();
  const auto coverage = [&](const std::vector<float>& v, int i) {
    double sum = 0;
    for (int k = 0; k < size * size; ++k) sum += v[size_t(i) * size * size + size_t(k)];
    return sum;
  };
  double lo = 1e9, hi = 0;
  for (int i = 0; i < n; ++i) {
    const double ratio = coverage(m, i) / coverage(disc, i);
    EXPECT_GT(ratio, 0.40) << "sample " << i;
    EXPECT_LT(ratio, 2.45) << "sample " << i;
    lo = std::min(lo, ratio), hi = std::max(hi, ratio);
  }
  EXPECT_LT(lo, 0.6);
  EXPECT_GT(hi, 1.7);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < size * size; ++k) {
        const size_t at = (size_t(i) * 3 + size_t(c)) * size * size + size_t(k);
        if (m[size_t(i) * size * size + size_t(k)] == 0.f) {
          ASSERT_EQ(img[at], x_b[at]);
        }
      }
}

}  // namespace
}  // namespace ls::models
