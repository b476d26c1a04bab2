// models/selection.cpp — the validation set, the mask health and F's score of models/selection.h.
#include "models/selection.h"

#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "kernels/error.h"
#include "models/run.h"

namespace ls::models {
namespace {

// Mask-health bounds: a mean coverage outside [2 %, 95 %] is the collapse the MI terms exist to prevent; under 50 %
// of the pixels near-binary, π is no longer a layer mask but a blend, and its pairs teach F nothing crisp.
constexpr double kMinCoverage = 0.02, kMaxCoverage = 0.95, kMinBinaryFraction = 0.5;

}  // namespace

MaskHealth mask_health(const Tensor& masks) {
  const std::vector<float> m = masks.to_vector();
  const int64_t n = masks.size(0), per = masks.numel() / n;
  MaskHealth h;
  std::vector<double> cov(size_t(n), 0.0);
  int64_t binary = 0, foreground = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < per; ++p) {
      const float v = m[size_t(i * per + p)];
      cov[size_t(i)] += v;
      binary += v < 0.1f || v > 0.9f;
      foreground += v > 0.5f;
    }
  for (double& c : cov) c /= double(per), h.coverage += c / double(n);
  for (double c : cov) h.coverage_std += (c - h.coverage) * (c - h.coverage) / double(n);
  h.coverage_std = std::sqrt(h.coverage_std);
  h.binary_fraction = double(binary) / double(masks.numel());
  h.foreground = double(foreground) / double(masks.numel());
  if (h.foreground < kMinCoverage)
    h.problem = fmt::format("{:.1f} % of mask pixels above 0.5: the masks hold no objects", 100 * h.foreground);
  else if (h.coverage < kMinCoverage)
    h.problem =
        fmt::format("mask coverage {:.3f} below {}: the masks collapsed to background", h.coverage, kMinCoverage);
  else if (h.coverage > kMaxCoverage)
    h.problem =
        fmt::format("mask coverage {:.3f} above {}: the masks collapsed to foreground", h.coverage, kMaxCoverage);
  else if (h.binary_fraction < kMinBinaryFraction)
    h.problem = fmt::format("only {:.0f} % of mask pixels near 0 or 1: the masks are blends", 100 * h.binary_fraction);
  return h;
}

nlohmann::json MaskHealth::to_json() const {
  nlohmann::json j = {{"coverage", coverage},
                      {"coverage_std", coverage_std},
                      {"binary_fraction", binary_fraction},
                      {"foreground", foreground}};
  if (!problem.empty()) j["problem"] = problem;
  return j;
}

nlohmann::json SelectionScore::to_json() const {
  return {{"score", score()}, {"synthetic_iou", iou}, {"background_response", bg_response}};
}

ValidationSet synthetic_validation_set(Generator& g, const Config& cfg, int n, Device device) {
  LS_CHECK(n > 0, "selection: the validation set needs at least one sample");
  Rng rng(cfg.train.seed ^ 0x5E1EC7ull);  // the same pairs at every call; never the training stream
  // As every synthesis of the trainer: the generator in training mode (batch statistics over seg_batch samples).
  const Synthetic s = synthesize(g, cfg.model, n, cfg.train.seg_batch, rng, device);
  ValidationSet v{s.image, s.layers.pi, s.layers.x_b, {}};
  v.health = mask_health(v.masks);
  return v;
}

Choice choose_unet(int round, int kept_round, const MaskHealth& health, const SelectionScore& now,
                   const SelectionScore& kept) {
  if (kept_round == 0) return {true, fmt::format("round {}: the first F", round)};
  if (!health.problem.empty())
    return {false, fmt::format("round {}: kept round {}'s F, the generator's masks are unhealthy ({})", round,
                               kept_round, health.problem)};
  const bool take = now.score() >= kept.score();
  return {take,
          fmt::format("round {}: {} round {}'s F ({:.4f}) over round {}'s ({:.4f}) on this round's synthetic "
                      "set",
                      round, take ? "chose" : "kept", take ? round : kept_round, take ? now.score() : kept.score(),
                      take ? kept_round : round, take ? kept.score() : now.score())};
}

SelectionScore score_unet(UNet& f, const ValidationSet& v, int batch) {
  autograd::NoGradGuard no_grad;
  const EvalModeGuard eval(f);
  const int64_t n = v.images.size(0);
  double inter = 0, uni = 0, bg = 0;
  for (int64_t b = 0; b < n; b += batch) {
    const int64_t e = std::min<int64_t>(n, b + batch);
    const std::vector<float> p = sigmoid(f.forward(slice(v.images, 0, b, e))).to_vector();
    const std::vector<float> m = slice(v.masks, 0, b, e).to_vector();
    for (size_t i = 0; i < p.size(); ++i) {
      const bool pf = p[i] > 0.5f, mf = m[i] > 0.5f;
      inter += pf && mf;
      uni += pf || mf;
    }
    for (float q : sigmoid(f.forward(slice(v.backgrounds, 0, b, e))).to_vector()) bg += q;
  }
  SelectionScore s;
  s.iou = uni > 0 ? inter / uni : 0.0;
  s.bg_response = bg / double(v.masks.numel());
  return s;
}

}  // namespace ls::models
