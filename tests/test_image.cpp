// tests/test_image.cpp — image decode/encode (PNG 8/16-bit, grey, RGBA, JPEG), resize and crop.
// Run: build/layerseg_tests --gtest_filter='Image*'
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "data/image.h"
#include "kernels/error.h"
#include "tests/error_message.h"
#include "tests/test_data_util.h"

using namespace ls::data;
namespace fs = std::filesystem;

namespace {

using ls::test::TempDir;

// A minimal PNG encoder for 16-bit greyscale (stb cannot write 16-bit): zlib "stored" blocks, no compression.
uint32_t crc32(const std::vector<uint8_t>& bytes, size_t from) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = from; i < bytes.size(); ++i) {
    c ^= bytes[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}
void put32(std::vector<uint8_t>& v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(uint8_t(x >> s));
}
void chunk(std::vector<uint8_t>& png, const char* type, const std::vector<uint8_t>& data) {
  put32(png, uint32_t(data.size()));
  const size_t start = png.size();
  png.insert(png.end(), type, type + 4);
  png.insert(png.end(), data.begin(), data.end());
  put32(png, crc32(png, start));
}
void write_png16_grey(const std::string& path, int w, int h, const std::vector<uint16_t>& px) {
  std::vector<uint8_t> raw;  // filter byte 0 + big-endian samples per row
  for (int y = 0; y < h; ++y) {
    raw.push_back(0);
    for (int x = 0; x < w; ++x) raw.push_back(uint8_t(px[y * w + x] >> 8)), raw.push_back(uint8_t(px[y * w + x]));
  }
  std::vector<uint8_t> z = {
      0x78, 0x01, 0x01, uint8_t(raw.size()), uint8_t(raw.size() >> 8), uint8_t(~raw.size()), uint8_t(~raw.size() >> 8)};
  z.insert(z.end(), raw.begin(), raw.end());
  uint32_t a = 1, b = 0;
  for (uint8_t v : raw) a = (a + v) % 65521, b = (b + a) % 65521;
  put32(z, (b << 16) | a);
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}, ihdr;
  put32(ihdr, uint32_t(w));
  put32(ihdr, uint32_t(h));
  ihdr.insert(ihdr.end(), {16, 0, 0, 0, 0});  // 16-bit, greyscale, deflate, no filter, no interlace
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", {});
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(png.data()), std::streamsize(png.size()));
}

Image pattern(int h, int w) {  // values on the 8-bit grid, so a PNG round trip is exact
  Image img(h, w, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) img.at(y, x, c) = float((x * 37 + y * 11 + c * 80) % 256) / 255.f * 2.f - 1.f;
  return img;
}

float max_abs_diff(const Image& a, const Image& b) {
  EXPECT_EQ(a.px.size(), b.px.size());
  float d = 0;
  for (size_t i = 0; i < a.px.size(); ++i) d = std::max(d, std::abs(a.px[i] - b.px[i]));
  return d;
}

}  // namespace

TEST(ImageIo, PngRoundTripIsExact) {
  TempDir tmp;
  const Image img = pattern(7, 9);
  write_image(tmp.file("a.png"), img);
  const Image back = read_image(tmp.file("a.png"));
  EXPECT_EQ(back.h, 7);
  EXPECT_EQ(back.w, 9);
  EXPECT_EQ(back.c, 3);
  EXPECT_LT(max_abs_diff(img, back), 1e-6f);
}

TEST(ImageIo, JpegRoundTripIsClose) {
  TempDir tmp;
  Image img(16, 16, 3);  // smooth, so JPEG's error stays small
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x)
      for (int c = 0; c < 3; ++c) img.at(y, x, c) = -0.5f + 0.05f * x - 0.03f * y + 0.2f * c;  // within [-1, 1]
  write_image(tmp.file("a.jpg"), img, 98);
  const Image back = read_image(tmp.file("a.jpg"));
  EXPECT_EQ(back.h, 16);
  EXPECT_LT(max_abs_diff(img, back), 0.08f);
  EXPECT_GT(max_abs_diff(img, back), 0.f);  // it really went through the lossy codec
}

TEST(ImageIo, GreyAndRgbaBecomeRgb) {
  TempDir tmp;
  const std::vector<uint8_t> grey = {0, 51, 255, 102};
  ASSERT_TRUE(stbi_write_png(tmp.file("g.png").c_str(), 2, 2, 1, grey.data(), 2));
  const Image g = read_image(tmp.file("g.png"));
  ASSERT_EQ(g.c, 3);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(g.at(0, 1, c), 51.f / 255.f * 2.f - 1.f, 1e-6f);
  const std::vector<uint8_t> rgba = {255, 0, 0, 0, 0, 255, 0, 128};  // alpha must not leak into RGB
  ASSERT_TRUE(stbi_write_png(tmp.file("rgba.png").c_str(), 2, 1, 4, rgba.data(), 8));
  const Image r = read_image(tmp.file("rgba.png"));
  EXPECT_FLOAT_EQ(r.at(0, 0, 0), 1.f);
  EXPECT_FLOAT_EQ(r.at(0, 0, 1), -1.f);
  EXPECT_FLOAT_EQ(r.at(0, 1, 1), 1.f);
  EXPECT_FLOAT_EQ(r.at(0, 1, 2), -1.f);
}

TEST(ImageIo, SixteenBitPngKeepsPrecision) {
  TempDir tmp;
  const std::vector<uint16_t> px = {0, 257, 32768, 65535, 1000, 40000};
  write_png16_grey(tmp.file("g16.png"), 3, 2, px);
  const Image img = read_image(tmp.file("g16.png"));
  ASSERT_EQ(img.h, 2);
  ASSERT_EQ(img.w, 3);
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(img.px[size_t(i) * 3 + 1], px[i] / 65535.f * 2.f - 1.f, 1e-6f) << i;
  const Image m = read_mask(tmp.file("g16.png"));
  EXPECT_NEAR(m.px[4], 1000.f / 65535.f, 1e-6f);  // finer than 8 bits could hold
}

TEST(ImageIo, ColourMaskUsesLargestChannel) {
  TempDir tmp;
  const std::vector<uint8_t> rgb = {0, 0, 0, 200, 0, 0, 0, 0, 255};
  ASSERT_TRUE(stbi_write_png(tmp.file("m.png").c_str(), 3, 1, 3, rgb.data(), 9));
  const Image m = read_mask(tmp.file("m.png"));
  ASSERT_EQ(m.c, 1);
  EXPECT_FLOAT_EQ(m.px[0], 0.f);
  EXPECT_NEAR(m.px[1], 200.f / 255.f, 1e-6f);
  EXPECT_FLOAT_EQ(m.px[2], 1.f);
}

TEST(ImageIo, BadFilesAreNamed) {
  TempDir tmp;
  std::ofstream(tmp.file("junk.png")) << "this is not a png";
  for (const std::string& p : {tmp.file("junk.png"), tmp.file("missing.png")}) {
    try {
      read_image(p);
      FAIL() << "no error for " << p;
    } catch (const ls::Error& e) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    }
  }
}

// stb would also decode BMP, GIF, PSD, TGA, HDR, PIC and PNM; only the two promised formats reach it.
TEST(ImageIo, FormatsOtherThanPngAndJpegAreRefused) {
  TempDir tmp;
  const std::vector<uint8_t> grey = {0, 51, 255, 102};
  ASSERT_TRUE(stbi_write_bmp(tmp.file("a.bmp").c_str(), 2, 2, 1, grey.data()));
  const std::string e = ls::test::error_message([&] { read_image(tmp.file("a.bmp")); });
  EXPECT_NE(e.find(tmp.file("a.bmp") + ": not a PNG or JPEG file"), std::string::npos) << e;
}

// tests/fuzz/image.cpp's find: an 83-byte PNG whose second IDAT chunk declares 1.4 GB, which stb allocated (rounded
// up to 2 GB) before finding the file too short.
TEST(ImageIo, APngChunkLongerThanTheFileIsRefusedBeforeDecoding) {
  const std::string path =
      std::string(LAYERSEG_SOURCE_DIR) + "/tests/fuzz/corpus/image/regression_idat_longer_than_file.png";
  const std::string e = ls::test::error_message([&] { read_image(path); });
  EXPECT_NE(e.find("more than the file holds"), std::string::npos) << e;
}

// tests/fuzz/image.cpp's find under UBSan: a 514-byte JPEG whose Huffman table counts 558 codes, which stb wrote
// into its 257-entry table.
TEST(ImageIo, AJpegHuffmanTableOfMoreThan256CodesIsRefused) {
  const std::string path =
      std::string(LAYERSEG_SOURCE_DIR) + "/tests/fuzz/corpus/image/regression_dht_more_than_256_codes.jpg";
  const std::string e = ls::test::error_message([&] { read_image(path); });
  EXPECT_NE(e.find("has 558 codes, more than 256"), std::string::npos) << e;
}

// The fuzzer's input: a scan selecting a Huffman table no DHT defined, which stb decodes from uninitialised memory.
// And a valid JPEG whose scan is edited to select table 3 of each class: refused, where the unedited file decodes.
TEST(ImageIo, AJpegScanUsingAnUndefinedHuffmanTableIsRefused) {
  const std::string fuzzed =
      std::string(LAYERSEG_SOURCE_DIR) + "/tests/fuzz/corpus/image/regression_scan_with_undefined_huffman_table.jpg";
  const std::string e = ls::test::error_message([&] { read_image(fuzzed); });
  EXPECT_NE(e.find("Huffman table"), std::string::npos) << e;
  EXPECT_NE(e.find("which no table segment before it defines"), std::string::npos) << e;

  const std::string path = (std::filesystem::temp_directory_path() / "layerseg_undefined_table.jpg").string();
  Image img(8, 8, 3, 0.25f);
  write_image(path, img);
  EXPECT_EQ(read_image(path).w, 8);
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  const size_t sos = bytes.find("\xff\xda");
  ASSERT_NE(sos, std::string::npos);
  const int components = static_cast<unsigned char>(bytes[sos + 4]);
  for (int c = 0; c < components; ++c) bytes[sos + 6 + 2 * size_t(c)] = char(0x33);  // DC table 3, AC table 3
  {
    std::ofstream f(path, std::ios::binary);
    f << bytes;
  }
  const std::string edited = ls::test::error_message([&] { read_image(path); });
  EXPECT_NE(edited.find("uses DC Huffman table 3, which no table segment before it defines"), std::string::npos)
      << edited;
  std::filesystem::remove(path);
}

TEST(ImageResize, UpsampleIsBilinearWithHalfPixelCentres) {
  Image img(1, 2, 1);
  img.px = {0.f, 1.f};
  const Image up = resize(img, 1, 4);  // output centres at input x = -0.25, 0.25, 0.75, 1.25
  EXPECT_FLOAT_EQ(up.px[0], 0.f);
  EXPECT_FLOAT_EQ(up.px[1], 0.25f);
  EXPECT_FLOAT_EQ(up.px[2], 0.75f);
  EXPECT_FLOAT_EQ(up.px[3], 1.f);
}

TEST(ImageResize, ShrinkByTwoIsPlainBilinear) {
  Image img(1, 4, 1);
  img.px = {0.f, 1.f, 2.f, 3.f};
  const Image down = resize(img, 1, 2);  // centres at 0.5 and 2.5
  EXPECT_FLOAT_EQ(down.px[0], 0.5f);
  EXPECT_FLOAT_EQ(down.px[1], 2.5f);
}

TEST(ImageResize, StrongShrinkIsAntialiased) {
  // A thin line every 4th column: plain bilinear sampling at scale 4 lands between lines and sees 0; an
  // antialiased shrink keeps about the mean (0.25).
  Image img(16, 16, 1);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; x += 4) img.at(y, x) = 1.f;
  const Image down = resize(img, 4, 4);
  for (float v : down.px) {
    EXPECT_GT(v, 0.15f);
    EXPECT_LT(v, 0.35f);
  }
}

TEST(ImageResize, ConstantStaysConstant) {
  const Image img(13, 29, 3, 0.3f);
  for (auto [h, w] : {std::pair{64, 64}, std::pair{5, 4}, std::pair{13, 7}})
    for (float v : resize(img, h, w).px) EXPECT_NEAR(v, 0.3f, 1e-5f);
}

TEST(ImageCrop, BoxesStayInside) {
  const CropBox c = center_square_box(10, 20);
  EXPECT_EQ(c.y, 0);
  EXPECT_EQ(c.x, 5);
  EXPECT_EQ(c.h, 10);
  EXPECT_EQ(c.w, 10);
  const CropBox b = square_box_around(2.f, 3.f, 10.f, 4.f, 100, 100, 1.5f);  // side 15 about (7, 5), shifted in
  EXPECT_EQ(b.w, 15);
  EXPECT_EQ(b.h, 15);
  EXPECT_EQ(b.x, 0);
  EXPECT_EQ(b.y, 0);
  const CropBox big = square_box_around(10.f, 10.f, 80.f, 30.f, 50, 200, 1.5f);  // would need 120 > 50
  EXPECT_EQ(big.h, 50);
  EXPECT_EQ(big.y, 0);
  EXPECT_EQ(big.x, 25);  // centred on x = 50
  const Image img = pattern(50, 200);
  const Image cropped = crop(img, big);
  EXPECT_FLOAT_EQ(cropped.at(3, 4, 1), img.at(3, 29, 1));
  EXPECT_THROW(crop(img, CropBox{0, 190, 10, 20}), ls::Error);
}

TEST(ImageFlip, MirrorsColumns) {
  Image img = pattern(3, 5);
  const Image orig = img;
  flip_horizontal(img);
  EXPECT_FLOAT_EQ(img.at(1, 0, 2), orig.at(1, 4, 2));
  EXPECT_FLOAT_EQ(img.at(2, 2, 0), orig.at(2, 2, 0));
  flip_horizontal(img);
  EXPECT_EQ(img.px, orig.px);
}
