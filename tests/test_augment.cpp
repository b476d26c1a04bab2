// tests/test_augment.cpp — the augmentations of models/augment.h: translation is an exact whole-pixel shift with
// zeros shifted in, cutout zeroes one clipped S/2 square, colour is the identity at zero-width ranges, the policy
// parser's errors, and the gradient of the whole DiffAugment chain against finite differences.
//   build/layerseg_tests --gtest_filter='Augment*'
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/error.h"
#include "models/augment.h"
#include "tests/error_message.h"
#include "tests/gradcheck.h"

namespace ls::models {
namespace {

// Pixel (c, y, x) of image i in an [N,C,S,S] buffer.
float at(const std::vector<float>& v, int64_t c_n, int64_t s, int64_t i, int64_t c, int64_t y, int64_t x) {
  return v[size_t(((i * c_n + c) * s + y) * s + x)];
}

TEST(Augment, TranslationIsAWholePixelShiftWithZerosEntering) {
  const uint64_t seed = test::fresh_seed();
  Rng rng(seed);
  const int64_t n = 24, c = 3, s = 19;                             // odd size: S/8 rounds down to 2
  const Tensor x = Tensor::uniform({n, c, s, s}, rng, 0.1f, 1.f);  // no zeros, so a zero can only be shifted in
  const std::vector<float> in = x.to_vector();
  const std::vector<float> out = diff_augment(x, DiffAugmentPolicy{.translation = true}, rng).to_vector();
  int moved = 0;
  for (int64_t i = 0; i < n; ++i) {
    int matches = 0, found_dx = 0, found_dy = 0;
    for (int dy = -2; dy <= 2; ++dy)
      for (int dx = -2; dx <= 2; ++dx) {
        bool same = true;
        for (int64_t ch = 0; ch < c && same; ++ch)
          for (int64_t y = 0; y < s && same; ++y)
            for (int64_t xx = 0; xx < s && same; ++xx) {
              const int64_t sy = y - dy, sx = xx - dx;
              const bool inside = sy >= 0 && sy < s && sx >= 0 && sx < s;
              // Normalised coordinates on a 19-pixel grid round in float: bilinear weights within ~1e-6 of 0/1.
              same = std::abs(at(out, c, s, i, ch, y, xx) - (inside ? at(in, c, s, i, ch, sy, sx) : 0.f)) < 1e-5f;
            }
        if (same) ++matches, found_dx = dx, found_dy = dy;
      }
    ASSERT_EQ(matches, 1) << "image " << i << " is not one whole-pixel shift within ±2; seed " << seed;
    moved += found_dx != 0 || found_dy != 0;
  }
  EXPECT_GT(moved, n / 2) << "24 uniform shifts in [−2, 2]², almost all of them nonzero; seed " << seed;
}

TEST(Augment, CutoutZeroesOneClippedHalfSizeSquare) {
  const uint64_t seed = test::fresh_seed();
  Rng rng(seed);
  const int64_t n = 32, c = 2, s = 16;
  const Tensor x = Tensor::uniform({n, c, s, s}, rng, 0.1f, 1.f);
  const std::vector<float> in = x.to_vector();
  const std::vector<float> out = diff_augment(x, DiffAugmentPolicy{.cutout = true}, rng).to_vector();
  int clipped = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t y0 = s, y1 = -1, x0 = s, x1 = -1, zeros = 0;
    for (int64_t y = 0; y < s; ++y)
      for (int64_t xx = 0; xx < s; ++xx) {
        const float o = at(out, c, s, i, 0, y, xx);
        for (int64_t ch = 0; ch < c; ++ch)
          ASSERT_EQ(at(out, c, s, i, ch, y, xx), o == 0.f ? 0.f : at(in, c, s, i, ch, y, xx))
              << "channels disagree or a kept pixel changed; seed " << seed;
        if (o == 0.f) ++zeros, y0 = std::min(y0, y), y1 = std::max(y1, y), x0 = std::min(x0, xx), x1 = std::max(x1, xx);
      }
    ASSERT_GT(zeros, 0) << "image " << i << "; seed " << seed;
    const int64_t h = y1 - y0 + 1, w = x1 - x0 + 1;
    EXPECT_EQ(zeros, h * w) << "the zeros are not one rectangle; seed " << seed;
    EXPECT_LE(h, s / 2);
    EXPECT_LE(w, s / 2);
    clipped += h < s / 2 || w < s / 2;
  }
  EXPECT_GT(clipped, 0) << "centres near the border must clip some squares; seed " << seed;
  EXPECT_LT(clipped, n) << "most squares fit; seed " << seed;
}

TEST(Augment, ColourWithZeroWidthRangesIsTheIdentity) {
  Rng rng(test::fresh_seed());
  const Tensor x = Tensor::uniform({3, 3, 5, 5}, rng, -1.f, 1.f);
  const std::vector<float> in = x.to_vector(), out = colour_augment(x, rng, {0.f, 1.f, 1.f, 1.f, 1.f}).to_vector();
  for (size_t k = 0; k < in.size(); ++k) EXPECT_NEAR(out[k], in[k], 1e-6f) << k;
  // And the DiffAugment ranges do change the images.
  const std::vector<float> moved = colour_augment(x, rng, kDiffAugmentColour).to_vector();
  double diff = 0;
  for (size_t k = 0; k < in.size(); ++k) diff += std::abs(moved[k] - in[k]);
  EXPECT_GT(diff / double(in.size()), 0.05);
}

TEST(Augment, WholeChainGradientMatchesFiniteDifferences) {
  // The draws are fixed by re-seeding inside `run`, so the chain is one fixed differentiable function of x.
  const uint64_t draws = test::fresh_seed();
  test::OpCase c;
  c.name = "diff_augment/colour_translation_cutout";
  c.input_shapes = {{3, 3, 9, 9}};
  c.run = [draws](const TensorList& in) -> TensorList {
    Rng rng(draws);
    return {diff_augment(in[0], parse_diff_augment("colour,translation,cutout", "test"), rng)};
  };
  Rng rng(draws + 1);
  const test::GradCheckResult r = test::gradcheck(c, test::make_case_inputs(c, rng), draws + 2, 200);
  EXPECT_TRUE(r.ok) << "seed " << draws << ": " << r.first_failures;
  EXPECT_GT(r.checked, 100);
}

TEST(Augment, PolicyErrorsNameTheKeyAndTheChoices) {
  const DiffAugmentPolicy all = parse_diff_augment("colour,translation,cutout", "k");
  EXPECT_TRUE(all.colour && all.translation && all.cutout);
  EXPECT_FALSE(parse_diff_augment("none", "k").any());
  const DiffAugmentPolicy one = parse_diff_augment("cutout", "k");
  EXPECT_TRUE(one.cutout && !one.colour && !one.translation);
  for (const char* bad : {"blur", "colour,colour", "", "colour,", "Colour"}) {
    const std::string m = test::error_message([&] { parse_diff_augment(bad, "train.d_augment"); });
    EXPECT_NE(m.find("train.d_augment"), std::string::npos) << bad << ": " << m;
    EXPECT_NE(m.find("colour, translation, cutout"), std::string::npos) << bad << ": " << m;
  }
}

}  // namespace
}  // namespace ls::models
