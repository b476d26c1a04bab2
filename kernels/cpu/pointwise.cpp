// kernels/cpu/pointwise.cpp — the element-wise kernels of kernels/cpu/pointwise.h.
#include "kernels/cpu/pointwise.h"

#include <algorithm>
#include <cmath>

#include "kernels/parallel.h"

namespace ls::cpu {

// Overflow-free logistic: e^−|x| never exceeds 1.
static inline float stable_sigmoid(float x) {
  const float e = std::exp(-std::fabs(x));
  return x >= 0 ? 1.f / (1.f + e) : e / (1.f + e);
}

void activation_forward(Activation f, const float* x, float* y, int64_t n, float slope) {
  auto map = [&](auto fn) {
    parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) y[i] = fn(x[i]);
    });
  };
  switch (f) {
    case Activation::Relu:
      return map([](float v) { return v > 0 ? v : 0.f; });
    case Activation::LeakyRelu:
      return map([slope](float v) { return v > 0 ? v : slope * v; });
    case Activation::Tanh:
      return map([](float v) { return std::tanh(v); });
    case Activation::Sigmoid:
      return map(stable_sigmoid);
    case Activation::Softplus:
      return map([](float v) { return std::max(v, 0.f) + std::log1p(std::exp(-std::fabs(v))); });
    case Activation::Rsqrt:
      return map([](float v) { return 1.f / std::sqrt(v); });
  }
}

void activation_backward(Activation f, const float* x, const float* y, const float* gy, float* gx, int64_t n,
                         float slope) {
  auto map = [&](auto fn) {
    parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) gx[i] = fn(i) * gy[i];
    });
  };
  switch (f) {
    case Activation::Relu:
      return map([x](int64_t i) { return x[i] > 0 ? 1.f : 0.f; });
    case Activation::LeakyRelu:
      return map([x, slope](int64_t i) { return x[i] > 0 ? 1.f : slope; });
    case Activation::Tanh:
      return map([y](int64_t i) { return 1.f - y[i] * y[i]; });
    case Activation::Sigmoid:
      return map([y](int64_t i) { return y[i] * (1.f - y[i]); });
    case Activation::Softplus:
      return map([x](int64_t i) { return stable_sigmoid(x[i]); });
    case Activation::Rsqrt:
      return map([y](int64_t i) { return -0.5f * y[i] * y[i] * y[i]; });
  }
}

void scale_shift(const float* x, float* y, int64_t n, float scale, float shift) {
  parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = x[i] * scale + shift;
  });
}

// Calls fn(out_index, a_index, b_index) once for every output element, rows of the innermost dim split over the
// pool (each output is written by one call, so the split cannot change a result).
template <class F>
static void for_each_broadcast(const Broadcast4& bc, F fn) {
  const int64_t *d = bc.out.d, *sa = bc.a_stride.d, *sb = bc.b_stride.d;
  parallel_for(d[0] * d[1] * d[2], grain_for(d[3], kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t i2 = row % d[2], i1 = row / d[2] % d[1], i0 = row / d[2] / d[1];
      const int64_t a = i0 * sa[0] + i1 * sa[1] + i2 * sa[2], b = i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
      for (int64_t i3 = 0, o = row * d[3]; i3 < d[3]; ++i3, ++o) fn(o, a + i3 * sa[3], b + i3 * sb[3]);
    }
  });
}

void binary_forward(BinaryOp op, const float* a, const float* b, float* y, Broadcast4 bc) {
  auto map = [&](auto fn) { for_each_broadcast(bc, [&](int64_t o, int64_t i, int64_t j) { y[o] = fn(a[i], b[j]); }); };
  switch (op) {
    case BinaryOp::Add:
      return map([](float u, float v) { return u + v; });
    case BinaryOp::Sub:
      return map([](float u, float v) { return u - v; });
    case BinaryOp::Mul:
      return map([](float u, float v) { return u * v; });
    case BinaryOp::Div:
      return map([](float u, float v) { return u / v; });
  }
}

void binary_backward(BinaryOp op, const float* a, const float* b, const float* gy, float* ga, float* gb,
                     Broadcast4 bc) {
  for_each_broadcast(bc, [&](int64_t o, int64_t i, int64_t j) {
    const float g = gy[o];
    switch (op) {
      case BinaryOp::Add:
        if (ga) ga[o] = g;
        if (gb) gb[o] = g;
        break;
      case BinaryOp::Sub:
        if (ga) ga[o] = g;
        if (gb) gb[o] = -g;
        break;
      case BinaryOp::Mul:
        if (ga) ga[o] = g * b[j];
        if (gb) gb[o] = g * a[i];
        break;
      case BinaryOp::Div:
        if (ga) ga[o] = g / b[j];
        if (gb) gb[o] = -g * a[i] / (b[j] * b[j]);
        break;
    }
  });
}

}  // namespace ls::cpu
