// data/image.h — decoded images and masks on the CPU: read (PNG/JPEG via stb), write PNG/JPEG, resize, crop.
// Convention used by all of data/: an Image is HWC float; 3 channels = RGB in [-1, 1], 1 channel = mask/grey in
// [0, 1]. Writers map those ranges to 0..255, so an image and its mask can be written without extra arguments.
//   ls::data::Image img = ls::data::read_image("a.jpg");          // any PNG/JPEG -> RGB in [-1, 1]
//   ls::data::write_image("a64.png", ls::data::resize(img, 64, 64));
// Decoding first reads the header and refuses images above max_image_pixels(), naming the file.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ls::data {

struct Image {
  int h = 0, w = 0, c = 0;
  std::vector<float> px;  // HWC, h*w*c values

  Image() = default;
  Image(int height, int width, int channels, float fill = 0.f)
      : h(height), w(width), c(channels), px(size_t(height) * width * channels, fill) {}
  bool empty() const { return px.empty(); }
  float& at(int y, int x, int ch = 0) { return px[(size_t(y) * w + x) * c + ch]; }
  float at(int y, int x, int ch = 0) const { return px[(size_t(y) * w + x) * c + ch]; }
};

// The largest image (width x height) the readers decode: LAYERSEG_MAX_IMAGE_PIXELS when set, else 64 Mpixel, which
// holds any camera photo while a decompression bomb (a tiny file declaring 30000x30000) is refused before decoding.
inline constexpr int64_t kDefaultMaxImagePixels = int64_t(64) << 20;
int64_t max_image_pixels();

// Writes n bytes to path (created or truncated), checking every call: errors name the file and the reason (e.g.
// "No space left on device"). Every picture, and the run's text files, go through it.
void write_file(const std::string& path, const void* data, size_t n);

// The width and height a PNG/JPEG declares, from its header alone (nothing is decoded), with the checks read_image
// makes first: for memory estimates made before decoding a batch.
struct ImageSize {
  int h = 0, w = 0;
};
ImageSize read_image_size(const std::string& path);

// Decodes PNG (8/16-bit; grey, grey+alpha, RGB, RGBA) or JPEG into RGB in [-1, 1]. Grey is replicated; alpha is
// dropped. Throws ls::Error naming the path when the file is missing, unreadable or corrupt.
Image read_image(const std::string& path);
// Decodes a mask into 1 channel in [0, 1]. Colour masks use the largest channel (any non-black colour is
// foreground); alpha is ignored. Same errors as read_image.
Image read_mask(const std::string& path);

// Writes a 1- or 3-channel Image (ranges as above, clamped) as PNG, or as JPEG when the path ends in .jpg/.jpeg.
// A 4-channel Image is RGB in [-1, 1] plus alpha in [0, 1] (0 transparent) and can only be written as PNG.
void write_image(const std::string& path, const Image& img, int jpeg_quality = 95);

// Bilinear resize (pixel centres aligned, as PyTorch align_corners=false). Shrinking by more than 2x along an axis
// widens the triangle filter to the scale factor (antialiasing) so small outputs do not alias.
Image resize(const Image& img, int out_h, int out_w);

struct CropBox {
  int y = 0, x = 0, h = 0, w = 0;
};
Image crop(const Image& img, const CropBox& box);  // box must lie inside the image
CropBox center_square_box(int img_h, int img_w);
// A square centred on the box (x, y, w, h in pixels) with side margin * max(w, h), shifted to stay inside the image
// and shrunk to the image's shorter side if needed, so the crop never needs padding.
CropBox square_box_around(float box_x, float box_y, float box_w, float box_h, int img_h, int img_w, float margin);

// In-place mirror about the vertical axis.
void flip_horizontal(Image& img);
// 1 where the mask is > 0.5, else 0: how a resized mask becomes binary again (SPEC §6).
Image threshold(const Image& mask, float at = 0.5f);

// A cut-out: the photo (RGB in [-1, 1]) with `alpha` (1 channel in [0, 1], the same size) as a 4th channel, so the
// background is transparent and the edges are as soft as alpha is. Write it as PNG.
Image with_alpha(const Image& rgb, const Image& alpha);
// The photo with the outline of `mask` (> 0.5 inside) painted in `colour` (RGB in [-1, 1]): every inside pixel that
// has an outside pixel within `width` pixels (Chebyshev distance): a line `width` pixels wide on the object's own
// border.
// The image's edge is not an outline: an object cut by the frame stays open there.
Image draw_outline(const Image& photo, const Image& mask, int width, const float (&colour)[3]);

}  // namespace ls::data
