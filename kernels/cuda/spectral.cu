// kernels/cuda/spectral.cu — kernels/cuda/spectral.h, step for step the CPU reference (kernels/cpu/spectral.cpp):
// every matrix-vector product and norm is a deterministic double segmented sum (kernels/cuda/segmented_sum.cuh),
// and vectors are rounded to float where the CPU stores them as float. The matrices are one layer's weight, so the
// launches (a few per power-iteration step) cost more than the arithmetic; nothing leaves the device.
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#include "kernels/cuda/segmented_sum.cuh"
#include "kernels/cuda/spectral.h"

namespace ls::cuda {

// a = a / max(‖a‖, eps) over n floats; `norm` is one double of scratch.
static void normalize(float* a, int n, float eps, double* norm, cudaStream_t s) {
  segmented_sum(
      1, n, s, [=] __device__(int64_t, int64_t i) { return double(a[i]) * a[i]; },
      [=] __device__(int64_t, double ss) { *norm = 1.0 / fmax(sqrt(ss), double(eps)); });
  for_each(n, s, [=] __device__(int64_t i) { a[i] = float(a[i] * *norm); });
}

// v = normalize(Wᵀu)
static void update_v(const float* w, const float* u, float* v, int rows, int cols, float eps, double* scratch,
                     cudaStream_t s) {
  segmented_sum(
      cols, rows, s, [=] __device__(int64_t j, int64_t i) { return double(w[i * cols + j]) * u[i]; },
      [=] __device__(int64_t j, double acc) { v[j] = float(acc); });
  normalize(v, cols, eps, scratch, s);
}

// wv[i] = (Wv)_i in double.
static void w_times_v(const float* w, const float* v, double* wv, int rows, int cols, cudaStream_t s) {
  segmented_sum(
      rows, cols, s, [=] __device__(int64_t i, int64_t j) { return double(w[i * cols + j]) * v[j]; },
      [=] __device__(int64_t i, double acc) { wv[i] = acc; });
}

void spectral_sigma(const float* w, float* u, float* v, float* sigma, int rows, int cols, int n_iter, float eps,
                    cudaStream_t s) {
  double* wv = static_cast<double*>(device_alloc((size_t(rows) + 1) * sizeof(double)));
  double* scratch = wv + rows;
  update_v(w, u, v, rows, cols, eps, scratch, s);
  for (int it = 0; it < n_iter; ++it) {
    if (it > 0) update_v(w, u, v, rows, cols, eps, scratch, s);
    w_times_v(w, v, wv, rows, cols, s);
    for_each(rows, s, [=] __device__(int64_t i) { u[i] = float(wv[i]); });
    normalize(u, rows, eps, scratch, s);
  }
  w_times_v(w, v, wv, rows, cols, s);
  segmented_sum(
      1, rows, s, [=] __device__(int64_t, int64_t i) { return u[i] * wv[i]; },
      [=] __device__(int64_t, double total) { *sigma = float(total); });
  device_free(wv);
}

void spectral_scale(const float* w, const float* sigma, float* w_sn, int rows, int cols, cudaStream_t s) {
  for_each(int64_t(rows) * cols, s, [=] __device__(int64_t k) { w_sn[k] = w[k] * (1.f / *sigma); });
}

// dw = (g − (Σ g ⊙ W_sn)·u vᵀ) / σ, the sum in double as on the CPU.
void spectral_backward(const float* g, const float* w_sn, const float* u, const float* v, const float* sigma, float* dw,
                       int rows, int cols, cudaStream_t s) {
  const int64_t n = int64_t(rows) * cols;
  double* gw = static_cast<double*>(device_alloc(sizeof(double)));
  segmented_sum(
      1, n, s, [=] __device__(int64_t, int64_t k) { return double(g[k]) * w_sn[k]; },
      [=] __device__(int64_t, double total) { *gw = total; });
  for_each(n, s, [=] __device__(int64_t k) {
    const int64_t i = k / cols, j = k % cols;
    dw[k] = float(__dmul_rn(__dsub_rn(g[k], __dmul_rn(__dmul_rn(*gw, u[i]), v[j])), 1.f / *sigma));
  });
  device_free(gw);
}

}  // namespace ls::cuda
