// kernels/cpu/pointwise.h — element-wise kernels: the activations (forward and backward), x·scale + shift, and the
// four broadcasting binary ops (forward, and the output-shaped local gradients that the op then folds back onto each
// operand with reduce_sum, kernels/cpu/reduce.h).
// Tested through tests/op_cases_pointwise.cpp and tests/test_ops_pointwise.cpp:
//   build/layerseg_tests --gtest_filter='OpsPointwise*:*GradCheck*'
// Activation, BinaryOp and Broadcast4 live in namespace ls because the CUDA twins take them too.
#pragma once
#include <cstdint>

#include "kernels/cpu/shape.h"

namespace ls {

// PyTorch conventions at the kinks: relu'(0) = 0, leaky_relu'(0) = slope. Softplus is log(1 + eˣ) computed as
// max(x, 0) + log1p(e^−|x|) (PyTorch switches to x above 20, which agrees in float32). Rsqrt is 1/√x (x > 0; the
// second-moment normalisation of StyleGAN2's mapping network), differentiated through its output: −½·y³.
enum class Activation : int { Relu, LeakyRelu, Tanh, Sigmoid, Softplus, Rsqrt };
enum class BinaryOp : int { Add, Sub, Mul, Div };

// out: the output dims (right-aligned to four); a_stride/b_stride: each operand's element strides along those dims,
// 0 where the operand has size 1 (is broadcast).
struct Broadcast4 {
  Dims4 out, a_stride, b_stride;
};

}  // namespace ls

namespace ls::cpu {

// y = f(x); `slope` is used by LeakyRelu only.
void activation_forward(Activation f, const float* x, float* y, int64_t n, float slope);
// gx = gy · f'(x), reading x (Relu, LeakyRelu, Softplus) or the saved output y (Tanh, Sigmoid, Rsqrt).
void activation_backward(Activation f, const float* x, const float* y, const float* gy, float* gx, int64_t n,
                         float slope);

// y = x·scale + shift (add_scalar, mul_scalar and their backward).
void scale_shift(const float* x, float* y, int64_t n, float scale, float shift);

// y = a op b with broadcasting; y has dims bc.out.
void binary_forward(BinaryOp op, const float* a, const float* b, float* y, Broadcast4 bc);
// Output-shaped local gradients: ga = gy·∂y/∂a, gb = gy·∂y/∂b (either may be null: not wanted). a and b are read only
// for Mul and Div and may be null for Add and Sub.
void binary_backward(BinaryOp op, const float* a, const float* b, const float* gy, float* ga, float* gb, Broadcast4 bc);

}  // namespace ls::cpu
