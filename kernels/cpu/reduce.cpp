// kernels/cpu/reduce.cpp — the reduction kernels of kernels/cpu/reduce.h.
#include "kernels/cpu/reduce.h"

#include <algorithm>

#include "kernels/parallel.h"

namespace ls::cpu {

static Dims4 collapsed(Dims4 dims, unsigned mask) {
  for (int k = 0; k < 4; ++k)
    if (mask & (1u << k)) dims.d[k] = 1;
  return dims;
}

void reduce_sum(const float* x, float* y, Dims4 dims, unsigned mask, float scale) {
  const int64_t* d = dims.d;
  const Dims4 o = collapsed(dims, mask);
  const int64_t outputs = o.d[0] * o.d[1] * o.d[2] * o.d[3];
  // One output is one item: its sum runs in one thread in a fixed order.
  parallel_for(outputs,
               grain_for(dims.d[0] * dims.d[1] * dims.d[2] * dims.d[3] / std::max<int64_t>(outputs, 1), kElementGrain),
               [&](int64_t begin, int64_t end) {
                 for (int64_t out = begin; out < end; ++out) {
                   // A masked dim runs over its whole range, a kept one stays at the output coordinate.
                   const int64_t oc[4] = {out / (o.d[1] * o.d[2] * o.d[3]), out / (o.d[2] * o.d[3]) % o.d[1],
                                          out / o.d[3] % o.d[2], out % o.d[3]};
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
                   y[out] = float(acc * scale);
                 }
               });
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
  parallel_for(d[0] * d[1] * d[2], grain_for(d[3], kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t i2 = row % d[2], i1 = row / d[2] % d[1], i0 = row / d[2] / d[1];
      float* out = y + row * d[3];
      for (int64_t i3 = 0; i3 < d[3]; ++i3) out[i3] = scale * x[i0 * s[0] + i1 * s[1] + i2 * s[2] + i3 * s[3]];
    }
  });
}

}  // namespace ls::cpu
