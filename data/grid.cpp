// data/grid.cpp — PictureGrid of data/grid.h.
#include "data/grid.h"

#include <algorithm>

#include "core/error.h"

namespace ls::data {

void PictureGrid::add_row(const std::vector<Image>& cells) {
  LS_CHECK(!cells.empty(), "picture grid: empty row");
  for (const Image& c : cells) {
    LS_CHECK(c.c == 1 || c.c == 3, "picture grid: cells need 1 or 3 channels, got {}", c.c);
    const Image& first = rows_.empty() || rows_[0].empty() ? cells[0] : rows_[0][0];
    LS_CHECK(c.h == first.h && c.w == first.w, "picture grid: cell is {}x{}, the grid's cells are {}x{}", c.w, c.h,
             first.w, first.h);
  }
  rows_.push_back(cells);
}

void PictureGrid::add_row(const Tensor& batch, int max_cells) {
  check_dim("picture grid", batch, 4);
  const int64_t n = max_cells < 0 ? batch.size(0) : std::min<int64_t>(batch.size(0), max_cells);
  const int c = int(batch.size(1)), h = int(batch.size(2)), w = int(batch.size(3));
  const std::vector<float> v = batch.to_vector();
  std::vector<Image> cells;
  for (int64_t i = 0; i < n; ++i) {
    Image img(h, w, c);
    for (int ch = 0; ch < c; ++ch)
      for (int p = 0; p < h * w; ++p) img.px[size_t(p) * c + ch] = v[size_t(((i * c) + ch) * h * w + p)];
    cells.push_back(std::move(img));
  }
  add_row(cells);
}

Image PictureGrid::compose() const {
  LS_CHECK(!rows_.empty() && !rows_[0].empty(), "picture grid: nothing to draw");
  const int ch = rows_[0][0].h, cw = rows_[0][0].w;
  size_t cols = 0;
  for (const auto& r : rows_) cols = std::max(cols, r.size());
  const int H = padding_ + int(rows_.size()) * (ch + padding_), W = padding_ + int(cols) * (cw + padding_);
  Image out(H, W, 3, 1.f);
  for (size_t r = 0; r < rows_.size(); ++r)
    for (size_t k = 0; k < rows_[r].size(); ++k) {
      const Image& cell = rows_[r][k];
      const int y0 = padding_ + int(r) * (ch + padding_), x0 = padding_ + int(k) * (cw + padding_);
      for (int y = 0; y < ch; ++y)
        for (int x = 0; x < cw; ++x)
          for (int c = 0; c < 3; ++c)
            out.at(y0 + y, x0 + x, c) = cell.c == 3 ? cell.at(y, x, c) : 2.f * cell.at(y, x) - 1.f;
    }
  return out;
}

}  // namespace ls::data
