// kernels/cpu/shape.cpp — the block copy of kernels/cpu/shape.h.
#include "kernels/cpu/shape.h"

#include <cstring>

#include "kernels/parallel.h"

namespace ls::cpu {

void copy_rows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows, int64_t cols) {
  parallel_for(rows, grain_for(cols, 4 * kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      std::memcpy(dst + r * dst_stride, src + r * src_stride, size_t(cols) * sizeof(float));
  });
}

}  // namespace ls::cpu
