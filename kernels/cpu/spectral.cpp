// kernels/cpu/spectral.cpp — the kernels of kernels/cpu/spectral.h. Matrices here are small (a layer's weight), so
// plain loops with double accumulation; rows and columns split over the pool, each sum in one thread.
#include "kernels/cpu/spectral.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/parallel.h"

namespace ls::cpu {

static void normalize(float* a, int n, float eps) {
  double ss = 0;
  for (int i = 0; i < n; ++i) ss += double(a[i]) * a[i];
  const double scale = 1.0 / std::max(std::sqrt(ss), double(eps));
  for (int i = 0; i < n; ++i) a[i] = float(a[i] * scale);
}

// v = normalize(Wᵀu)
static void update_v(const float* w, const float* u, float* v, int rows, int cols, float eps) {
  parallel_for(cols, grain_for(rows, kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) {
      double acc = 0;
      for (int i = 0; i < rows; ++i) acc += double(w[int64_t(i) * cols + j]) * u[i];
      v[j] = float(acc);
    }
  });
  normalize(v, cols, eps);
}

// Wv, row i
static double row_dot(const float* w, const float* v, int cols, int i) {
  double acc = 0;
  for (int j = 0; j < cols; ++j) acc += double(w[int64_t(i) * cols + j]) * v[j];
  return acc;
}

void spectral_sigma(const float* w, float* u, float* v, float* sigma, int rows, int cols, int n_iter, float eps) {
  update_v(w, u, v, rows, cols, eps);
  for (int it = 0; it < n_iter; ++it) {
    if (it > 0) update_v(w, u, v, rows, cols, eps);
    parallel_for(rows, grain_for(cols, kElementGrain), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) u[i] = float(row_dot(w, v, cols, int(i)));
    });
    normalize(u, rows, eps);
  }
  double s = 0;
  for (int i = 0; i < rows; ++i) s += u[i] * row_dot(w, v, cols, i);
  sigma[0] = float(s);
}

void spectral_scale(const float* w, const float* sigma, float* w_sn, int rows, int cols) {
  const float inv = 1.f / sigma[0];
  parallel_for(int64_t(rows) * cols, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) w_sn[k] = w[k] * inv;
  });
}

void spectral_backward(const float* g, const float* w_sn, const float* u, const float* v, const float* sigma, float* dw,
                       int rows, int cols) {
  const int64_t n = int64_t(rows) * cols;
  double gw = 0;  // Σ g ⊙ W_sn
  for (int64_t k = 0; k < n; ++k) gw += double(g[k]) * w_sn[k];
  const float inv = 1.f / sigma[0];
  parallel_for(rows, grain_for(cols, kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      for (int j = 0; j < cols; ++j) {
        const int64_t k = i * cols + j;
        dw[k] = float((g[k] - gw * u[i] * v[j]) * inv);
      }
  });
}

}  // namespace ls::cpu
