// kernels/cuda/pointwise.cu — the element-wise kernels of kernels/cuda/pointwise.h: one thread per output element.
// Results are bit-identical to the CPU reference (kernels/cpu/pointwise.cpp) wherever both do the same IEEE operations:
// x·scale + shift is rounded twice with __fmul_rn/__fadd_rn, because nvcc would otherwise contract it into an FMA
// (one rounding) and the CPU does not. Transcendentals (tanhf, expf, log1pf) are within a few ulp of glibc's.
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/pointwise.h"

namespace ls::cuda {

// Overflow-free logistic, as the CPU's: e^−|x| never exceeds 1.
__device__ inline float stable_sigmoid(float x) {
  const float e = expf(-fabsf(x));
  return x >= 0 ? 1.f / (1.f + e) : e / (1.f + e);
}

// f is the same for every thread of a launch, so the switch never diverges.
__device__ inline float activate(Activation f, float v, float slope) {
  switch (f) {
    case Activation::Relu:
      return v > 0 ? v : 0.f;
    case Activation::LeakyRelu:
      return v > 0 ? v : slope * v;
    case Activation::Tanh:
      return tanhf(v);
    case Activation::Sigmoid:
      return stable_sigmoid(v);
    case Activation::Softplus:
      return fmaxf(v, 0.f) + log1pf(expf(-fabsf(v)));
    case Activation::Rsqrt:
      return 1.f / sqrtf(v);
  }
  return 0.f;
}

// f'(x), from x (Relu, LeakyRelu, Softplus) or from the saved output y (Tanh, Sigmoid, Rsqrt).
__device__ inline float activate_derivative(Activation f, const float* x, const float* y, int64_t i, float slope) {
  switch (f) {
    case Activation::Relu:
      return x[i] > 0 ? 1.f : 0.f;
    case Activation::LeakyRelu:
      return x[i] > 0 ? 1.f : slope;
    case Activation::Tanh:
      return 1.f - y[i] * y[i];
    case Activation::Sigmoid:
      return y[i] * (1.f - y[i]);
    case Activation::Softplus:
      return stable_sigmoid(x[i]);
    case Activation::Rsqrt:
      return -0.5f * y[i] * y[i] * y[i];
  }
  return 0.f;
}

void activation_forward(Activation f, const float* x, float* y, int64_t n, float slope, cudaStream_t s) {
  for_each(n, s, [=] __device__(int64_t i) { y[i] = activate(f, x[i], slope); });
}

void activation_backward(Activation f, const float* x, const float* y, const float* gy, float* gx, int64_t n,
                         float slope, cudaStream_t s) {
  for_each(n, s, [=] __device__(int64_t i) { gx[i] = activate_derivative(f, x, y, i, slope) * gy[i]; });
}

void scale_shift(const float* x, float* y, int64_t n, float scale, float shift, cudaStream_t s) {
  for_each(n, s, [=] __device__(int64_t i) { y[i] = __fadd_rn(__fmul_rn(x[i], scale), shift); });
}

// The element offsets of output o in a and b: o decoded into four coordinates, dotted with each operand's strides.
struct BroadcastIndex {
  int64_t a, b;
};
__device__ inline BroadcastIndex broadcast_index(const Broadcast4& bc, int64_t o) {
  BroadcastIndex r{0, 0};
  for (int k = 3; k >= 0; --k) {
    const int64_t c = o % bc.out.d[k];
    o /= bc.out.d[k];
    r.a += c * bc.a_stride.d[k];
    r.b += c * bc.b_stride.d[k];
  }
  return r;
}

static int64_t numel(const Dims4& d) { return d.d[0] * d.d[1] * d.d[2] * d.d[3]; }

__device__ inline float binary_apply(BinaryOp op, float u, float v) {
  switch (op) {
    case BinaryOp::Add:
      return u + v;
    case BinaryOp::Sub:
      return u - v;
    case BinaryOp::Mul:
      return u * v;
    case BinaryOp::Div:
      return u / v;
  }
  return 0.f;
}

void binary_forward(BinaryOp op, const float* a, const float* b, float* y, Broadcast4 bc, cudaStream_t s) {
  for_each(numel(bc.out), s, [=] __device__(int64_t o) {
    const BroadcastIndex ix = broadcast_index(bc, o);
    y[o] = binary_apply(op, a[ix.a], b[ix.b]);
  });
}

void binary_backward(BinaryOp op, const float* a, const float* b, const float* gy, float* ga, float* gb, Broadcast4 bc,
                     cudaStream_t s) {
  for_each(numel(bc.out), s, [=] __device__(int64_t o) {
    const float g = gy[o];
    switch (op) {
      case BinaryOp::Add:
      case BinaryOp::Sub:
        if (ga) ga[o] = g;
        if (gb) gb[o] = op == BinaryOp::Add ? g : -g;
        break;
      case BinaryOp::Mul: {
        const BroadcastIndex ix = broadcast_index(bc, o);
        if (ga) ga[o] = g * b[ix.b];
        if (gb) gb[o] = g * a[ix.a];
        break;
      }
      case BinaryOp::Div: {
        const BroadcastIndex ix = broadcast_index(bc, o);
        if (ga) ga[o] = g / b[ix.b];
        if (gb) gb[o] = -g * a[ix.a] / (b[ix.b] * b[ix.b]);
        break;
      }
    }
  });
}

}  // namespace ls::cuda
