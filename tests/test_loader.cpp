// tests/test_loader.cpp — folder datasets through the loader: PNG/JPEG round trip, flips applied to image and mask
// together, determinism for a seed, epochs covering every sample once.
// Run: build/layerseg_tests --gtest_filter='Loader*'
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>

#include "data/dataset.h"
#include "data/image.h"
#include "data/loader.h"
#include "tests/test_data_util.h"

using namespace ls::data;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<const Dataset> load(const fs::path& root, int s) {
  DatasetOptions opt;
  opt.size = s;
  opt.masks = MaskPolicy::kRequired;
  return std::make_shared<Dataset>(load_folder(root.string(), opt));
}

}  // namespace

TEST(LoaderFolder, PngRoundTripThroughBatches) {
  ls::test::DatasetDir tmp;
  ls::test::write_folder_dataset(tmp.path, 5, 8);
  const auto ds = load(tmp.path, 8);
  ASSERT_EQ(ds->count(), 5);
  ASSERT_TRUE(ds->has_masks());
  ASSERT_TRUE(ds->has_labels());
  LoaderOptions opt;
  opt.batch_size = 5;
  opt.shuffle = false;
  Loader loader(ds, opt);
  const Batch b = loader.next();
  ASSERT_EQ(b.images.shape(), (ls::Shape{5, 3, 8, 8}));
  ASSERT_EQ(b.masks.shape(), (ls::Shape{5, 1, 8, 8}));
  for (int k = 0; k < 5; ++k) {
    Image img, mask;
    ls::test::make_sample(k, 8, img, mask);
    EXPECT_EQ(ds->name(k), "s" + std::to_string(100 + k));
    EXPECT_EQ(b.labels[size_t(k)], k % 3);
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x) {
        EXPECT_FLOAT_EQ(b.masks.data()[(k * 8 + y) * 8 + x], mask.at(y, x));
        for (int c = 0; c < 3; ++c) EXPECT_NEAR(b.images.data()[((k * 3 + c) * 8 + y) * 8 + x], img.at(y, x, c), 1e-5f);
      }
  }
}

TEST(LoaderFolder, JpegRoundTripAndResize) {
  ls::test::DatasetDir tmp;
  ls::test::write_folder_dataset(tmp.path, 3, 16, ".jpg");
  const auto ds = load(tmp.path, 16);
  for (int k = 0; k < 3; ++k) {
    Image img, mask;
    ls::test::make_sample(k, 16, img, mask);
    const Image got = ds->image(k);
    double err = 0;
    for (size_t i = 0; i < img.px.size(); ++i) err += std::abs(img.px[i] - got.px[i]);
    EXPECT_LT(err / double(img.px.size()), 0.05) << "mean JPEG error of sample " << k;
    EXPECT_EQ(ds->mask(k).px, mask.px);  // masks are PNG: exact
  }
  const auto small = load(tmp.path, 8);  // 16 -> 8: bilinear, masks thresholded back to {0, 1}
  for (float v : small->mask(2).px) EXPECT_TRUE(v == 0.f || v == 1.f);
  EXPECT_EQ(small->size(), 8);
}

TEST(LoaderFlip, AppliedToImageAndMaskTogether) {
  ls::test::DatasetDir tmp;
  ls::test::write_folder_dataset(tmp.path, 12, 8);
  const auto ds = load(tmp.path, 8);
  LoaderOptions opt;
  opt.batch_size = 12;
  opt.flip = true;
  opt.seed = 7;
  Loader loader(ds, opt);
  int n_flipped = 0;
  for (int round = 0; round < 3; ++round) {
    const Batch b = loader.next();
    for (int k = 0; k < 12; ++k) {
      const Image mask = ds->mask(b.indices[size_t(k)]);
      n_flipped += b.flipped[size_t(k)];
      for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x) {
          const int sx = b.flipped[size_t(k)] ? 7 - x : x;
          const float m = b.masks.data()[(k * 8 + y) * 8 + x];
          EXPECT_EQ(m, mask.at(y, sx));
          // The red bar is the mask: image and mask must have moved together.
          const float red = b.images.data()[((k * 3 + 0) * 8 + y) * 8 + x];
          const float green = b.images.data()[((k * 3 + 1) * 8 + y) * 8 + x];
          EXPECT_EQ(red > 0.99f && green < -0.99f, m == 1.f);
        }
    }
  }
  EXPECT_GT(n_flipped, 6);
  EXPECT_LT(n_flipped, 30);
}

TEST(LoaderDeterminism, SameSeedSameBatchesWithOrWithoutPrefetch) {
  ls::test::DatasetDir tmp;
  ls::test::write_folder_dataset(tmp.path, 10, 8);
  const auto ds = load(tmp.path, 8);
  auto run = [&](uint64_t seed, bool prefetch) {
    LoaderOptions opt;
    opt.batch_size = 4;
    opt.flip = true;
    opt.seed = seed;
    opt.prefetch = prefetch;
    Loader loader(ds, opt);
    std::vector<float> all;
    for (int k = 0; k < 7; ++k) {
      const Batch b = loader.next();
      const std::vector<float> v = b.images.to_vector();
      all.insert(all.end(), v.begin(), v.end());
      for (int64_t i : b.indices) all.push_back(float(i));
    }
    return all;
  };
  const auto a = run(3, true);
  EXPECT_EQ(a, run(3, true));
  EXPECT_EQ(a, run(3, false));
  EXPECT_NE(a, run(4, true));
}

TEST(LoaderEpochs, EverySampleOncePerEpoch) {
  ls::test::DatasetDir tmp;
  ls::test::write_folder_dataset(tmp.path, 10, 8);
  const auto ds = load(tmp.path, 8);
  LoaderOptions opt;
  opt.batch_size = 3;
  opt.drop_last = false;
  opt.seed = 1;
  Loader loader(ds, opt);
  ASSERT_EQ(loader.batches_per_epoch(), 4);
  std::vector<std::vector<int64_t>> epochs(2);
  for (int k = 0; k < 8; ++k) {
    const Batch b = loader.next();
    ASSERT_LT(b.epoch, 2);
    epochs[size_t(b.epoch)].insert(epochs[size_t(b.epoch)].end(), b.indices.begin(), b.indices.end());
  }
  for (const auto& e : epochs) {
    EXPECT_EQ(e.size(), 10u);
    EXPECT_EQ(std::set<int64_t>(e.begin(), e.end()).size(), 10u);
  }
  EXPECT_NE(epochs[0], epochs[1]);  // reshuffled
  opt.drop_last = true;
  Loader dropping(ds, opt);
  EXPECT_EQ(dropping.batches_per_epoch(), 3);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(dropping.next().images.size(0), 3);
}
