// data/grid.cpp — PictureGrid of data/grid.h: layout, nearest-neighbour enlargement and the label font.
#include "data/grid.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "kernels/error.h"

namespace ls::data {
namespace {

// A 5×7 font: five column bytes per glyph, bit 0 the top row (the classic HD44780-style glyphs).
struct Glyph {
  char ch;
  std::array<unsigned char, 5> cols;
};
constexpr Glyph kFont[] = {
    {' ', {0x00, 0x00, 0x00, 0x00, 0x00}}, {'(', {0x00, 0x1C, 0x22, 0x41, 0x00}}, {')', {0x00, 0x41, 0x22, 0x1C, 0x00}},
    {'*', {0x14, 0x08, 0x3E, 0x08, 0x14}}, {'-', {0x08, 0x08, 0x08, 0x08, 0x08}}, {'.', {0x00, 0x60, 0x60, 0x00, 0x00}},
    {'/', {0x20, 0x10, 0x08, 0x04, 0x02}}, {'=', {0x14, 0x14, 0x14, 0x14, 0x14}}, {'0', {0x3E, 0x51, 0x49, 0x45, 0x3E}},
    {'1', {0x00, 0x42, 0x7F, 0x40, 0x00}}, {'2', {0x72, 0x49, 0x49, 0x49, 0x46}}, {'3', {0x21, 0x41, 0x49, 0x4D, 0x33}},
    {'4', {0x18, 0x14, 0x12, 0x7F, 0x10}}, {'5', {0x27, 0x45, 0x45, 0x45, 0x39}}, {'6', {0x3C, 0x4A, 0x49, 0x49, 0x31}},
    {'7', {0x41, 0x21, 0x11, 0x09, 0x07}}, {'8', {0x36, 0x49, 0x49, 0x49, 0x36}}, {'9', {0x46, 0x49, 0x49, 0x29, 0x1E}},
    {'A', {0x7C, 0x12, 0x11, 0x12, 0x7C}}, {'B', {0x7F, 0x49, 0x49, 0x49, 0x36}}, {'C', {0x3E, 0x41, 0x41, 0x41, 0x22}},
    {'D', {0x7F, 0x41, 0x41, 0x22, 0x1C}}, {'E', {0x7F, 0x49, 0x49, 0x49, 0x41}}, {'F', {0x7F, 0x09, 0x09, 0x09, 0x01}},
    {'G', {0x3E, 0x41, 0x49, 0x49, 0x7A}}, {'H', {0x7F, 0x08, 0x08, 0x08, 0x7F}}, {'I', {0x00, 0x41, 0x7F, 0x41, 0x00}},
    {'J', {0x20, 0x40, 0x41, 0x3F, 0x01}}, {'K', {0x7F, 0x08, 0x14, 0x22, 0x41}}, {'L', {0x7F, 0x40, 0x40, 0x40, 0x40}},
    {'M', {0x7F, 0x02, 0x0C, 0x02, 0x7F}}, {'N', {0x7F, 0x04, 0x08, 0x10, 0x7F}}, {'O', {0x3E, 0x41, 0x41, 0x41, 0x3E}},
    {'P', {0x7F, 0x09, 0x09, 0x09, 0x06}}, {'Q', {0x3E, 0x41, 0x51, 0x21, 0x5E}}, {'R', {0x7F, 0x09, 0x19, 0x29, 0x46}},
    {'S', {0x26, 0x49, 0x49, 0x49, 0x32}}, {'T', {0x01, 0x01, 0x7F, 0x01, 0x01}}, {'U', {0x3F, 0x40, 0x40, 0x40, 0x3F}},
    {'V', {0x1F, 0x20, 0x40, 0x20, 0x1F}}, {'W', {0x3F, 0x40, 0x38, 0x40, 0x3F}}, {'X', {0x63, 0x14, 0x08, 0x14, 0x63}},
    {'Y', {0x07, 0x08, 0x70, 0x08, 0x07}}, {'Z', {0x61, 0x51, 0x49, 0x45, 0x43}},
};
// Each font pixel is drawn as a kDot × kDot square: 10×14-pixel letters, legible beside 128-pixel tiles.
constexpr int kDot = 2, kGlyphW = 5 * kDot, kGlyphH = 7 * kDot, kAdvance = kGlyphW + kDot, kMargin = 8;

const Glyph& glyph(char c) {
  const char up = char(std::toupper(static_cast<unsigned char>(c)));
  for (const Glyph& g : kFont)
    if (g.ch == up) return g;
  LS_FAIL("picture grid: the label font has no '{}' (it has A-Z, 0-9, space and - . * / ( ) =)", c);
}

void draw_text(Image& out, const std::string& text, int x0, int y0) {
  for (size_t i = 0; i < text.size(); ++i) {
    const Glyph& g = glyph(text[i]);
    for (int col = 0; col < 5; ++col)
      for (int row = 0; row < 7; ++row) {
        if (!(g.cols[size_t(col)] >> row & 1)) continue;
        for (int dy = 0; dy < kDot; ++dy)
          for (int dx = 0; dx < kDot; ++dx)
            for (int c = 0; c < 3; ++c)
              out.at(y0 + row * kDot + dy, x0 + int(i) * kAdvance + col * kDot + dx, c) = -1.f;
      }
  }
}

}  // namespace

PictureGrid::PictureGrid(int min_tile, int separator) : min_tile_(min_tile), separator_(separator) {
  LS_CHECK(min_tile >= 1 && separator >= 0, "picture grid: min_tile {} must be >= 1 and separator {} >= 0", min_tile,
           separator);
}

void PictureGrid::add_row(const std::vector<Image>& cells, const std::string& label) {
  LS_CHECK(!cells.empty(), "picture grid: empty row");
  for (const Image& c : cells) {
    LS_CHECK(c.c == 1 || c.c == 3, "picture grid: cells need 1 or 3 channels, got {}", c.c);
    const Image& first = rows_.empty() ? cells[0] : rows_[0][0];
    LS_CHECK(c.h == first.h && c.w == first.w, "picture grid: cell is {}x{}, the grid's cells are {}x{}", c.w, c.h,
             first.w, first.h);
  }
  for (char ch : label) glyph(ch);  // an unknown character fails here, where the caller passed it
  rows_.push_back(cells);
  labels_.push_back(label);
}

void PictureGrid::add_row(const Tensor& batch, const std::string& label) {
  check_dim("picture grid", batch, 4);
  const int64_t n = batch.size(0);
  const int c = int(batch.size(1)), h = int(batch.size(2)), w = int(batch.size(3));
  const std::vector<float> v = batch.to_vector();
  std::vector<Image> cells;
  for (int64_t i = 0; i < n; ++i) {
    Image img(h, w, c);
    for (int ch = 0; ch < c; ++ch)
      for (int p = 0; p < h * w; ++p) img.px[size_t(p) * c + ch] = v[size_t(((i * c) + ch) * h * w + p)];
    cells.push_back(std::move(img));
  }
  add_row(cells, label);
}

int PictureGrid::scale() const {
  LS_CHECK(!rows_.empty(), "picture grid: nothing to draw");
  const int side = std::min(rows_[0][0].h, rows_[0][0].w);
  return std::max(1, (min_tile_ + side - 1) / side);
}

Image PictureGrid::compose() const {
  const int s = scale();
  const int th = rows_[0][0].h * s, tw = rows_[0][0].w * s;
  size_t cols = 0, longest = 0;
  for (const auto& r : rows_) cols = std::max(cols, r.size());
  for (const auto& l : labels_) longest = std::max(longest, l.size());
  LS_CHECK(longest == 0 || th >= kGlyphH, "picture grid: tiles {} px high cannot hold a {} px label", th, kGlyphH);
  const int label_w = longest ? 2 * kMargin + int(longest) * kAdvance - kDot : 0;
  const int H = separator_ + int(rows_.size()) * (th + separator_);
  const int W = label_w + separator_ + int(cols) * (tw + separator_);
  Image out(H, W, 3, 1.f);
  for (size_t r = 0; r < rows_.size(); ++r) {
    const int y0 = separator_ + int(r) * (th + separator_);
    draw_text(out, labels_[r], kMargin, y0 + (th - kGlyphH) / 2);
    for (size_t k = 0; k < rows_[r].size(); ++k) {
      const Image& cell = rows_[r][k];
      const int x0 = label_w + separator_ + int(k) * (tw + separator_);
      for (int y = 0; y < th; ++y)
        for (int x = 0; x < tw; ++x)
          for (int c = 0; c < 3; ++c)
            out.at(y0 + y, x0 + x, c) = cell.c == 3 ? cell.at(y / s, x / s, c) : 2.f * cell.at(y / s, x / s) - 1.f;
    }
  }
  return out;
}

}  // namespace ls::data
