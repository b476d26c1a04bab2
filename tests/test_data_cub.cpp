// tests/test_data_cub.cpp — the CUB-200-2011 layout on a tiny synthetic copy: class labels from folder names,
// train/test split, square crop about the bounding box, soft segmentations thresholded, missing files named.
// Run: build/layerseg_tests --gtest_filter='DataCub*'
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "kernels/error.h"
#include "data/dataset.h"
#include "data/image.h"
#include "tests/error_message.h"
#include "tests/test_data_util.h"

using namespace ls::data;
namespace fs = std::filesystem;

namespace {

// Three 40x30 images: a red 10x10 square (the bird) at a known box on blue; its segmentation is soft (200/255).
void write_cub(const fs::path& root) {
  const char* files[] = {"001.Albatross/a_1.jpg", "001.Albatross/a_2.jpg", "002.Auklet/b_1.jpg"};
  std::ofstream images(root / "images.txt"), split(root / "train_test_split.txt"), boxes(root / "bounding_boxes.txt");
  for (int id = 1; id <= 3; ++id) {
    const fs::path rel = files[id - 1];
    fs::create_directories(root / "images" / rel.parent_path());
    fs::create_directories(root / "segmentations" / rel.parent_path());
    const int bx = 5 + 8 * id, by = 4 + 3 * id;
    Image img(30, 40, 3), seg(30, 40, 1);
    for (int y = 0; y < 30; ++y)
      for (int x = 0; x < 40; ++x) {
        const bool bird = x >= bx && x < bx + 10 && y >= by && y < by + 10;
        img.at(y, x, 0) = bird ? 1.f : -1.f;
        img.at(y, x, 2) = bird ? -1.f : 1.f;
        seg.at(y, x) = bird ? 200.f / 255.f : 0.f;
      }
    write_image((root / "images" / rel).string(), img, 100);
    write_image((root / "segmentations" / fs::path(rel).replace_extension(".png")).string(), seg);
    images << id << ' ' << rel.string() << '\n';
    split << id << ' ' << (id != 2) << '\n';
    boxes << id << ' ' << bx << ".0 " << by << ".0 10.0 10.0\n";
  }
}

}  // namespace

TEST(DataCub, LabelsSplitAndBoundingBoxCrop) {
  ls::test::TempDir tmp;
  write_cub(tmp.path);
  DatasetOptions opt;
  opt.layout = "cub";
  opt.size = 8;
  opt.masks = MaskPolicy::kRequired;
  opt.bbox_margin = 1.0f;  // the crop is exactly the box: all bird
  const Dataset all = load_dataset(tmp.path.string(), opt);
  ASSERT_EQ(all.count(), 3);
  EXPECT_EQ(all.num_classes(), 2);
  EXPECT_EQ(all.class_names()[1], "002.Auklet");
  EXPECT_EQ(all.label(0), 0);
  EXPECT_EQ(all.label(2), 1);
  EXPECT_EQ(all.name(2), "b_1");
  for (int64_t i = 0; i < 3; ++i) {
    for (float v : all.mask(i).px) EXPECT_EQ(v, 1.f);  // 200/255 > 0.5
    const Image img = all.image(i);
    for (int p = 0; p < 64; ++p) EXPECT_GT(img.px[size_t(p) * 3], 0.8f) << "sample " << i << " pixel " << p;
  }
  opt.bbox_margin = 2.0f;  // a wider square shows background around the bird
  const Dataset wide = load_dataset(tmp.path.string(), opt);
  double fg = 0;
  for (float v : wide.mask(0).px) fg += v;
  EXPECT_GT(fg / 64, 0.15);
  EXPECT_LT(fg / 64, 0.40);

  opt.split = "train";
  const Dataset train = load_dataset(tmp.path.string(), opt);
  ASSERT_EQ(train.count(), 2);
  EXPECT_EQ(train.name(1), "b_1");
  opt.split = "test";
  EXPECT_EQ(load_dataset(tmp.path.string(), opt).count(), 1);

  const std::string seg = (tmp.path / "segmentations" / "002.Auklet" / "b_1.png").string();
  fs::remove(seg);
  opt.split = "all";
  try {
    load_dataset(tmp.path.string(), opt);
    ADD_FAILURE() << "missing segmentation not reported";
  } catch (const ls::Error& e) {
    EXPECT_NE(std::string(e.what()).find(seg), std::string::npos) << e.what();
  }
}

TEST(DataCub, ABoxFieldThatIsNotAFiniteNumberIsNamed) {
  for (const char* field : {"x", "nan", "1e99"}) {
    ls::test::TempDir tmp;
    write_cub(tmp.path);
    std::ofstream(tmp.path / "bounding_boxes.txt", std::ios::trunc)
        << "1 13.0 7.0 10.0 10.0\n2 " << field << " 10.0 10.0 10.0\n3 29.0 13.0 10.0 10.0\n";
    DatasetOptions opt;
    opt.layout = "cub";
    opt.size = 8;
    const std::string e = ls::test::error_message([&] { load_dataset(tmp.path.string(), opt); });
    EXPECT_NE(e.find((tmp.path / "bounding_boxes.txt").string() + ": image id 2: '" + field + "' is not a number"),
              std::string::npos)
        << e;
  }
}
