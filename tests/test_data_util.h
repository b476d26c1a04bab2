// tests/test_data_util.h — helpers shared by the data tests: a unique temporary folder removed at scope exit, and
// a small synthetic folder-layout dataset whose content is known exactly.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "data/image.h"

namespace ls::test {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path = std::filesystem::temp_directory_path() /
           ("layerseg_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// A folder dataset root with images/ and masks/ ready.
struct DatasetDir : ls::test::TempDir {
  DatasetDir() {
    std::filesystem::create_directories(path / "images");
    std::filesystem::create_directories(path / "masks");
  }
};

// Sample k: a bright red bar in the left k-dependent columns (the mask marks exactly the bar), on a grey ramp.
inline void make_sample(int k, int s, ls::data::Image& img, ls::data::Image& mask) {
  img = ls::data::Image(s, s, 3);
  mask = ls::data::Image(s, s, 1);
  const int bar = 1 + k % (s / 2);
  for (int y = 0; y < s; ++y)
    for (int x = 0; x < s; ++x) {
      const bool fg = x < bar && y >= 1;
      mask.at(y, x) = fg ? 1.f : 0.f;
      const float grey = float((y * 16 + k * 5) % 200) / 255.f * 2.f - 1.f;
      img.at(y, x, 0) = fg ? 1.f : grey;
      img.at(y, x, 1) = fg ? -1.f : grey;
      img.at(y, x, 2) = fg ? -1.f : grey;
    }
}

inline void write_folder_dataset(const std::filesystem::path& root, int n, int s, const std::string& ext = ".png") {
  std::ofstream labels(root / "labels.txt");
  for (int k = 0; k < n; ++k) {
    ls::data::Image img, mask;
    make_sample(k, s, img, mask);
    const std::string stem = "s" + std::to_string(100 + k);
    ls::data::write_image((root / "images" / (stem + ext)).string(), img);
    ls::data::write_image((root / "masks" / (stem + ".png")).string(), mask);
    labels << stem << ' ' << k % 3 << '\n';
  }
}

}  // namespace ls::test
