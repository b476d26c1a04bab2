// data/fid.cpp — the statistics and the Fréchet distance of data/fid.h. Covariances are built from centred rows
// (dsyrk on blocks of rows), not from E[xxᵀ] − μμᵀ, so features with a large mean lose no precision.
#include "data/fid.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "kernels/error.h"

// LAPACK's symmetric eigensolver (divide and conquer), exported by OpenBLAS; no lapacke.h on these machines. The two
// trailing lengths are gfortran's hidden CHARACTER arguments.
extern "C" void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
                        double* work, const int* lwork, int* iwork, const int* liwork, int* info, size_t jobz_len,
                        size_t uplo_len);

namespace ls::data {
namespace {

// Eigenvalues (ascending) of the symmetric d × d matrix a; with vectors, a is overwritten by them (column j of the
// column-major result = row j here, since a is symmetric and row-major = its transpose in column-major).
std::vector<double> symmetric_eigen(std::vector<double>& a, int d, bool vectors) {
  const char jobz = vectors ? 'V' : 'N', uplo = 'U';
  std::vector<double> w(static_cast<size_t>(d));
  int info = 0, lwork = -1, liwork = -1, iwork_size = 0;
  double work_size = 0;
  dsyevd_(&jobz, &uplo, &d, a.data(), &d, w.data(), &work_size, &lwork, &iwork_size, &liwork, &info, 1, 1);
  LS_CHECK(info == 0, "fid: LAPACK dsyevd workspace query failed (info {}) for a {}×{} matrix", info, d, d);
  lwork = int(work_size), liwork = iwork_size;
  std::vector<double> work(size_t(std::max(lwork, 1)));
  std::vector<int> iwork(size_t(std::max(liwork, 1)));
  dsyevd_(&jobz, &uplo, &d, a.data(), &d, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
  LS_CHECK(info == 0, "fid: LAPACK dsyevd did not converge (info {}) on a {}×{} covariance", info, d, d);
  return w;
}

double trace(const std::vector<double>& m, int d) {
  double t = 0;
  for (int i = 0; i < d; ++i) t += m[size_t(i) * d + i];
  return t;
}

}  // namespace

GaussianStats gaussian_stats(const std::vector<float>& features, int64_t n, int d) {
  LS_CHECK(n >= 2 && d >= 1, "fid: a covariance needs at least 2 samples of dimension ≥ 1, got {} of {}", n, d);
  LS_CHECK(int64_t(features.size()) == n * d, "fid: {} feature values are not {} rows of {}", features.size(), n, d);
  GaussianStats s;
  s.n = n, s.d = d;
  s.mean.assign(size_t(d), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) s.mean[size_t(j)] += features[size_t(i * d + j)];
  for (double& m : s.mean) m /= double(n);
  s.cov.assign(size_t(d) * d, 0.0);
  constexpr int64_t kBlock = 256;  // rows centred at a time: bounds the double copy
  std::vector<double> block(size_t(kBlock) * d);
  for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int64_t rows = std::min(kBlock, n - i0);
    for (int64_t i = 0; i < rows; ++i)
      for (int j = 0; j < d; ++j) block[size_t(i * d + j)] = features[size_t((i0 + i) * d + j)] - s.mean[size_t(j)];
    // cov (upper triangle, row-major) += blockᵀ·block
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, int(rows), 1.0, block.data(), d, 1.0, s.cov.data(), d);
  }
  for (int i = 0; i < d; ++i)
    for (int j = i; j < d; ++j) {
      const double c = s.cov[size_t(i) * d + j] / double(n - 1);
      s.cov[size_t(i) * d + j] = s.cov[size_t(j) * d + i] = c;
    }
  return s;
}

double frechet_distance(const GaussianStats& a, const GaussianStats& b) {
  const int d = a.d;
  LS_CHECK(d == b.d && a.mean.size() == size_t(d) && b.mean.size() == size_t(d) && a.cov.size() == size_t(d) * d &&
               b.cov.size() == size_t(d) * d,
           "fid: statistics of dimension {} and {} cannot be compared", a.d, b.d);
  double mean_term = 0;
  for (int j = 0; j < d; ++j)
    mean_term += (a.mean[size_t(j)] - b.mean[size_t(j)]) * (a.mean[size_t(j)] - b.mean[size_t(j)]);
  // Σ₁^½ = V diag(√λ) Vᵀ; rows of v are the eigenvectors (see symmetric_eigen).
  std::vector<double> v = a.cov;
  const std::vector<double> lambda = symmetric_eigen(v, d, true);
  std::vector<double> scaled(v.size());  // row k = √λ_k · v_k
  for (int k = 0; k < d; ++k)
    for (int j = 0; j < d; ++j)
      scaled[size_t(k) * d + j] = std::sqrt(std::max(lambda[size_t(k)], 0.0)) * v[size_t(k) * d + j];
  std::vector<double> root(v.size()), tmp(v.size()), m(v.size());
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, d, 1.0, v.data(), d, scaled.data(), d, 0.0, root.data(),
              d);
  // M = Σ₁^½ Σ₂ Σ₁^½, symmetrised against round-off before its eigenvalues are taken.
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, root.data(), d, b.cov.data(), d, 0.0, tmp.data(),
              d);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, tmp.data(), d, root.data(), d, 0.0, m.data(), d);
  for (int i = 0; i < d; ++i)
    for (int j = i + 1; j < d; ++j)
      m[size_t(i) * d + j] = m[size_t(j) * d + i] = 0.5 * (m[size_t(i) * d + j] + m[size_t(j) * d + i]);
  double trace_root = 0;
  for (double mu : symmetric_eigen(m, d, false)) trace_root += std::sqrt(std::max(mu, 0.0));
  return mean_term + trace(a.cov, d) + trace(b.cov, d) - 2.0 * trace_root;
}

}  // namespace ls::data
