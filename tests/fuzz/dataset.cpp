// tests/fuzz/dataset.cpp — libFuzzer target for the dataset text files (data/dataset.h) around two tiny images:
//   1 or 2 parts (separated by "%%" lines): the folder layout's labels.txt, then optionally a stems file;
//   3 parts: the CUB layout's images.txt, bounding_boxes.txt and train_test_split.txt (the "train" split).
// The images are real (4x4 PNGs in images/c1/a.png and images/c2/b.png for CUB, images/{a,b}.png for the folder
// layout, each with a mask), so lines that name them get through to decoding, cropping and resizing. Any input must
// load or throw ls::Error; a dataset that loads must have a label in range for every image.
//   bash tools/fuzz.sh dataset 600           # corpus: tests/fuzz/corpus/dataset/
#include "data/dataset.h"

#include <cstdint>

#include "kernels/error.h"
#include "tests/fuzz/fuzz_input.h"

namespace fs = std::filesystem;

namespace {

// The images both layouts refer to, written once per process.
const fs::path& fixture() {
  static const fs::path root = [] {
    const fs::path r = ls::fuzz::scratch_dir();
    const ls::data::Image image(4, 4, 3, 0.25f), mask(4, 4, 1, 1.f);
    fs::create_directories(r / "folder/images");
    fs::create_directories(r / "folder/masks");
    for (const char* stem : {"a", "b"}) {
      ls::data::write_image((r / "folder/images" / (std::string(stem) + ".png")).string(), image);
      ls::data::write_image((r / "folder/masks" / (std::string(stem) + ".png")).string(), mask);
    }
    for (const char* rel : {"c1/a.png", "c2/b.png"}) {
      fs::create_directories((r / "cub/images" / rel).parent_path());
      fs::create_directories((r / "cub/segmentations" / rel).parent_path());
      ls::data::write_image((r / "cub/images" / rel).string(), image);
      ls::data::write_image((r / "cub/segmentations" / rel).string(), mask);
    }
    return r;
  }();
  return root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> parts = ls::fuzz::split_parts(data, size);
  if (parts.size() > 3) return 0;
  ls::data::DatasetOptions opt;
  opt.size = 4;
  fs::path root;
  if (parts.size() < 3) {
    root = fixture() / "folder";
    ls::fuzz::write_file(root / "labels.txt", parts[0]);
    fs::remove(root / "stems.txt");
    if (parts.size() == 2) {
      ls::fuzz::write_file(root / "stems.txt", parts[1]);
      opt.stems_file = "stems.txt";
    }
  } else {
    root = fixture() / "cub";
    opt.layout = "cub";
    opt.split = "train";
    ls::fuzz::write_file(root / "images.txt", parts[0]);
    ls::fuzz::write_file(root / "bounding_boxes.txt", parts[1]);
    ls::fuzz::write_file(root / "train_test_split.txt", parts[2]);
  }
  try {
    const ls::data::Dataset ds = ls::data::load_dataset(root.string(), opt);
    for (int64_t i = 0; i < ds.count(); ++i)
      if (ds.has_labels() && (ds.label(i) < 0 || ds.label(i) >= ds.num_classes()))
        ls::fuzz::property_failed("label out of range for " + ds.name(i));
  } catch (const ls::Error&) {
  }
  return 0;
}
