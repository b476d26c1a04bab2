// tests/test_data_folder.cpp — folder-layout loading: every bad input rejected with the file named, skipping bad
// images when asked, stem lists and labels; and, when ../shared/data is present, ci_mini through `layerseg eval`.
// Run: build/layerseg_tests --gtest_filter='Data*'
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "kernels/error.h"
#include "data/dataset.h"
#include "data/evaluate.h"
#include "data/image.h"
#include "data/metrics.h"
#include "tests/test_data_util.h"

using namespace ls::data;
namespace fs = std::filesystem;

namespace {

DatasetOptions options(int size, MaskPolicy masks = MaskPolicy::kRequired) {
  DatasetOptions opt;
  opt.size = size;
  opt.masks = masks;
  return opt;
}

// Loading must throw ls::Error whose message contains `needle` (a path).
void expect_error_naming(const std::string& root, const DatasetOptions& opt, const std::string& needle) {
  try {
    load_dataset(root, opt);
    ADD_FAILURE() << "no error; expected one naming " << needle;
  } catch (const ls::Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what();
  }
}

std::string shared_data_dir() { return std::string(LAYERSEG_SOURCE_DIR) + "/../shared/data"; }

}  // namespace

TEST(DataBadInput, CorruptImageIsNamed) {
  ls::test::DatasetDir tmp;
  ls::test::write_folder_dataset(tmp.path, 3, 8);
  const std::string bad = (tmp.path / "images" / "s101.png").string();
  std::ofstream(bad, std::ios::trunc) << "\x89PNG garbage";
  expect_error_naming(tmp.path.string(), options(8), bad);
}

TEST(DataBadInput, MaskOfDifferentSizeIsNamed) {
  ls::test::DatasetDir tmp;
  ls::test::write_folder_dataset(tmp.path, 3, 8);
  const std::string mask = (tmp.path / "masks" / "s102.png").string();
  write_image(mask, Image(9, 8, 1));
  expect_error_naming(tmp.path.string(), options(8), mask);
}

TEST(DataBadInput, MissingMaskIsNamedWhenRequired) {
  ls::test::DatasetDir tmp;
  ls::test::write_folder_dataset(tmp.path, 3, 8);
  const std::string mask = (tmp.path / "masks" / "s100.png").string();
  fs::remove(mask);
  expect_error_naming(tmp.path.string(), options(8), mask);
  // Unsupervised loading does not need masks: it goes on without any.
  const Dataset ds = load_dataset(tmp.path.string(), options(8, MaskPolicy::kIfPresent));
  EXPECT_EQ(ds.count(), 3);
  EXPECT_FALSE(ds.has_masks());
}

TEST(DataBadInput, EmptyFolderIsNamed) {
  ls::test::DatasetDir tmp;
  expect_error_naming(tmp.path.string(), options(8), (tmp.path / "images").string());
  ls::test::TempDir no_images;
  expect_error_naming(no_images.path.string(), options(8), no_images.path.string());
}

TEST(DataBadInput, UnknownLayoutIsNamed) {
  ls::test::DatasetDir tmp;
  ls::test::write_folder_dataset(tmp.path, 2, 8);
  DatasetOptions opt = options(8);
  opt.layout = "imagenet";
  expect_error_naming(tmp.path.string(), opt, tmp.path.string());
  expect_error_naming(tmp.path.string(), opt, "imagenet");
  opt.layout = "cub";  // a folder-layout dataset is not a CUB one
  expect_error_naming(tmp.path.string(), opt, tmp.path.string());
}

TEST(DataBadInput, NumericLabelAboveTheLimitIsNamed) {
  ls::test::DatasetDir tmp;
  ls::test::write_folder_dataset(tmp.path, 2, 8);
  std::ofstream(tmp.path / "labels.txt", std::ios::trunc) << "s100 0\ns101 99999999999\n";  // beyond int, too
  expect_error_naming(tmp.path.string(), options(8), (tmp.path / "labels.txt").string() + ": label 99999999999");
}

TEST(DataBadInput, SkipsBadImagesWhenAsked) {
  ls::test::DatasetDir tmp;
  ls::test::write_folder_dataset(tmp.path, 4, 8);
  const std::string bad = (tmp.path / "images" / "s103.png").string();
  std::ofstream(bad, std::ios::trunc) << "not an image";
  DatasetOptions opt = options(8);
  opt.skip_bad = true;
  ::testing::internal::CaptureStderr();
  const Dataset ds = load_dataset(tmp.path.string(), opt);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(ds.count(), 3);
  EXPECT_NE(err.find("skipping " + bad), std::string::npos) << err;
  EXPECT_NE(err.find("skipped 1 of 4"), std::string::npos) << err;
}

TEST(DataFolder, StemsFileLabelsAndCentreCrop) {
  ls::test::DatasetDir tmp;
  ls::test::write_folder_dataset(tmp.path, 5, 8);
  std::ofstream(tmp.path / "dev.txt") << "s103\ns101\n";
  DatasetOptions opt = options(8);
  opt.stems_file = "dev.txt";
  const Dataset ds = load_dataset(tmp.path.string(), opt);
  ASSERT_EQ(ds.count(), 2);
  EXPECT_EQ(ds.name(0), "s103");
  EXPECT_EQ(ds.label(0), 0);  // 3 % 3
  EXPECT_EQ(ds.label(1), 1);
  std::ofstream(tmp.path / "bad.txt") << "s999\n";
  opt.stems_file = "bad.txt";
  expect_error_naming(tmp.path.string(), opt, (tmp.path / "bad.txt").string());

  // A 12x6 image centre-cropped is its middle 6x6 square.
  ls::test::DatasetDir wide;
  Image img(6, 12, 3, -1.f), mask(6, 12, 1, 0.f);
  for (int y = 0; y < 6; ++y)
    for (int x = 3; x < 9; ++x) img.at(y, x, 0) = 1.f, mask.at(y, x) = 1.f;
  write_image((wide.path / "images" / "w.png").string(), img);
  write_image((wide.path / "masks" / "w.png").string(), mask);
  DatasetOptions crop_opt = options(6);
  crop_opt.crop = "center";
  const Dataset cropped = load_dataset(wide.path.string(), crop_opt);
  for (float v : cropped.mask(0).px) EXPECT_EQ(v, 1.f);
}

TEST(DataWrite, FolderRoundTrip) {
  ls::test::DatasetDir src;
  ls::test::write_folder_dataset(src.path, 4, 8);
  const Dataset a = load_dataset(src.path.string(), options(8));
  ls::test::TempDir dst;
  write_folder(a, dst.path.string());
  const Dataset b = load_dataset(dst.path.string(), options(8));
  ASSERT_EQ(b.count(), a.count());
  for (int64_t i = 0; i < a.count(); ++i) {
    EXPECT_EQ(a.name(i), b.name(i));
    EXPECT_EQ(a.label(i), b.label(i));
    EXPECT_EQ(a.image(i).px, b.image(i).px);
    EXPECT_EQ(a.mask(i).px, b.mask(i).px);
  }
}

TEST(DataCiMini, EllipseBaselineMatchesDirectComputation) {
  const std::string root = shared_data_dir() + "/ci_mini";
  if (!fs::is_directory(root)) GTEST_SKIP() << "no " << root << " (real data is optional; see SPEC §7)";
  const int s = 64;
  const Dataset ds = load_dataset(root, options(s));
  ASSERT_EQ(ds.count(), 34);
  const SegmentationScores via_loader = evaluate(ds, constant_predictor(ellipse_prior(s)), 8);

  // The same from the files directly: read, resize, threshold each mask and count against the ellipse by hand.
  int64_t tp = 0, fp = 0, fn = 0, n = 0;
  for (const auto& f : fs::directory_iterator(root + "/masks")) {
    const Image m = threshold(resize(read_mask(f.path().string()), s, s));
    for (int y = 0; y < s; ++y)
      for (int x = 0; x < s; ++x) {
        const double dx = (x + 0.5 - s / 2.0) / (0.35 * s), dy = (y + 0.5 - s / 2.0) / (0.30 * s);
        const bool pred = dx * dx + dy * dy <= 1.0, truth = m.at(y, x) > 0.5f;
        tp += pred && truth, fp += pred && !truth, fn += !pred && truth;
      }
    ++n;
  }
  ASSERT_EQ(n, 34);
  EXPECT_DOUBLE_EQ(via_loader.iou, double(tp) / double(tp + fp + fn));
  EXPECT_GT(via_loader.iou, 0.2);
  EXPECT_LT(via_loader.iou, 0.8);

  // And through the command line, which must print the same number.
  ls::test::TempDir tmp;
  const std::string out = tmp.file("m.json");
  const std::string cmd = std::string(LAYERSEG_BINARY) + " eval --data " + root +
                          " --size 64 --baseline ellipse --out " + out + " > " + tmp.file("stdout.txt");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(out));
  EXPECT_DOUBLE_EQ(j["iou"].get<double>(), via_loader.iou);
  EXPECT_EQ(j["n_images"].get<int>(), 34);
  EXPECT_EQ(j["predictor"].get<std::string>(), "ellipse");
}

TEST(DataEvalCommand, PredictionFolderAndMissingPrediction) {
  ls::test::DatasetDir tmp;
  ls::test::write_folder_dataset(tmp.path, 3, 8);
  // Predictions = the ground truth itself: a perfect score. Then remove one: the error names it.
  const std::string pred = tmp.file("pred");
  fs::copy(tmp.path / "masks", pred);
  const std::string out = tmp.file("m.json");
  const std::string base =
      std::string(LAYERSEG_BINARY) + " eval --data " + tmp.path.string() + " --size 8 --pred " + pred + " --out " + out;
  ASSERT_EQ(std::system((base + " > /dev/null").c_str()), 0);
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(out));
  EXPECT_DOUBLE_EQ(j["iou"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["acc"].get<double>(), 1.0);
  fs::remove(fs::path(pred) / "s101.png");
  const std::string err_file = tmp.file("err.txt");
  EXPECT_NE(std::system((base + " > /dev/null 2> " + err_file).c_str()), 0);
  std::ifstream err_in(err_file);
  const std::string err((std::istreambuf_iterator<char>(err_in)), std::istreambuf_iterator<char>());
  EXPECT_NE(err.find((fs::path(pred) / "s101.png").string()), std::string::npos) << err;
}
