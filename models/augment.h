// models/augment.h — random, differentiable image augmentations built from engine ops, so gradients reach the
// generator through them:
//   - colour_augment: per-image brightness, contrast and saturation (F's inputs [ILS], and D's inputs);
//   - diff_augment:   DiffAugment (Zhao et al., NeurIPS 2020) on everything D sees, real and generated, in both
//     the D and the G step [choice: ILS trains with StyleGAN2-ADA's augmentations; a plain D memorises the 328
//     Weizmann horses, its hinge loss falling from 1.0 to 0.23 over 13k steps]. Policy "colour,translation,cutout".
// Tested by tests/test_augment.cpp: build/layerseg_tests --gtest_filter='Augment*'
#pragma once
#include <string>

#include "core/distributed.h"
#include "core/rng.h"
#include "core/tensor.h"

namespace ls::models {

// Per image: c = (x − mean(x))·contrast + mean(x) + brightness, then saturation scales c's distance from its grey.
// Each factor is uniform in its range.
struct ColourRanges {
  float brightness;  // ± this
  float contrast_lo, contrast_hi;
  float saturation_lo, saturation_hi;
};
constexpr ColourRanges kSegmentationColour{0.2f, 0.7f, 1.3f, 0.7f, 1.3f};  // [ILS] mild: F's inputs
constexpr ColourRanges kDiffAugmentColour{0.5f, 0.5f, 1.5f, 0.f, 2.f};     // DiffAugment's ranges
// `rows` (here and in diff_augment): which rows of a global batch x holds in a data-parallel job; the draws are made
// for the whole batch, so every rank applies what one process would (core/distributed.h). Default: x is the batch.
Tensor colour_augment(const Tensor& x, Rng& rng, const ColourRanges& r, const dist::BatchRows* rows = nullptr);

struct DiffAugmentPolicy {
  bool colour = false;
  bool translation = false;  // integer shift up to ±S/8 per axis, zeros shifted in
  bool cutout = false;       // one S/2 square per image set to 0 (mid-grey), clipped at the border
  bool any() const { return colour || translation || cutout; }
};
// "none", or a comma-separated subset of colour, translation, cutout; anything else is an error naming `key`.
DiffAugmentPolicy parse_diff_augment(const std::string& text, const std::string& key);
// x [N,3,S,S] in [−1, 1]; fresh draws per image from rng, in the order colour, translation, cutout.
Tensor diff_augment(const Tensor& x, const DiffAugmentPolicy& p, Rng& rng, const dist::BatchRows* rows = nullptr);

}  // namespace ls::models
