// kernels/cpu/reduce.cpp — the reduction kernels of kernels/cpu/reduce.h.
#include "kernels/cpu/reduce.h"

namespace ls::cpu {

static Dims4 collapsed(Dims4 dims, unsigned mask) {
  for (int k = 0; k < 4; ++k)
    if (mask & (1u << k)) dims.d[k] = 1;
  return dims;
}

void reduce_sum(const float* x, float* y, Dims4 dims, unsigned mask, float scale) {
  const int64_t* d = dims.d;
  const Dims4 o = collapsed(dims, mask);
  int64_t out = 0;
  for (int64_t o0 = 0; o0 < o.d[0]; ++o0)
    for (int64_t o1 = 0; o1 < o.d[1]; ++o1)
      for (int64_t o2 = 0; o2 < o.d[2]; ++o2)
        for (int64_t o3 = 0; o3 < o.d[3]; ++o3) {
          // A masked dim runs over its whole range, a kept one stays at the output coordinate.
          const int64_t oc[4] = {o0, o1, o2, o3};
          int64_t lo[4], hi[4];
          for (int k = 0; k < 4; ++k) {
            const bool m = mask & (1u << k);
            lo[k] = m ? 0 : oc[k];
            hi[k] = m ? d[k] : oc[k] + 1;
          }
          double acc = 0;
          for (int64_t i0 = lo[0]; i0 < hi[0]; ++i0)
            for (int64_t i1 = lo[1]; i1 < hi[1]; ++i1)
              for (int64_t i2 = lo[2]; i2 < hi[2]; ++i2) {
                const float* row = x + ((i0 * d[1] + i1) * d[2] + i2) * d[3];
                for (int64_t i3 = lo[3]; i3 < hi[3]; ++i3) acc += row[i3];
              }
          y[out++] = float(acc * scale);
        }
}

void expand(const float* x, float* y, Dims4 dims, unsigned mask, float scale) {
  const int64_t* d = dims.d;
  const Dims4 o = collapsed(dims, mask);
  // Stride 0 along a masked dim re-reads the same x element.
  int64_t s[4], stride = 1;
  for (int k = 3; k >= 0; --k) {
    s[k] = (mask & (1u << k)) ? 0 : stride;
    stride *= o.d[k];
  }
  for (int64_t i0 = 0; i0 < d[0]; ++i0)
    for (int64_t i1 = 0; i1 < d[1]; ++i1)
      for (int64_t i2 = 0; i2 < d[2]; ++i2)
        for (int64_t i3 = 0; i3 < d[3]; ++i3) *y++ = scale * x[i0 * s[0] + i1 * s[1] + i2 * s[2] + i3 * s[3]];
}

}  // namespace ls::cpu
