// tests/fuzz/image.cpp — libFuzzer target for the image and mask readers (data/image.h: PNG/JPEG through stb).
// Any input must either decode or throw ls::Error naming the file; a decoded image must have a positive size and
// every value in its documented range (RGB in [-1, 1], mask in [0, 1]).
//   bash tools/fuzz.sh image 600             # corpus: tests/fuzz/corpus/image/
#include "data/image.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "kernels/error.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

void check_range(const ls::data::Image& img, int channels, float lo, float hi, const char* what) {
  if (img.h <= 0 || img.w <= 0 || img.c != channels || img.px.size() != size_t(img.h) * img.w * img.c)
    ls::fuzz::property_failed(std::string(what) + ": inconsistent size");
  for (float v : img.px)
    if (!(v >= lo && v <= hi)) ls::fuzz::property_failed(std::string(what) + ": value out of range");
}

}  // namespace

// The readers' pixel limit (data/image.h) at 1 Mpixel instead of 64: the limit's check is exercised all the same,
// while the largest image the fuzzer can make decode stays well inside libFuzzer's 2 GB and fast enough to fuzz.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("LAYERSEG_MAX_IMAGE_PIXELS", "1048576", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = (ls::fuzz::scratch_dir() / "input.png").string();
  ls::fuzz::write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    check_range(ls::data::read_image(path), 3, -1.f, 1.f, "read_image");
    check_range(ls::data::read_mask(path), 1, 0.f, 1.f, "read_mask");
  } catch (const ls::Error&) {
  }
  return 0;
}
