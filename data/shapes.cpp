// data/shapes.cpp — geometry, textures and backgrounds of the procedural shapes dataset (data/shapes.h).
// Design: object colour schemes are kind-dependent but backgrounds draw colours from the whole colour space, so
// colour alone does not segment; objects land anywhere they fit, so a centred prior does not segment either.
// Textures live in the object's own frame (they rotate with it) and backgrounds are smooth, so a layered GAN can
// model both layers at 32x32.
#include "data/shapes.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "core/rng.h"
#include "kernels/error.h"
#include "kernels/parallel.h"

namespace ls::data {
namespace {

constexpr float kPi = 3.14159265358979f;
enum Kind { kEllipse, kRectangle, kTriangle, kStar, kRing, kCross, kCrescent, kHexagon };
constexpr std::array<const char*, kMaxShapeKinds> kKindNames = {"ellipse", "rectangle", "triangle", "star",
                                                                "ring",    "cross",     "crescent", "hexagon"};

struct Vec2 {
  float x, y;
};
using Rgb = std::array<float, 3>;

bool inside_polygon(const std::vector<Vec2>& poly, Vec2 p) {  // even-odd rule
  bool in = false;
  for (size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
    const Vec2 a = poly[i], b = poly[j];
    if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) in = !in;
  }
  return in;
}

std::vector<Vec2> regular_polygon(int corners, float radius, float phase, float inner_radius = 0.f) {
  std::vector<Vec2> v;
  const bool star = inner_radius > 0.f;
  const int n = star ? 2 * corners : corners;
  for (int k = 0; k < n; ++k) {
    const float a = phase + 2.f * kPi * float(k) / float(n);
    const float r = (star && k % 2 == 1) ? inner_radius : radius;
    v.push_back({r * std::cos(a), r * std::sin(a)});
  }
  return v;
}

// Every kind lies within the unit disc of its local frame (before aspect), which bounds its placement.
bool inside_kind(int kind, Vec2 u) {
  static const std::vector<Vec2> triangle = regular_polygon(3, 1.f, kPi / 2);
  static const std::vector<Vec2> star = regular_polygon(5, 1.f, kPi / 2, 0.45f);
  static const std::vector<Vec2> hexagon = regular_polygon(6, 1.f, 0.f);
  const float r2 = u.x * u.x + u.y * u.y;
  switch (kind) {
    case kEllipse:
      return r2 <= 1.f;
    case kRectangle:
      return std::abs(u.x) <= 0.7f && std::abs(u.y) <= 0.7f;  // a square before the aspect stretch
    case kTriangle:
      return inside_polygon(triangle, u);
    case kStar:
      return inside_polygon(star, u);
    case kRing:
      return r2 <= 1.f && r2 >= 0.55f * 0.55f;
    case kCross:
      return (std::abs(u.x) <= 0.3f && std::abs(u.y) <= 0.95f) || (std::abs(u.y) <= 0.3f && std::abs(u.x) <= 0.95f);
    case kCrescent: {  // a disc minus an offset disc
      const float dx = u.x - 0.45f;
      return r2 <= 1.f && dx * dx + u.y * u.y > 0.8f * 0.8f;
    }
    case kHexagon:
      return inside_polygon(hexagon, u);
  }
  LS_FAIL("shapes: unknown kind {}", kind);
}

// Area of each kind in its local frame, measured once on a fine grid so object sizes can target a pixel coverage.
float unit_area(int kind) {
  static const std::array<float, kMaxShapeKinds> areas = [] {
    std::array<float, kMaxShapeKinds> a{};
    constexpr int n = 400;
    for (int k = 0; k < kMaxShapeKinds; ++k) {
      int hits = 0;
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) hits += inside_kind(k, {-1.f + 2.f * (j + 0.5f) / n, -1.f + 2.f * (i + 0.5f) / n});
      a[k] = 4.f * float(hits) / float(n * n);
    }
    return a;
  }();
  return areas[size_t(kind)];
}

Rgb hsv_to_rgb(float h, float s, float v) {
  h = std::fmod(std::fmod(h, 1.f) + 1.f, 1.f) * 6.f;
  const int i = int(h) % 6;
  const float f = h - std::floor(h), p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  switch (i) {
    case 0:
      return {v, t, p};
    case 1:
      return {q, v, p};
    case 2:
      return {p, v, t};
    case 3:
      return {p, q, v};
    case 4:
      return {t, p, v};
    default:
      return {v, p, q};
  }
}

Rgb mix(const Rgb& a, const Rgb& b, float t) {
  return {a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t};
}
Rgb scale(const Rgb& a, float k) { return {a[0] * k, a[1] * k, a[2] * k}; }

Rgb random_colour(Rng& rng) { return hsv_to_rgb(rng.uniform(), rng.uniform(0.15f, 0.9f), rng.uniform(0.2f, 0.95f)); }

// The background: one of three smooth families, colours from the whole space (independent of the object).
Image draw_background(Rng& rng, int size) {
  Image bg(size, size, 3);
  const int family = rng.randint(3);
  const Rgb c0 = random_colour(rng), c1 = random_colour(rng);
  const float angle = rng.uniform(0.f, 2.f * kPi), dx = std::cos(angle), dy = std::sin(angle);
  struct Blob {
    float x, y, sigma;
    Rgb colour;
  };
  std::vector<Blob> blobs;
  float period = 1.f, phase = 0.f;
  if (family == 1) {
    period = rng.uniform(0.3f, 0.6f);
    phase = rng.uniform(0.f, 2.f * kPi);
  } else if (family == 2) {
    const int n_blobs = 3 + rng.randint(3);
    for (int k = 0; k < n_blobs; ++k)
      blobs.push_back({rng.uniform(), rng.uniform(), rng.uniform(0.1f, 0.25f), random_colour(rng)});
  }
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const float px = (x + 0.5f) / size, py = (y + 0.5f) / size;
      const float along = (px - 0.5f) * dx + (py - 0.5f) * dy;  // in [-0.71, 0.71]
      Rgb c;
      if (family == 0) {  // linear gradient
        c = mix(c0, c1, std::clamp(along / 1.42f + 0.5f, 0.f, 1.f));
      } else if (family == 1) {  // broad stripes with soft edges
        const float s = std::sin(2.f * kPi * along / period + phase);
        c = mix(c0, c1, std::clamp(0.5f + 1.5f * s, 0.f, 1.f));
      } else {  // blotches of colour on a base
        c = c0;
        for (const Blob& b : blobs) {
          const float d2 = (px - b.x) * (px - b.x) + (py - b.y) * (py - b.y);
          c = mix(c, b.colour, std::exp(-d2 / (2.f * b.sigma * b.sigma)));
        }
      }
      for (int ch = 0; ch < 3; ++ch) bg.at(y, x, ch) = c[size_t(ch)];
    }
  return bg;
}

// Each kind owns a hue band (so E_x can cluster by kind) and a texture drawn in the object's frame.
Rgb object_colour(int kind, Vec2 u, float hue, float sat, float val, float grain) {
  const Rgb base = hsv_to_rgb(hue, sat, val);
  const float r = std::sqrt(u.x * u.x + u.y * u.y);
  switch (kind) {
    case kEllipse:
      return scale(base, 1.f - 0.45f * r * r);  // radial shading
    case kRectangle:
      return std::fmod(u.y + 2.f, 0.6f) < 0.3f ? base : scale(base, 0.5f);  // stripes
    case kTriangle:
      return scale(base, 0.55f + 0.45f * (0.5f - 0.5f * u.y));  // linear gradient
    case kStar:
      return r < 0.35f ? hsv_to_rgb(hue, sat * 0.3f, 1.f) : base;  // pale core
    case kRing: {                                                  // two-tone sectors
      const int sector = int(std::floor((std::atan2(u.y, u.x) + kPi) / (2.f * kPi) * 6.f));
      return sector % 2 ? base : hsv_to_rgb(hue + 0.08f, sat * 0.6f, std::min(1.f, val * 1.2f));
    }
    case kCross:
      return std::cos(3.f * kPi * u.x) * std::cos(3.f * kPi * u.y) > 0.3f ? scale(base, 0.55f) : base;  // dots
    case kCrescent:
      return scale(base, 0.75f + 0.25f * grain);  // per-pixel grain
    case kHexagon:
      return int(r * 3.f) % 2 ? scale(base, 0.6f) : base;  // concentric bands
  }
  LS_FAIL("shapes: unknown kind {}", kind);
}

}  // namespace

const char* shape_kind_name(int kind) {
  LS_CHECK(kind >= 0 && kind < kMaxShapeKinds, "shapes: kind {} outside 0..{}", kind, kMaxShapeKinds - 1);
  return kKindNames[size_t(kind)];
}

ShapeSample make_shape_sample(const ShapesOptions& opt, int64_t index) {
  LS_CHECK(opt.size >= 8, "shapes: size must be at least 8, got {}", opt.size);
  LS_CHECK(opt.kinds >= 2 && opt.kinds <= kMaxShapeKinds, "shapes: kinds must be 2..{}, got {}", kMaxShapeKinds,
           opt.kinds);
  Rng rng;
  rng.set_state(opt.seed, uint64_t(index) << 32);  // a private stream per sample: any index regenerates alone
  const int s = opt.size;
  ShapeSample out;
  out.kind = int(index % opt.kinds);
  out.background = draw_background(rng, s);

  // Pose: size set by a target pixel coverage, then the bounding radius must leave room to move.
  const float coverage = rng.uniform(0.08f, 0.25f);
  const float aspect = std::exp(rng.uniform(std::log(0.7f), std::log(1.4f)));
  const float sx = std::sqrt(aspect), sy = 1.f / std::sqrt(aspect);
  const float max_bound = 0.36f * s;
  const float radius = std::min(std::sqrt(coverage * s * s / unit_area(out.kind)), max_bound / std::max(sx, sy));
  const float bound = radius * std::max(sx, sy) + 1.f;  // + 1 px: the object never touches the image border
  const float cx = rng.uniform(bound, s - bound), cy = rng.uniform(bound, s - bound);
  const float theta = rng.uniform(0.f, 2.f * kPi), ct = std::cos(theta), st = std::sin(theta);
  const float hue = 0.125f * out.kind + rng.uniform(-0.035f, 0.035f);
  const float sat = rng.uniform(0.55f, 0.95f), val = rng.uniform(0.6f, 1.f);

  out.foreground = Image(s, s, 3);
  out.mask = Image(s, s, 1);
  out.image = out.background;
  for (int y = 0; y < s; ++y)
    for (int x = 0; x < s; ++x) {
      const float px = x + 0.5f - cx, py = y + 0.5f - cy;
      const Vec2 u{(ct * px + st * py) / (radius * sx), (-st * px + ct * py) / (radius * sy)};
      const float grain = out.kind == kCrescent ? rng.uniform(-1.f, 1.f) : 0.f;
      const Rgb c = object_colour(out.kind, u, hue, sat, val, grain);
      for (int ch = 0; ch < 3; ++ch) out.foreground.at(y, x, ch) = c[size_t(ch)];
      if (inside_kind(out.kind, u)) {
        out.mask.at(y, x) = 1.f;
        for (int ch = 0; ch < 3; ++ch) out.image.at(y, x, ch) = c[size_t(ch)];
      }
    }
  for (Image* img : {&out.image, &out.background, &out.foreground})
    for (float& v : img->px) v = 2.f * std::clamp(v, 0.f, 1.f) - 1.f;
  return out;
}

Dataset make_shapes(const ShapesOptions& opt) {
  LS_CHECK(opt.n > 0, "shapes: n must be positive, got {}", opt.n);
  std::vector<ShapeSample> samples(size_t(opt.n));
  parallel_for(opt.n, 1, [&](int64_t begin, int64_t end) {  // the kernels' thread pool, one sample per item
    for (int64_t i = begin; i < end; ++i) samples[size_t(i)] = make_shape_sample(opt, i);
  });
  Dataset ds(opt.size);
  std::vector<std::string> names;
  for (int k = 0; k < opt.kinds; ++k) names.push_back(shape_kind_name(k));
  ds.set_class_names(names);
  for (int64_t i = 0; i < opt.n; ++i) {
    const ShapeSample& smp = samples[size_t(i)];
    ds.add(fmt::format("shape_{:06d}", i), smp.image, smp.mask, smp.kind);
  }
  return ds;
}

}  // namespace ls::data
