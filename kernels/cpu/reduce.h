// kernels/cpu/reduce.h — sum over any subset of four right-aligned dims, and its adjoint (broadcast back).
// sum/mean use reduce_sum forward and expand backward; the broadcasting binary ops use reduce_sum to fold a gradient
// back onto a broadcast operand. Tested via tests/op_cases_pointwise.cpp:
//   build/layerseg_tests --gtest_filter='Ops*:*GradCheck*'
#pragma once
#include <cstdint>

#include "kernels/cpu/shape.h"

namespace ls::cpu {

// x has dims `dims`; y has the same dims with every dim whose bit (1 << k, k = 0 the leading dim) is set in `mask`
// collapsed to 1. y = scale · Σ_masked x. Accumulates in double so long means stay accurate.
void reduce_sum(const float* x, float* y, Dims4 dims, unsigned mask, float scale);

// The adjoint of reduce_sum: y (dims `dims`) = scale · x broadcast along the masked dims of x.
void expand(const float* x, float* y, Dims4 dims, unsigned mask, float scale);

}  // namespace ls::cpu
