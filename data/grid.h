// data/grid.h — picture grids as PNG: rows of images and masks, e.g. SPEC §8's Fig. 5 (background, foreground x
// mask, mask, composite) and Fig. 6 (input, ground truth, prediction).
//   ls::data::PictureGrid grid;
//   grid.add_row(batch.images);   // [N,3,H,W] in [-1,1]   (a [N,1,H,W] row is shown as grey masks in [0,1])
//   grid.add_row(batch.masks);
//   grid.write("fig6.png");
#pragma once
#include <string>
#include <vector>

#include "core/tensor.h"
#include "data/image.h"

namespace ls::data {

class PictureGrid {
 public:
  explicit PictureGrid(int padding = 2) : padding_(padding) {}
  // Cells follow data/image.h's convention (3 channels in [-1, 1], 1 channel in [0, 1]); all cells of a grid share
  // one height and width.
  void add_row(const std::vector<Image>& cells);
  void add_row(const Tensor& batch, int max_cells = -1);  // [N, 1 or 3, H, W], any device
  Image compose() const;                                  // RGB in [-1, 1]; padding is white
  void write(const std::string& path) const { write_image(path, compose()); }

 private:
  int padding_;
  std::vector<std::vector<Image>> rows_;
};

}  // namespace ls::data
