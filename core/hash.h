// core/hash.h — FNV-1a over the bytes of floats: a cheap 64-bit fingerprint, for comparing tensors across processes
// (core/distributed.h) and for keying per-sample random streams by a sample's values (models/stylegan2.h's noise).
// Not cryptographic.
#pragma once
#include <cstdint>
#include <cstring>

namespace ls {

inline uint64_t hash_floats(const float* data, int64_t n, uint64_t salt = 0) {
  uint64_t h = 1469598103934665603ull ^ salt;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &data[i], 4);
    for (int b = 0; b < 4; ++b) h = (h ^ ((bits >> (8 * b)) & 0xFFu)) * 1099511628211ull;
  }
  return h;
}

}  // namespace ls
