// kernels/cpu/shape.h — shape descriptors shared by the element-wise and reduction kernels, and the one copy kernel
// behind concat and slice (forward and backward).
// Tested through the op cases in tests/op_cases_pointwise.cpp: build/layerseg_tests --gtest_filter='Ops*:*GradCheck*'
// The types live in namespace ls (not ls::cpu) because the CUDA twins in kernels/cuda/ take them too.
#pragma once
#include <cstdint>

namespace ls {

// A shape right-aligned into four dims, padded on the left with 1s: [3] -> {1, 1, 1, 3}. Passed by value so that a
// CUDA kernel can take it as a launch argument.
struct Dims4 {
  int64_t d[4];
};

}  // namespace ls

namespace ls::cpu {

// dst[r·dst_stride + c] = src[r·src_stride + c] for r < rows, c < cols. Callers offset src/dst to the block start:
// concat copies each input into a column range of the output viewed as [outer, total·inner], slice the reverse.
void copy_rows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows, int64_t cols);

}  // namespace ls::cpu
