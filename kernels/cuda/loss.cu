// kernels/cuda/loss.cu — the fused loss kernels of kernels/cuda/loss.h, term for term the CPU reference
// (kernels/cpu/loss.cpp): each term writes its gradient element (already divided by the count) and returns its loss
// contribution in double; the mean is one deterministic segmented sum. Fused: the input is read once, the gradient
// written once, and only the block partials (a few KiB) travel between the two kernels.
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*:CudaKernels*'.
#include "kernels/cuda/loss.h"
#include "kernels/cuda/segmented_sum.cuh"

namespace ls::cuda {

// *loss = (1/count)·Σ_{i<n} term(i, 1/count); term writes grad[i] when grad is set (as kernels/cpu/loss.cpp).
template <class Term>
static void mean_of(float* loss, int64_t count, int64_t n, cudaStream_t s, Term term) {
  const float inv = 1.f / float(count);
  segmented_sum(
      1, n, s, [=] __device__(int64_t, int64_t i) { return term(i, inv); },
      [=] __device__(int64_t, double total) { *loss = float(total / double(count)); });
}

void hinge_loss(const float* x, float* loss, float* grad, int64_t n, float sign, cudaStream_t s) {
  mean_of(loss, n, n, s, [=] __device__(int64_t i, float inv) {
    const float v = 1.f + sign * x[i];
    if (grad) grad[i] = v > 0 ? sign * inv : 0.f;
    return double(fmaxf(v, 0.f));
  });
}

// One row per term: a thread walks the row's k logits three times (max, Σ e^(l − max), gradient), all in the CPU's
// order and precision.
void softmax_cross_entropy(const float* logits, const float* labels, float* loss, float* grad, int64_t n, int64_t k,
                           cudaStream_t s) {
  mean_of(loss, n, n, s, [=] __device__(int64_t r, float inv) {
    const float* l = logits + r * k;
    const int64_t y = int64_t(labels[r]);
    float mx = l[0];
    for (int64_t j = 1; j < k; ++j) mx = fmaxf(mx, l[j]);
    double z = 0;
    for (int64_t j = 0; j < k; ++j) z += exp(double(l[j] - mx));
    if (grad)
      for (int64_t j = 0; j < k; ++j) grad[r * k + j] = (float(exp(double(l[j] - mx)) / z) - float(j == y)) * inv;
    return log(z) + mx - l[y];
  });
}

void bce_with_logits(const float* x, const float* t, float* loss, float* grad, int64_t n, cudaStream_t s) {
  mean_of(loss, n, n, s, [=] __device__(int64_t i, float inv) {
    const float v = x[i], e = expf(-fabsf(v));
    if (grad) grad[i] = ((v >= 0 ? 1.f / (1.f + e) : e / (1.f + e)) - t[i]) * inv;
    return double(fmaxf(v, 0.f)) - double(v) * t[i] + log1p(double(e));
  });
}

void binarization(const float* m, float* loss, float* grad, int64_t n, cudaStream_t s) {
  mean_of(loss, n, n, s, [=] __device__(int64_t i, float inv) {
    const float v = m[i];
    if (grad) grad[i] = v < 0.5f ? inv : v > 0.5f ? -inv : 0.f;
    return double(fminf(v, 1.f - v));
  });
}

void half_squared_distance(const float* c, const float* mu, float* loss, float* grad, int64_t n, int64_t d,
                           cudaStream_t s) {
  mean_of(loss, n, n * d, s, [=] __device__(int64_t i, float inv) {
    const float diff = mu[i] - c[i];
    if (grad) grad[i] = diff * inv;
    return 0.5 * double(diff) * diff;
  });
}

}  // namespace ls::cuda
