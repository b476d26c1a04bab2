// kernels/cpu/loss.cpp — the fused loss kernels of kernels/cpu/loss.h. Sums run in double.
#include "kernels/cpu/loss.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/parallel.h"

namespace ls::cpu {

// Loss = (1/count)·Σ_i term(i); term writes grad[i] (already divided by count) when grad is set. The terms are summed
// per chunk of the pool's fixed grain, then the chunk sums in chunk order: the same bits at any thread count.
template <class Term>
static void mean_of(float* loss, int64_t count, int64_t n, Term term) {
  constexpr int64_t kGrain = 8192;
  std::vector<double> partial(size_t(std::max<int64_t>(chunk_count(n, kGrain), 1)), 0.0);
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
    double acc = 0;
    for (int64_t i = begin; i < end; ++i) acc += term(i, 1.f / float(count));
    partial[size_t(begin / kGrain)] = acc;
  });
  double acc = 0;
  for (double p : partial) acc += p;
  *loss = float(acc / double(count));
}

void hinge_loss(const float* x, float* loss, float* grad, int64_t n, float sign) {
  mean_of(loss, n, n, [&](int64_t i, float inv) {
    const float v = 1.f + sign * x[i];
    if (grad) grad[i] = v > 0 ? sign * inv : 0.f;
    return double(std::max(v, 0.f));
  });
}

void softmax_cross_entropy(const float* logits, const float* labels, float* loss, float* grad, int64_t n, int64_t k) {
  mean_of(loss, n, n, [&](int64_t r, float inv) {
    const float* l = logits + r * k;
    const int64_t y = int64_t(labels[r]);
    const float mx = *std::max_element(l, l + k);  // shift for a softmax that cannot overflow
    double z = 0;
    for (int64_t j = 0; j < k; ++j) z += std::exp(double(l[j] - mx));
    if (grad)
      for (int64_t j = 0; j < k; ++j) grad[r * k + j] = (float(std::exp(double(l[j] - mx)) / z) - (j == y)) * inv;
    return std::log(z) + mx - l[y];
  });
}

void bce_with_logits(const float* x, const float* t, float* loss, float* grad, int64_t n) {
  mean_of(loss, n, n, [&](int64_t i, float inv) {
    const float v = x[i], e = std::exp(-std::fabs(v));
    if (grad) grad[i] = ((v >= 0 ? 1.f / (1.f + e) : e / (1.f + e)) - t[i]) * inv;
    return double(std::max(v, 0.f)) - double(v) * t[i] + std::log1p(double(e));
  });
}

void binarization(const float* m, float* loss, float* grad, int64_t n) {
  mean_of(loss, n, n, [&](int64_t i, float inv) {
    const float v = m[i];
    if (grad) grad[i] = v < 0.5f ? inv : v > 0.5f ? -inv : 0.f;
    return double(std::min(v, 1.f - v));
  });
}

void half_squared_distance(const float* c, const float* mu, float* loss, float* grad, int64_t n, int64_t d) {
  mean_of(loss, n, n * d, [&](int64_t i, float inv) {
    const float diff = mu[i] - c[i];
    if (grad) grad[i] = diff * inv;
    return 0.5 * double(diff) * diff;
  });
}

}  // namespace ls::cpu
