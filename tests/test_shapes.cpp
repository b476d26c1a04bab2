// tests/test_shapes.cpp — the procedural shapes dataset: determinism, masks exactly covering the drawn object,
// label balance, object sizes, the baseline bars (centred ellipse and mean-mask prior must score IoU <= 0.5), and
// `layerseg data shapes` writing the same data as the in-memory generator.
// Run: build/layerseg_tests --gtest_filter='Shapes*'
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "data/dataset.h"
#include "data/evaluate.h"
#include "data/shapes.h"
#include "tests/test_data_util.h"

using namespace ls::data;

namespace {
ShapesOptions shapes(int64_t n, int size, uint64_t seed, int kinds = kMaxShapeKinds) {
  ShapesOptions o;
  o.n = n;
  o.size = size;
  o.seed = seed;
  o.kinds = kinds;
  return o;
}
}  // namespace

TEST(ShapesGenerator, DeterministicPerSeedAndIndex) {
  const ShapeSample a = make_shape_sample(shapes(1, 32, 5), 17), b = make_shape_sample(shapes(1, 32, 5), 17);
  EXPECT_EQ(a.image.px, b.image.px);
  EXPECT_EQ(a.mask.px, b.mask.px);
  EXPECT_NE(a.image.px, make_shape_sample(shapes(1, 32, 6), 17).image.px);
  EXPECT_NE(a.image.px, make_shape_sample(shapes(1, 32, 5), 18).image.px);
  // The in-memory dataset holds the same samples (quantized to 8 bits like a PNG).
  const Dataset ds = make_shapes(shapes(20, 32, 5));
  const Image img = ds.image(17);
  for (size_t i = 0; i < img.px.size(); ++i) ASSERT_NEAR(img.px[i], a.image.px[i], 1.f / 255.f + 1e-6f);
  EXPECT_EQ(ds.mask(17).px, a.mask.px);
  EXPECT_EQ(ds.label(17), a.kind);
}

TEST(ShapesGenerator, MaskExactlyCoversTheObject) {
  for (int size : {32, 64}) {
    double visible = 0, fg_pixels = 0;
    for (int64_t i = 0; i < 160; ++i) {
      const ShapeSample s = make_shape_sample(shapes(1, size, 11), i);
      int n_fg = 0;
      for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
          const float m = s.mask.at(y, x);
          ASSERT_TRUE(m == 0.f || m == 1.f);
          const Image& layer = m == 1.f ? s.foreground : s.background;
          float differs = 0;
          for (int c = 0; c < 3; ++c) {
            ASSERT_EQ(s.image.at(y, x, c), layer.at(y, x, c)) << "sample " << i << " pixel " << y << "," << x;
            differs = std::max(differs, std::abs(s.foreground.at(y, x, c) - s.background.at(y, x, c)));
          }
          if (m == 1.f) {
            n_fg += 1;
            visible += differs > 0.03f;
            // The object lies wholly inside the image: its mask never touches the border.
            ASSERT_TRUE(y > 0 && x > 0 && y < size - 1 && x < size - 1) << "sample " << i;
          }
        }
      ASSERT_GT(n_fg, 0) << "sample " << i;
      fg_pixels += n_fg;
    }
    // Under the mask the object really is drawn (it differs from what the background would show).
    EXPECT_GT(visible / fg_pixels, 0.9) << "size " << size;
  }
}

TEST(ShapesGenerator, LabelsBalancedAndNamed) {
  for (int kinds : {6, 8}) {
    const Dataset ds = make_shapes(shapes(kinds * 25, 16, 2, kinds));
    ASSERT_EQ(ds.num_classes(), kinds);
    std::vector<int> count(size_t(kinds), 0);
    for (int64_t i = 0; i < ds.count(); ++i) count.at(size_t(ds.label(i)))++;
    for (int k = 0; k < kinds; ++k) EXPECT_EQ(count[size_t(k)], 25) << "kind " << ds.class_names()[size_t(k)];
  }
  EXPECT_STREQ(shape_kind_name(0), "ellipse");
  EXPECT_THROW(make_shapes(shapes(4, 16, 1, 9)), ls::Error);
}

TEST(ShapesGenerator, ObjectSizesVaryAroundTargetCoverage) {
  const Dataset ds = make_shapes(shapes(400, 32, 3));
  double sum = 0, lo = 1, hi = 0;
  for (int64_t i = 0; i < ds.count(); ++i) {
    double c = 0;
    for (float v : ds.mask(i).px) c += v;
    c /= 32.0 * 32.0;
    sum += c, lo = std::min(lo, c), hi = std::max(hi, c);
  }
  EXPECT_GT(sum / 400, 0.10);
  EXPECT_LT(sum / 400, 0.30);
  EXPECT_GT(lo, 0.03);
  EXPECT_LT(hi, 0.40);
  EXPECT_GT(hi - lo, 0.08);  // sizes really vary
}

TEST(ShapesBaselines, CentredPriorsScoreAtMostHalfIoU) {
  for (int size : {32, 64}) {
    const Dataset test = make_shapes(shapes(600, size, 101));
    const Dataset train = make_shapes(shapes(600, size, 202));
    std::vector<Image> masks;
    for (int64_t i = 0; i < train.count(); ++i) masks.push_back(train.mask(i));
    const double ellipse = evaluate(test, constant_predictor(ellipse_prior(size))).iou;
    const double mean_mask = evaluate(test, constant_predictor(mean_mask_prior(masks, 0.4f))).iou;
    EXPECT_LE(ellipse, 0.5) << "size " << size;
    EXPECT_LE(mean_mask, 0.5) << "size " << size;
    // Each bar is a real predictor, not an empty mask that trivially fails.
    EXPECT_GT(ellipse, 0.1);
    EXPECT_GT(mean_mask, 0.1);
  }
}

TEST(ShapesCommand, WritesTheSameDataAsTheGenerator) {
  ls::test::TempDir tmp;
  const std::string out = tmp.file("shapes");
  const std::string cmd = std::string(LAYERSEG_BINARY) + " data shapes --n 24 --size 32 --seed 9 --kinds 6 --out " +
                          out + " --grid " + tmp.file("grid.png") + " > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  DatasetOptions opt;
  opt.size = 32;
  opt.masks = MaskPolicy::kRequired;
  const Dataset written = load_dataset(out, opt);
  const Dataset memory = make_shapes(shapes(24, 32, 9, 6));
  ASSERT_EQ(written.count(), 24);
  for (int64_t i = 0; i < 24; ++i) {
    EXPECT_EQ(written.name(i), memory.name(i));
    EXPECT_EQ(written.label(i), memory.label(i));
    EXPECT_EQ(written.image(i).px, memory.image(i).px);
    EXPECT_EQ(written.mask(i).px, memory.mask(i).px);
  }
  const Image grid = read_image(tmp.file("grid.png"));
  EXPECT_GT(grid.w, 32 * 12);
}
