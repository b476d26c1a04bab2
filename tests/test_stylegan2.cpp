// tests/test_stylegan2.cpp — the `stylegan2` family (models/stylegan2.h): the shapes of its blocks' outputs (the
// networks' are Models.ShapesOfBothFamiliesAtBothResolutions), the
// mapping network's normalisation and conditioning, noise as a function of z (and of each row alone, as data-parallel
// ranks need), the equalised learning rate's init, and a tiny stylegan2 run resuming bit-exactly.
//   build/layerseg_tests --gtest_filter='StyleGan2*'
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/checkpoint.h"
#include "core/ops.h"
#include "models/config.h"
#include "models/losses.h"
#include "models/run.h"
#include "models/stylegan2.h"
#include "models/trainer.h"

namespace ls::models {
namespace {

ModelConfig small_sg2() {
  ModelConfig m;
  m.arch = "stylegan2";
  m.z_dim = 8, m.c_dim = 3, m.w_dim = 16, m.mapping_layers = 2, m.channel_base = 128, m.channel_max = 16;
  m.e_pi_width = 4;
  return m;
}

TEST(StyleGan2, ChannelsFollowBaseAndMax) {
  const ModelConfig m = small_sg2();
  EXPECT_EQ(stylegan2_channels(m, 4), 16);
  EXPECT_EQ(stylegan2_channels(m, 16), 8);
  EXPECT_EQ(stylegan2_channels(m, 64), 2);
}

TEST(StyleGan2, SynthesisBlocksDoubleTheResolution) {
  Rng rng(2);
  const ModelConfig m = small_sg2();
  ModulatedConv2d up(16, 8, 3, m.w_dim, true, true, rng), rgb(8, 3, 1, m.w_dim, false, false, rng);
  const Tensor x = Tensor::normal({2, 16, 4, 4}, rng), w = Tensor::normal({2, m.w_dim}, rng);
  const Tensor y = up.forward(x, w, Tensor::normal({2, 1, 8, 8}, rng));
  EXPECT_EQ(y.shape(), (Shape{2, 8, 8, 8}));
  EXPECT_EQ(rgb.forward(y, w, Tensor()).shape(), (Shape{2, 3, 8, 8}));
  EqualizedConv2d down3(8, 4, 3, rng, true, true, true), down1(8, 4, 1, rng, false, false, true);
  EXPECT_EQ(down3.forward(y).shape(), (Shape{2, 4, 4, 4}));
  EXPECT_EQ(down1.forward(y).shape(), (Shape{2, 4, 4, 4}));
}

// z is normalised by its second moment, so scaling it does not change w; c (through its normalised embedding) does.
TEST(StyleGan2, MappingNormalisesZAndListensToC) {
  Rng rng(3);
  const ModelConfig m = small_sg2();
  MappingNetwork map(m.z_dim, m.c_dim, m, rng);
  const Tensor z = Tensor::normal({5, m.z_dim}, rng);
  const Code c = sample_code(rng, 5, m, Device::CPU);
  const std::vector<float> w = map.forward(z, c.input).to_vector(), w10 = map.forward(z * 10.f, c.input).to_vector();
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(w10[i], w[i], 1e-4f * (1 + std::fabs(w[i])));
  Code other = c;
  std::vector<float> onehot(size_t(5 * m.c_dim), 0.f);
  for (int i = 0; i < 5; ++i) onehot[size_t(i * m.c_dim + (i + 1) % m.c_dim)] = 1.f;
  other.input = Tensor::from_vector({5, m.c_dim}, onehot);
  const std::vector<float> wc = map.forward(z, other.input).to_vector();
  double moved = 0;
  for (size_t i = 0; i < w.size(); ++i) moved += std::fabs(wc[i] - w[i]);
  EXPECT_GT(moved / double(w.size()), 1e-3) << "a different c must give a different w";
  // The equalised learning rate's output statistics: w's entries are O(1) at initialisation, neither vanishing nor
  // exploding through the layers (a wrong weight gain moves them by its power of the depth).
  double ss = 0;
  for (float v : w) ss += double(v) * v;
  const double rms = std::sqrt(ss / double(w.size()));
  EXPECT_GT(rms, 0.1);
  EXPECT_LT(rms, 10.0);
}

// Noise is a function of each sample's z: the same z draws the same image, a batch's rows are generated as if alone
// (what a data-parallel rank computes), and different z differ.
TEST(StyleGan2, ImagesAreAFunctionOfEachRowsLatents) {
  Rng rng(4);
  const ModelConfig m = small_sg2();
  auto g = make_generator(m, 16, rng);
  const Tensor z = Tensor::normal({4, m.z_dim}, rng);
  const Tensor c = sample_code(rng, 4, m, Device::CPU).input;
  const std::vector<float> all = g->generate(z, c).x_f.to_vector(), again = g->generate(z, c).x_f.to_vector();
  EXPECT_EQ(all, again);
  const std::vector<float> tail = g->generate(slice(z, 0, 2, 4), slice(c, 0, 2, 4)).x_f.to_vector();
  const size_t half = all.size() / 2;
  for (size_t i = 0; i < tail.size(); ++i) ASSERT_NEAR(tail[i], all[half + i], 1e-5f) << i;
  double diff = 0;
  for (size_t i = 0; i < half; ++i) diff += std::fabs(all[i] - all[half + i]);
  EXPECT_GT(diff / double(half), 1e-3);
}

// 2 rounds of the tiny schedule with model.arch = "stylegan2", stopped in round 1's U-Net phase and resumed: every
// logged value and the final checkpoint are identical to a run straight through.
TEST(StyleGan2, ATinyRunResumesBitExactly) {
  namespace fs = std::filesystem;
  const Config cfg = load_config(std::string(LAYERSEG_SOURCE_DIR) + "/configs/tiny_test.toml",
                                 {"model.arch=stylegan2", "model.w_dim=16", "model.mapping_layers=2",
                                  "model.channel_base=128", "model.channel_max=16"});
  const std::string a = (fs::temp_directory_path() / fmt::format("layerseg_sg2_a_{}", getpid())).string();
  const std::string b = (fs::temp_directory_path() / fmt::format("layerseg_sg2_b_{}", getpid())).string();
  fs::remove_all(a), fs::remove_all(b);
  const auto train = [&](const std::string& dir, bool resume, int64_t stop) {
    TrainOptions o;
    o.run_dir = dir, o.resume = resume, o.stop_after = stop, o.progress = false;
    return Trainer(cfg, o).run();
  };
  ASSERT_TRUE(train(a, false, -1).finished);
  ASSERT_FALSE(train(b, false, 8).finished);
  ASSERT_TRUE(train(b, true, -1).finished);
  const Checkpoint ca = load_checkpoint(run_file(a, kCheckpointFile)),
                   cb = load_checkpoint(run_file(b, kCheckpointFile));
  ASSERT_EQ(ca.tensors.size(), cb.tensors.size());
  for (const auto& [name, t] : ca.tensors) EXPECT_EQ(t.to_vector(), cb.tensors.at(name).to_vector()) << name;
  std::ifstream la(run_file(a, kLogFile)), lb(run_file(b, kLogFile));
  std::string x, y;
  int lines = 0;
  while (std::getline(la, x)) {
    ASSERT_TRUE(bool(std::getline(lb, y)));
    auto jx = nlohmann::json::parse(x), jy = nlohmann::json::parse(y);
    for (const char* key : {"it_s", "picture"}) jx.erase(key), jy.erase(key);  // speed and the folder differ
    EXPECT_EQ(jx.dump(), jy.dump());
    ++lines;
  }
  EXPECT_GT(lines, 20);
  fs::remove_all(a), fs::remove_all(b);
}

}  // namespace
}  // namespace ls::models
