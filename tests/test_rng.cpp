// tests/test_rng.cpp — the Philox 4x32-10 generator of core/rng.h: known-answer vectors from Random123, determinism,
// the moments of uniform and normal draws, non-overlapping fills and exact resumption from a saved state.
//   layerseg_tests --gtest_filter='Rng*'
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"

namespace ls {
namespace {

struct Kat {
  uint32_t ctr[4], key[2], expect[4];
};

// Random123 kat_vectors, philox4x32_10 rows (Salmon et al., SC'11).
TEST(RngPhilox, KnownAnswerVectors) {
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& k : kats) {
    const PhiloxBlock b = philox4x32_10(k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3], k.key[0], k.key[1]);
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(b.v[i], k.expect[i]) << "lane " << i << " of counter " << std::hex << k.ctr[0];
  }
}

// Seed 0 at offset 0 is the first KAT block: the stream is pinned to Philox, not just self-consistent.
TEST(RngStream, FixedSeedGivesFixedNumbers) {
  Rng r(0);
  float u[4];
  r.fill_uniform(u, 4);
  const uint32_t lanes[4] = {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(u[i], float(lanes[i] >> 8) / 16777216.f) << i;

  std::vector<float> a(37), b(37), c(37);
  Rng(1234).fill_normal(a.data(), a.size());
  Rng(1234).fill_normal(b.data(), b.size());
  Rng(1235).fill_normal(c.data(), c.size());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

constexpr int kDraws = 100000;

struct Moments {
  double mean = 0, var = 0;
};
Moments moments(const std::vector<float>& x) {
  Moments m;
  for (float v : x) m.mean += v;
  m.mean /= double(x.size());
  for (float v : x) m.var += (v - m.mean) * (v - m.mean);
  m.var /= double(x.size() - 1);
  return m;
}

// Bounds are five standard errors: mean sd = σ/√n; sample-variance sd = √((μ4 − σ⁴)/n).
TEST(RngStream, UniformMoments) {
  std::vector<float> x(kDraws);
  Rng(7).fill_uniform(x.data(), x.size(), -1.f, 3.f);  // U(−1, 3): mean 1, variance 16/12, μ4 = 4⁴/80
  const Moments m = moments(x);
  EXPECT_NEAR(m.mean, 1.0, 5 * std::sqrt(16.0 / 12 / kDraws));
  EXPECT_NEAR(m.var, 16.0 / 12, 5 * std::sqrt((256.0 / 80 - 256.0 / 144) / kDraws));
  for (float v : x) ASSERT_TRUE(v >= -1.f && v < 3.f) << v;
}

TEST(RngStream, NormalMoments) {
  std::vector<float> x(kDraws);
  Rng(8).fill_normal(x.data(), x.size(), 2.f, 0.5f);
  const Moments m = moments(x);
  EXPECT_NEAR(m.mean, 2.0, 5 * 0.5 / std::sqrt(double(kDraws)));
  EXPECT_NEAR(m.var, 0.25, 5 * 0.25 * std::sqrt(2.0 / kDraws));
  // The shape, not just two moments: P(|z| < 1) = 0.682689 for a Gaussian.
  int inside = 0;
  for (float v : x) inside += std::fabs(v - 2.f) < 0.5f;
  EXPECT_NEAR(double(inside) / kDraws, 0.682689, 5 * std::sqrt(0.6827 * 0.3173 / kDraws));
}

TEST(RngStream, SuccessiveFillsDoNotOverlap) {
  Rng r(99);
  std::vector<float> a(10), b(10);
  r.fill_uniform(a.data(), a.size());
  EXPECT_EQ(r.offset(), 3u);  // ceil(10 / 4) counters
  r.fill_uniform(b.data(), b.size());
  EXPECT_EQ(r.offset(), 6u);
  for (size_t i = 0; i < b.size(); ++i) EXPECT_EQ(b[i], philox_uniform(99, 3, i));
  for (float x : a)
    for (float y : b) EXPECT_NE(x, y);
}

TEST(RngStream, SetStateResumesExactly) {
  Rng r(42);
  std::vector<float> skip(13), expect(21), got(21);
  r.fill_normal(skip.data(), skip.size());
  const uint64_t seed = r.seed(), offset = r.offset();
  r.fill_normal(expect.data(), expect.size());
  const float expect_u = r.uniform();

  Rng resumed(5);
  resumed.set_state(seed, offset);
  resumed.fill_normal(got.data(), got.size());
  EXPECT_EQ(got, expect);
  EXPECT_EQ(resumed.uniform(), expect_u);
  EXPECT_EQ(resumed.offset(), r.offset());
}

}  // namespace
}  // namespace ls
