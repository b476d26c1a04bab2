// core/perturb.cpp — the perturbation draws of core/perturb.h.
#include "core/perturb.h"

#include <cmath>
#include <vector>

#include "kernels/error.h"

namespace ls {

std::array<float, 6> motion_theta(float tx, float ty, float rot_deg, float scale) {
  const double phi = double(rot_deg) * 3.14159265358979323846 / 180.0;
  const double c = std::cos(phi) / scale, s = std::sin(phi) / scale;
  // A = R(−φ)/s = [[c, s], [−s, c]]; b = −A·t.
  return {float(c), float(s), float(-(c * tx + s * ty)), float(-s), float(c), float(-(-s * tx + c * ty))};
}

Tensor perturbation_theta(Rng& rng, int n, float t_max, float rot_deg, float log2_scale) {
  LS_CHECK(n >= 0, "perturbation_theta: negative batch size {}", n);
  std::vector<float> eps(size_t(4 * n)), theta;
  rng.fill_uniform(eps.data(), eps.size(), -1.f, 1.f);
  for (int k = 0; k < n; ++k) {
    const float* e = &eps[size_t(4 * k)];
    const std::array<float, 6> th =
        motion_theta(e[0] * t_max, e[1] * t_max, e[2] * rot_deg, std::exp2(e[3] * log2_scale));
    theta.insert(theta.end(), th.begin(), th.end());
  }
  return Tensor::from_vector({n, 6}, theta);
}

}  // namespace ls
