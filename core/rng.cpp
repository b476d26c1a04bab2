// core/rng.cpp — the host fills of core/rng.h; the per-element functions there are the specification.
#include "core/rng.h"

namespace ls {

void Rng::fill_uniform(float* out, uint64_t n, float lo, float hi) {
  const uint64_t off = reserve(n);
  for (uint64_t i = 0; i < n; ++i) out[i] = lo + (hi - lo) * philox_uniform(seed_, off, i);
}

void Rng::fill_normal(float* out, uint64_t n, float mean, float std) {
  const uint64_t off = reserve(n);
  for (uint64_t i = 0; i < n; ++i) out[i] = mean + std * philox_normal(seed_, off, i);
}

float Rng::uniform(float lo, float hi) {
  float u;
  fill_uniform(&u, 1, lo, hi);
  return u;
}

float Rng::normal() {
  float v;
  fill_normal(&v, 1);
  return v;
}

int Rng::randint(int n) {
  const int k = int(uniform() * float(n));
  return k < n ? k : n - 1;
}

}  // namespace ls
