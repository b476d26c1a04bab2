// core/rng.h — the host-side random generator: a seed and a running counter over the Philox stream of
// kernels/philox.h, so CPU fills and CUDA kernels (kernels/cuda/rng.cu) draw the same numbers.
#pragma once
#include <cstdint>

#include "kernels/philox.h"

namespace ls {

// A host-side generator: a seed plus a running counter offset. Each fill consumes ceil(n/4) counters, so successive
// fills never overlap; state() / set_state() make it checkpointable.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) { seed_ = seed, offset_ = offset; }
  // Reserve counters for n draws and return the offset they start at (for CUDA kernels computing the same stream).
  uint64_t reserve(uint64_t n) {
    const uint64_t start = offset_;
    offset_ += (n + 3) / 4;
    return start;
  }
  void fill_uniform(float* out, uint64_t n, float lo = 0.f, float hi = 1.f);
  void fill_normal(float* out, uint64_t n, float mean = 0.f, float std = 1.f);
  float uniform(float lo = 0.f, float hi = 1.f);
  float normal();
  int randint(int n);  // uniform in [0, n)

 private:
  uint64_t seed_ = 0, offset_ = 0;
};

}  // namespace ls
