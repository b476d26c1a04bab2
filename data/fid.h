// data/fid.h — the Fréchet distance between Gaussians fitted to two feature sets: FID and bg-FID (SPEC §6) once the
// features come from the pytorch-fid Inception-v3 (models/inception.h). Everything is in double, as pytorch-fid
// (NumPy float64) computes it:
//   FID = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½
// (tr (Σ₁^½ Σ₂ Σ₁^½)^½ = tr (Σ₁Σ₂)^½, pytorch-fid's scipy sqrtm form), with both square roots taken through symmetric
// eigendecompositions (LAPACK dsyevd, from OpenBLAS) and negative round-off eigenvalues clamped to 0.
//   ls::data::GaussianStats a = ls::data::gaussian_stats(features_a, n_a, 2048), b = ...;
//   double fid = ls::data::frechet_distance(a, b);
// Tests: build/layerseg_tests --gtest_filter='Fid*'
#pragma once
#include <cstdint>
#include <vector>

namespace ls::data {

struct GaussianStats {
  int64_t n = 0;             // samples the statistics come from
  int d = 0;                 // feature dimension
  std::vector<double> mean;  // d
  std::vector<double> cov;   // d × d, row-major, unbiased (divided by n − 1, as numpy.cov)
};

// features: n rows of d floats, row-major; n ≥ 2.
GaussianStats gaussian_stats(const std::vector<float>& features, int64_t n, int d);

double frechet_distance(const GaussianStats& a, const GaussianStats& b);

}  // namespace ls::data
