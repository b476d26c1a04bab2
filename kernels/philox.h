// kernels/philox.h — counter-based Philox 4x32-10 random numbers as pure __host__ __device__ functions: the same
// numbers from the CPU (core/rng.h's Rng) and from a CUDA kernel (kernels/cuda/rng.cu).
// A draw is a pure function of (seed, counter): element i of a fill uses counter offset + i/4, lane i%4, so a CUDA
// kernel that computes element i from the same (seed, offset) produces the CPU's numbers.
// Uniform floats are (u >> 8) * 2^-24 in [0, 1); normals use Box-Muller on two lanes (cos for even, sin for odd),
// computed in double and rounded to float.
#pragma once
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define LS_HD __host__ __device__ __forceinline__
#else
#define LS_HD inline
#endif

namespace ls {

// One Philox-4x32-10 block: counter (c0..c3) under key (k0, k1). Constants from Salmon et al., SC'11.
struct PhiloxBlock {
  uint32_t v[4];
};
LS_HD PhiloxBlock philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
  const uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
  for (int r = 0; r < 10; ++r) {
    const uint64_t p0 = uint64_t(M0) * c0, p1 = uint64_t(M1) * c2;
    const uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0), hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0, c1 = lo1, c2 = n2, c3 = lo0;
    k0 += W0, k1 += W1;
  }
  return {{c0, c1, c2, c3}};
}

LS_HD float uniform_from_bits(uint32_t u) { return float(u >> 8) * (1.0f / 16777216.0f); }

// Element i of the stream (seed, offset): uniform in [0, 1).
LS_HD float philox_uniform(uint64_t seed, uint64_t offset, uint64_t i) {
  const uint64_t ctr = offset + i / 4;
  const PhiloxBlock b = philox4x32_10(uint32_t(ctr), uint32_t(ctr >> 32), 0u, 0u, uint32_t(seed), uint32_t(seed >> 32));
  return uniform_from_bits(b.v[i % 4]);
}

// Element i of the stream (seed, offset): standard normal. Pairs (2k, 2k+1) share one Box-Muller transform.
LS_HD float philox_normal(uint64_t seed, uint64_t offset, uint64_t i) {
  const uint64_t pair = i / 2, ctr = offset + pair / 2;
  const PhiloxBlock b = philox4x32_10(uint32_t(ctr), uint32_t(ctr >> 32), 1u, 0u, uint32_t(seed), uint32_t(seed >> 32));
  const int lane = int(pair % 2) * 2;
  const float u1 = 1.0f - uniform_from_bits(b.v[lane]);  // (0, 1]: log is finite
  const float u2 = uniform_from_bits(b.v[lane + 1]);
  // In double, rounded once at the end: float logf/cosf/sinf differ between glibc and CUDA by an ulp or two, while
  // both double libraries are accurate far below float resolution, so CPU and CUDA agree bit for bit (a differing
  // rounding would need the two double results to straddle a float rounding boundary: odds of about 2^-29).
  const double r = sqrt(-2.0 * log(double(u1))), t = 6.283185307179586 * double(u2);
  return float((i % 2 == 0) ? r * cos(t) : r * sin(t));
}

}  // namespace ls
