// data/grid.h — picture grids as PNG: rows of images and masks, e.g. SPEC §8's Fig. 5 (background, foreground x
// mask, mask, composite) and Fig. 6 (input, ground truth, prediction). Cells are 32² or 64² pictures, too small to
// see at screen scale, so the grid draws each one enlarged by a whole factor (nearest neighbour, so pixels stay
// sharp and a mask stays binary) to at least `min_tile` pixels, with a thin white separator, and writes each row's
// label in a column on the left (a built-in 5×7 bitmap font: A–Z, 0–9, space and - . * / ( ) =).
//   ls::data::PictureGrid grid;
//   grid.add_row(batch.images, "input");   // [N,3,H,W] in [-1,1]   (a [N,1,H,W] row is shown as grey masks in [0,1])
//   grid.add_row(batch.masks, "truth");
//   grid.write("fig6.png");
#pragma once
#include <string>
#include <vector>

#include "core/tensor.h"
#include "data/image.h"

namespace ls::data {

class PictureGrid {
 public:
  explicit PictureGrid(int min_tile = 128, int separator = 2);
  // Cells follow data/image.h's convention (3 channels in [-1, 1], 1 channel in [0, 1]); all cells of a grid share
  // one height and width. Labels are drawn upper-case; a character the font lacks is an error.
  void add_row(const std::vector<Image>& cells, const std::string& label = "");
  void add_row(const Tensor& batch, const std::string& label = "");  // [N, 1 or 3, H, W], any device
  int scale() const;      // the whole factor cells are enlarged by: the smallest with both sides >= min_tile
  Image compose() const;  // RGB in [-1, 1]; separators and the label column are white, text black
  void write(const std::string& path) const { write_image(path, compose()); }

 private:
  int min_tile_, separator_;
  std::vector<std::vector<Image>> rows_;
  std::vector<std::string> labels_;
};

}  // namespace ls::data
