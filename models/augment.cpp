// models/augment.cpp — the augmentations of models/augment.h.
#include "models/augment.h"

#include <algorithm>

#include "core/ops.h"
#include "core/perturb.h"
#include "kernels/error.h"

namespace ls::models {
namespace {

// `k` integers uniform in [lo, hi] per row of the batch, from one fill over all its rows; `rows`' rows in order.
std::vector<int> random_ints(Rng& rng, const dist::BatchRows& rows, int64_t k, int lo, int hi) {
  std::vector<float> all(static_cast<size_t>(rows.total * k));
  rng.fill_uniform(all.data(), all.size());
  const std::vector<float> u = rows.pick(all, k);
  std::vector<int> out(u.size());
  for (size_t i = 0; i < u.size(); ++i) out[i] = std::min(hi, lo + int(u[i] * float(hi - lo + 1)));
  return out;
}

// Shifts by whole pixels are exact under bilinear sampling, so the fused composite with an opaque foreground over
// a zero background is the translation with zeros shifted in, and it carries the gradient back to x.
Tensor translate(const Tensor& x, Rng& rng, const dist::BatchRows& rows) {
  const int64_t n = x.size(0), s = x.size(2);
  const int max_shift = int(s / 8);
  const std::vector<int> shift = random_ints(rng, rows, 2, -max_shift, max_shift);
  std::vector<float> theta;
  for (int64_t i = 0; i < n; ++i) {
    const auto th = motion_theta(2.f * float(shift[size_t(2 * i)]) / float(s),
                                 2.f * float(shift[size_t(2 * i + 1)]) / float(s), 0.f, 1.f);
    theta.insert(theta.end(), th.begin(), th.end());
  }
  const Device d = x.device();
  const Tensor opaque = Tensor::full({n, 1, s, s}, 1.f, d);
  return compose_perturbed(Tensor::zeros(x.shape(), d), x, opaque, Tensor::from_vector({n, 6}, theta, d)).image;
}

// DiffAugment's cutout: a square of side S/2 centred on a random pixel, clipped to the image.
Tensor cutout(const Tensor& x, Rng& rng, const dist::BatchRows& rows) {
  const int64_t n = x.size(0), s = x.size(2);
  const int side = int(s / 2);
  const std::vector<int> centre = random_ints(rng, rows, 2, 0, int(s) - 1);
  std::vector<float> keep(size_t(n * s * s), 1.f);
  for (int64_t i = 0; i < n; ++i) {
    const int y0 = std::max(0, centre[size_t(2 * i)] - side / 2), y1 = std::min(int(s), y0 + side);
    const int x0 = std::max(0, centre[size_t(2 * i + 1)] - side / 2), x1 = std::min(int(s), x0 + side);
    for (int y = y0; y < y1; ++y) std::fill_n(keep.begin() + (i * s + y) * s + x0, x1 - x0, 0.f);
  }
  return x * Tensor::from_vector({n, 1, s, s}, keep, x.device());
}

}  // namespace

// The batch's rows: the given ones, else all of x's.
static dist::BatchRows rows_of(const Tensor& x, const dist::BatchRows* rows) {
  if (!rows) return dist::BatchRows::all(x.size(0));
  LS_CHECK(rows->count() == x.size(0), "augmentation: {} rows for a batch of {}", rows->count(), x.size(0));
  return *rows;
}

Tensor colour_augment(const Tensor& x, Rng& rng, const ColourRanges& r, const dist::BatchRows* rows) {
  const dist::BatchRows b = rows_of(x, rows);
  const int64_t n = b.total;
  const Device d = x.device();
  const Tensor brightness = b.pick(Tensor::uniform({n, 1, 1, 1}, rng, -r.brightness, r.brightness, d));
  const Tensor contrast = b.pick(Tensor::uniform({n, 1, 1, 1}, rng, r.contrast_lo, r.contrast_hi, d));
  const Tensor saturation = b.pick(Tensor::uniform({n, 1, 1, 1}, rng, r.saturation_lo, r.saturation_hi, d));
  const Tensor m = mean(x, {1, 2, 3}, true);
  const Tensor c = (x - m) * contrast + m + brightness;
  const Tensor grey = mean(c, {1}, true);
  return grey + (c - grey) * saturation;
}

DiffAugmentPolicy parse_diff_augment(const std::string& text, const std::string& key) {
  DiffAugmentPolicy p;
  if (text == "none") return p;
  for (size_t start = 0; start <= text.size();) {
    const size_t end = std::min(text.find(',', start), text.size());
    const std::string part = text.substr(start, end - start);
    bool* flag = part == "colour"        ? &p.colour
                 : part == "translation" ? &p.translation
                 : part == "cutout"      ? &p.cutout
                                         : nullptr;
    LS_CHECK(flag && !*flag,
             "{} = '{}': '{}' is not allowed (use 'none' or a comma-separated subset of colour, translation, cutout, "
             "each once)",
             key, text, part);
    *flag = true;
    start = end + 1;
  }
  return p;
}

Tensor diff_augment(const Tensor& x, const DiffAugmentPolicy& p, Rng& rng, const dist::BatchRows* rows) {
  LS_CHECK(x.dim() == 4 && x.size(2) == x.size(3), "diff_augment: expected square images [N,C,S,S], got {}",
           shape_str(x.shape()));
  const dist::BatchRows b = rows_of(x, rows);
  Tensor y = x;
  if (p.colour) y = colour_augment(y, rng, kDiffAugmentColour, &b);
  if (p.translation) y = translate(y, rng, b);
  if (p.cutout) y = cutout(y, rng, b);
  return y;
}

}  // namespace ls::models
