// data/image.cpp — stb-backed decode/encode plus the separable resampler of data/image.h.
#include "data/image.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "kernels/error.h"

namespace ls::data {
namespace {

std::vector<unsigned char> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LS_CHECK(in.good(), "{}: cannot open file", path);
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LS_CHECK(!bytes.empty(), "{}: file is empty", path);
  return bytes;
}

// Decoded pixels normalized to [0, 1], in the file's own channel count.
struct Decoded {
  int h = 0, w = 0, c = 0;
  std::vector<float> px;
};

// In a PNG, every chunk up to IEND must fit in the file: stb sizes its buffer from the declared lengths before
// reading the bytes, so an 83-byte file declaring a 1.4 GB chunk made it allocate 2 GB (found by
// tests/fuzz/image.cpp).
void check_png(const std::string& path, const std::vector<unsigned char>& b) {
  for (size_t at = 8; at + 8 <= b.size();) {
    const uint64_t length = uint64_t(b[at]) << 24 | uint64_t(b[at + 1]) << 16 | uint64_t(b[at + 2]) << 8 | b[at + 3];
    LS_CHECK(length + 12 <= b.size() - at, "{}: PNG chunk at byte {} declares {} bytes, more than the file holds", path,
             at, length);
    if (std::equal(b.begin() + std::ptrdiff_t(at) + 4, b.begin() + std::ptrdiff_t(at) + 8, "IEND")) break;
    at += 12 + length;
  }
}

// In a JPEG, each Huffman table (DHT segment) may hold at most 256 codes: stb does not check the sum of the 16
// counts and writes that many entries into its 257-entry tables, over the decoder's neighbouring state (found by
// tests/fuzz/image.cpp under UBSan). The walk reads the file as stb does: marker segments are skipped by their
// length, and any other byte (entropy-coded data, where 0xFF is followed by 0x00 or a restart marker, or junk
// between segments, which stb skips too) is stepped over until the next marker.
//
// A scan that selects a Huffman table no DHT segment before it defined makes stb decode with the table's uninitialised
// memory (its decoder state is malloc'ed, not cleared): an out-of-bounds read whose index depends on what the heap held
// before, so it showed up once in 1.56 million fuzz executions and not when the input was replayed alone (UBSan,
// stb_image.h:2120). Such scans are refused: a baseline or sequential scan needs its components' DC and AC tables,
// a progressive one the DC tables in a first DC scan and the AC tables in an AC scan.
void check_jpeg(const std::string& path, const std::vector<unsigned char>& b) {
  const size_t n = b.size();
  bool defined[2][4] = {};  // [class: 0 DC, 1 AC][table id]
  bool progressive = false;
  for (size_t at = 2; at + 1 < n;) {
    const unsigned char m = b[at + 1];
    if (b[at] != 0xff || m == 0xff) {  // not a marker, or a fill byte before one
      ++at;
      continue;
    }
    at += 2;
    if (m == 0xd9) return;                                             // end of image
    if (m == 0x00 || m == 0x01 || (m >= 0xd0 && m <= 0xd8)) continue;  // no segment follows
    if (at + 2 > n) return;
    const size_t length = size_t(b[at]) << 8 | b[at + 1];
    // stb reads tables while the segment's length lasts, each one's counts wherever they fall (zeros past the end).
    if (m == 0xc2 || m == 0xc6 || m == 0xca || m == 0xce) progressive = true;
    if (m == 0xda && at + 3 < n) {  // start of scan: Ns, then (component, DC id << 4 | AC id) pairs, Ss, Se, Ah|Al
      const size_t ns = b[at + 2], spectral = at + 3 + 2 * ns;
      const bool dc =
          !progressive || (spectral < n && b[spectral] == 0 && spectral + 2 < n && b[spectral + 2] >> 4 == 0);
      const bool ac = !progressive || (spectral < n && b[spectral] > 0);
      for (size_t c = 0; c < ns && at + 4 + 2 * c < n; ++c) {
        const unsigned char q = b[at + 4 + 2 * c];
        LS_CHECK(!dc || ((q >> 4) < 4 && defined[0][q >> 4]),
                 "{}: JPEG scan at byte {} uses DC Huffman table {}, which no table segment before it defines", path,
                 at - 2, q >> 4);
        LS_CHECK(!ac || ((q & 15) < 4 && defined[1][q & 15]),
                 "{}: JPEG scan at byte {} uses AC Huffman table {}, which no table segment before it defines", path,
                 at - 2, q & 15);
      }
    }
    for (size_t t = at + 2; m == 0xc4 && t < at + length && t < n;) {
      if ((b[t] >> 4) < 2 && (b[t] & 15) < 4) defined[b[t] >> 4][b[t] & 15] = true;
      size_t codes = 0;
      for (size_t i = t + 1; i <= t + 16 && i < n; ++i) codes += b[i];
      LS_CHECK(codes <= 256, "{}: JPEG Huffman table at byte {} has {} codes, more than 256", path, t, codes);
      t += 17 + codes;
    }
    at += length;
  }
}

// stb decodes a dozen formats; only PNG and JPEG are promised (and fuzzed), so nothing else reaches it.
void check_png_or_jpeg(const std::string& path, const std::vector<unsigned char>& b) {
  static const unsigned char kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (b.size() >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return check_jpeg(path, b);  // SOI, a marker
  LS_CHECK(b.size() >= 8 && std::equal(kPngSignature, kPngSignature + 8, b.begin()), "{}: not a PNG or JPEG file",
           path);
  check_png(path, b);
}

// The file's header into d.w, d.h, d.c. The header alone says how large the decoded image will be: a small file can
// declare a huge image (a 30000x30000 PNG of a few hundred KB), which must be refused here rather than end in
// std::bad_alloc or the OOM killer.
void read_header(const std::string& path, const std::vector<unsigned char>& bytes, Decoded& d) {
  check_png_or_jpeg(path, bytes);
  LS_CHECK(stbi_info_from_memory(bytes.data(), int(bytes.size()), &d.w, &d.h, &d.c) != 0,
           "{}: cannot decode image ({})", path, stbi_failure_reason());
  const int64_t pixels = int64_t(d.w) * d.h, limit = max_image_pixels();
  LS_CHECK(pixels <= limit,
           "{}: the image is {}x{} ({:.1f} Mpixel), more than the limit of {:.1f} Mpixel; raise it with "
           "LAYERSEG_MAX_IMAGE_PIXELS=<pixels> if it is meant to be read",
           path, d.w, d.h, double(pixels) / (1 << 20), double(limit) / (1 << 20));
}

Decoded decode(const std::string& path) {
  const std::vector<unsigned char> bytes = read_file_bytes(path);
  const int len = int(bytes.size());
  Decoded d;
  read_header(path, bytes, d);
  // 16-bit PNGs keep their precision; everything else stb decodes as 8-bit.
  if (stbi_is_16_bit_from_memory(bytes.data(), len)) {
    std::unique_ptr<stbi_us, void (*)(void*)> p(stbi_load_16_from_memory(bytes.data(), len, &d.w, &d.h, &d.c, 0),
                                                stbi_image_free);
    LS_CHECK(p != nullptr, "{}: cannot decode image ({})", path, stbi_failure_reason());
    d.px.resize(size_t(d.h) * d.w * d.c);
    for (size_t i = 0; i < d.px.size(); ++i) d.px[i] = p.get()[i] / 65535.f;
  } else {
    std::unique_ptr<stbi_uc, void (*)(void*)> p(stbi_load_from_memory(bytes.data(), len, &d.w, &d.h, &d.c, 0),
                                                stbi_image_free);
    LS_CHECK(p != nullptr, "{}: cannot decode image ({})", path, stbi_failure_reason());
    d.px.resize(size_t(d.h) * d.w * d.c);
    for (size_t i = 0; i < d.px.size(); ++i) d.px[i] = p.get()[i] / 255.f;
  }
  LS_CHECK(d.h > 0 && d.w > 0 && d.c >= 1 && d.c <= 4, "{}: unsupported image ({}x{}, {} channels)", path, d.w, d.h,
           d.c);
  return d;
}

bool ends_with_ci(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                    [](char a, char b) { return std::tolower((unsigned char)a) == std::tolower((unsigned char)b); });
}

// Taps of one output sample: weights over input indices [first, first + weights.size()).
struct Taps {
  int first = 0;
  std::vector<float> weights;
};

// Triangle filter of half-width `support` (1 = plain bilinear) centred on each output pixel's centre; taps outside
// the input are dropped and the rest renormalized, which at the borders equals clamping the coordinate.
std::vector<Taps> make_taps(int in, int out) {
  const double scale = double(in) / out;
  const double support = scale > 2.0 ? scale : 1.0;
  std::vector<Taps> taps(out);
  for (int o = 0; o < out; ++o) {
    const double centre = (o + 0.5) * scale - 0.5;
    const int lo = std::max(0, int(std::floor(centre - support)) + 1);
    const int hi = std::min(in - 1, int(std::ceil(centre + support)) - 1);
    Taps& t = taps[o];
    t.first = lo;
    double sum = 0;
    for (int i = lo; i <= hi; ++i) {
      const double w = std::max(0.0, 1.0 - std::abs(i - centre) / support);
      t.weights.push_back(float(w));
      sum += w;
    }
    for (float& w : t.weights) w = float(w / sum);
  }
  return taps;
}

}  // namespace

int64_t max_image_pixels() {
  const char* v = std::getenv("LAYERSEG_MAX_IMAGE_PIXELS");
  if (!v) return kDefaultMaxImagePixels;
  char* end = nullptr;
  const long long n = std::strtoll(v, &end, 10);
  LS_CHECK(end != v && *end == '\0' && n > 0, "LAYERSEG_MAX_IMAGE_PIXELS='{}' is not a positive pixel count", v);
  return n;
}

void write_file(const std::string& path, const void* data, size_t n) {
  // stdio with every result checked: a full disk or a read-only folder shows as an error naming the file, where an
  // unchecked stream or stbi's own writer (which ignores fclose) would leave a truncated file and carry on.
  std::FILE* f = std::fopen(path.c_str(), "wb");
  LS_CHECK(f != nullptr, "{}: cannot open for writing: {}", path, std::strerror(errno));
  const bool written = n == 0 || std::fwrite(data, 1, n, f) == n;
  const int err = errno;
  const bool closed = std::fclose(f) == 0;
  LS_CHECK(written && closed, "{}: write failed: {}", path, std::strerror(written ? errno : err));
}

ImageSize read_image_size(const std::string& path) {
  Decoded d;
  read_header(path, read_file_bytes(path), d);
  return {d.h, d.w};
}

Image read_image(const std::string& path) {
  const Decoded d = decode(path);
  Image img(d.h, d.w, 3);
  const int colour_channels = d.c >= 3 ? 3 : 1;  // grey (+alpha) replicates; alpha is never read
  for (size_t p = 0; p < size_t(d.h) * d.w; ++p)
    for (int ch = 0; ch < 3; ++ch) img.px[p * 3 + ch] = 2.f * d.px[p * d.c + (colour_channels == 3 ? ch : 0)] - 1.f;
  return img;
}

Image read_mask(const std::string& path) {
  const Decoded d = decode(path);
  Image mask(d.h, d.w, 1);
  const int colour_channels = d.c >= 3 ? 3 : 1;
  for (size_t p = 0; p < size_t(d.h) * d.w; ++p) {
    float v = 0.f;
    for (int ch = 0; ch < colour_channels; ++ch) v = std::max(v, d.px[p * d.c + ch]);
    mask.px[p] = v;
  }
  return mask;
}

void write_image(const std::string& path, const Image& img, int jpeg_quality) {
  LS_CHECK(img.c == 1 || img.c == 3 || img.c == 4, "{}: can only write 1-, 3- or 4-channel images, got {}", path,
           img.c);
  LS_CHECK(img.h > 0 && img.w > 0, "{}: cannot write an empty image", path);
  const bool jpeg = ends_with_ci(path, ".jpg") || ends_with_ci(path, ".jpeg");
  LS_CHECK(!(jpeg && img.c == 4), "{}: JPEG has no alpha channel; write the RGBA image as .png", path);
  std::vector<unsigned char> bytes(img.px.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    const bool colour = img.c >= 3 && i % size_t(img.c) < 3;  // RGB in [-1, 1]; grey and alpha in [0, 1]
    const float unit = colour ? (img.px[i] + 1.f) * 0.5f : img.px[i];
    bytes[i] = (unsigned char)std::lround(std::clamp(unit, 0.f, 1.f) * 255.f);
  }
  std::vector<unsigned char> encoded;
  const auto append = [](void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<unsigned char>*>(ctx);
    out->insert(out->end(), static_cast<unsigned char*>(data), static_cast<unsigned char*>(data) + size);
  };
  const int ok = jpeg ? stbi_write_jpg_to_func(append, &encoded, img.w, img.h, img.c, bytes.data(), jpeg_quality)
                      : stbi_write_png_to_func(append, &encoded, img.w, img.h, img.c, bytes.data(), img.w * img.c);
  LS_CHECK(ok != 0, "{}: cannot encode image", path);
  write_file(path, encoded.data(), encoded.size());
}

Image resize(const Image& img, int out_h, int out_w) {
  LS_CHECK(out_h > 0 && out_w > 0 && !img.empty(), "resize: bad sizes {}x{} -> {}x{}", img.w, img.h, out_w, out_h);
  if (out_h == img.h && out_w == img.w) return img;
  const std::vector<Taps> tx = make_taps(img.w, out_w), ty = make_taps(img.h, out_h);
  const int c = img.c;
  Image horiz(img.h, out_w, c);
  for (int y = 0; y < img.h; ++y)
    for (int x = 0; x < out_w; ++x) {
      const Taps& t = tx[x];
      for (int ch = 0; ch < c; ++ch) {
        float acc = 0.f;
        for (size_t k = 0; k < t.weights.size(); ++k) acc += t.weights[k] * img.at(y, t.first + int(k), ch);
        horiz.at(y, x, ch) = acc;
      }
    }
  Image out(out_h, out_w, c);
  for (int y = 0; y < out_h; ++y) {
    const Taps& t = ty[y];
    for (int x = 0; x < out_w; ++x)
      for (int ch = 0; ch < c; ++ch) {
        float acc = 0.f;
        for (size_t k = 0; k < t.weights.size(); ++k) acc += t.weights[k] * horiz.at(t.first + int(k), x, ch);
        out.at(y, x, ch) = acc;
      }
  }
  return out;
}

Image crop(const Image& img, const CropBox& b) {
  LS_CHECK(b.h > 0 && b.w > 0 && b.y >= 0 && b.x >= 0 && b.y + b.h <= img.h && b.x + b.w <= img.w,
           "crop: box (y={}, x={}, h={}, w={}) outside a {}x{} image", b.y, b.x, b.h, b.w, img.h, img.w);
  Image out(b.h, b.w, img.c);
  for (int y = 0; y < b.h; ++y)
    std::copy_n(&img.px[(size_t(b.y + y) * img.w + b.x) * img.c], size_t(b.w) * img.c,
                &out.px[size_t(y) * b.w * img.c]);
  return out;
}

CropBox center_square_box(int img_h, int img_w) {
  const int side = std::min(img_h, img_w);
  return {(img_h - side) / 2, (img_w - side) / 2, side, side};
}

CropBox square_box_around(float box_x, float box_y, float box_w, float box_h, int img_h, int img_w, float margin) {
  const int side = std::clamp(int(std::lround(margin * std::max(box_w, box_h))), 1, std::min(img_h, img_w));
  const float cx = box_x + 0.5f * box_w, cy = box_y + 0.5f * box_h;
  const int x = std::clamp(int(std::lround(cx - 0.5f * side)), 0, img_w - side);
  const int y = std::clamp(int(std::lround(cy - 0.5f * side)), 0, img_h - side);
  return {y, x, side, side};
}

void flip_horizontal(Image& img) {
  for (int y = 0; y < img.h; ++y)
    for (int x = 0; x < img.w / 2; ++x)
      for (int ch = 0; ch < img.c; ++ch) std::swap(img.at(y, x, ch), img.at(y, img.w - 1 - x, ch));
}

Image threshold(const Image& mask, float at) {
  Image out = mask;
  for (float& v : out.px) v = v > at ? 1.f : 0.f;
  return out;
}

Image with_alpha(const Image& rgb, const Image& alpha) {
  LS_CHECK(rgb.c == 3 && alpha.c == 1 && rgb.h == alpha.h && rgb.w == alpha.w,
           "with_alpha: needs RGB and a 1-channel alpha of one size, got {}x{}x{} and {}x{}x{}", rgb.h, rgb.w, rgb.c,
           alpha.h, alpha.w, alpha.c);
  Image out(rgb.h, rgb.w, 4);
  for (int y = 0; y < rgb.h; ++y)
    for (int x = 0; x < rgb.w; ++x) {
      for (int c = 0; c < 3; ++c) out.at(y, x, c) = rgb.at(y, x, c);
      out.at(y, x, 3) = alpha.at(y, x);
    }
  return out;
}

Image draw_outline(const Image& photo, const Image& mask, int width, const float (&colour)[3]) {
  LS_CHECK(photo.c == 3 && mask.c == 1 && photo.h == mask.h && photo.w == mask.w,
           "draw_outline: needs RGB and a 1-channel mask of one size, got {}x{}x{} and {}x{}x{}", photo.h, photo.w,
           photo.c, mask.h, mask.w, mask.c);
  LS_CHECK(width >= 1, "draw_outline: width {} must be >= 1", width);
  const auto inside = [&](int y, int x) { return mask.at(y, x) > 0.5f; };
  const auto near_outside = [&](int y, int x) {
    for (int yy = std::max(0, y - width); yy <= std::min(mask.h - 1, y + width); ++yy)
      for (int xx = std::max(0, x - width); xx <= std::min(mask.w - 1, x + width); ++xx)
        if (!inside(yy, xx)) return true;
    return false;
  };
  Image out = photo;
  for (int y = 0; y < photo.h; ++y)
    for (int x = 0; x < photo.w; ++x)
      if (inside(y, x) && near_outside(y, x))
        for (int c = 0; c < 3; ++c) out.at(y, x, c) = colour[c];
  return out;
}

}  // namespace ls::data
