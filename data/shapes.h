// data/shapes.h — the embedded procedural "shapes" dataset (SPEC §7): one textured object of one of K kinds at a
// random pose over an independently drawn background, with its exact mask and kind label. No download needed.
// Deterministic: sample i depends only on (seed, i, size, kinds), so any subset can be regenerated.
//   ls::data::ShapesOptions opt;  opt.n = 2000;  opt.size = 32;  opt.seed = 1;
//   ls::data::Dataset ds = ls::data::make_shapes(opt);               // in memory, masks + labels
//   layerseg data shapes --n 2000 --size 32 --seed 1 --out shapes32   // the same, written in the folder layout
#pragma once
#include <cstdint>
#include <string>

#include "data/dataset.h"
#include "data/image.h"

namespace ls::data {

constexpr int kMaxShapeKinds = 8;
// ellipse, rectangle, triangle, star, ring, cross, crescent, hexagon — in label order.
const char* shape_kind_name(int kind);

struct ShapesOptions {
  int64_t n = 1000;
  int size = 32;
  uint64_t seed = 0;
  int kinds = kMaxShapeKinds;  // K_c, 2..8; labels are balanced: sample i has kind i % kinds
};

// One sample with its two layers: image = mask ? foreground : background, exactly, pixel by pixel.
struct ShapeSample {
  Image image, mask, background, foreground;  // RGB in [-1, 1]; mask 1 channel in {0, 1}
  int kind = 0;
};

ShapeSample make_shape_sample(const ShapesOptions& opt, int64_t index);
Dataset make_shapes(const ShapesOptions& opt);  // names "shape_000000", ...

}  // namespace ls::data
