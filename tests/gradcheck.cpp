// tests/gradcheck.cpp — the gradient checker of tests/gradcheck.h and the op-case registry.
#include "tests/gradcheck.h"

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>

namespace ls::test {

std::vector<OpCase>& op_cases() {
  static std::vector<OpCase> all;
  return all;
}

TensorList make_case_inputs(const OpCase& c, Rng& rng) {
  if (c.make_inputs) return c.make_inputs(rng);
  TensorList xs;
  for (const Shape& s : c.input_shapes) xs.push_back(Tensor::uniform(s, rng, c.lo, c.hi));
  return xs;
}

std::string op_case_test_name(size_t index) {
  std::string n = op_cases()[index].name;
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

uint64_t fresh_seed() {
  if (const char* s = std::getenv("LAYERSEG_TEST_SEED")) return std::strtoull(s, nullptr, 10);
  static const uint64_t seed = uint64_t(std::chrono::steady_clock::now().time_since_epoch().count()) % 1000003;
  return seed;
}

// L = Σ_k Σ_j out_k[j]·R_k[j], accumulated in double so that finite differences see the op's error, not the sum's.
static double weighted_sum(const TensorList& outs, const std::vector<std::vector<float>>& weights) {
  double acc = 0;
  for (size_t k = 0; k < outs.size(); ++k) {
    const std::vector<float> v = outs[k].to_vector();
    for (size_t j = 0; j < v.size(); ++j) acc += double(v[j]) * double(weights[k][j]);
  }
  return acc;
}

GradCheckResult gradcheck(const OpCase& c, const TensorList& inputs, uint64_t seed, int max_elems) {
  Rng rng(seed);
  TensorList xs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor x = inputs[i].clone();
    const bool diff = c.differentiable.empty() || c.differentiable[i];
    x.set_requires_grad(diff);
    xs.push_back(x);
  }
  // Analytic: one backward of L.
  const TensorList outs = c.run(xs);
  std::vector<std::vector<float>> weights;
  Tensor loss;
  for (const Tensor& o : outs) {
    weights.emplace_back(size_t(o.numel()));
    rng.fill_uniform(weights.back().data(), weights.back().size(), -1.f, 1.f);
    const Tensor term = sum(mul(o, Tensor::from_vector(o.shape(), weights.back(), o.device())));
    loss = loss.defined() ? add(loss, term) : term;
  }
  loss.backward();

  GradCheckResult r;
  autograd::NoGradGuard no_grad;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!xs[i].requires_grad()) continue;
    const std::vector<float> analytic = xs[i].grad().to_vector();
    const int64_t n = xs[i].numel();
    const int64_t count = std::min<int64_t>(n, max_elems);
    for (int64_t t = 0; t < count; ++t) {
      const int64_t j = count == n ? t : int64_t(rng.randint(int(n)));
      TensorList probe;
      for (const Tensor& x : xs) probe.push_back(x.detach().clone());
      std::vector<float> v = probe[i].to_vector();
      const float x0 = v[size_t(j)];
      v[size_t(j)] = x0 + c.fd_step;
      probe[i].copy_from(Tensor::from_vector(probe[i].shape(), v));
      const double up = weighted_sum(c.run(probe), weights);
      v[size_t(j)] = x0 - c.fd_step;
      probe[i].copy_from(Tensor::from_vector(probe[i].shape(), v));
      const double down = weighted_sum(c.run(probe), weights);
      const double numeric = (up - down) / (2.0 * double(c.fd_step));
      const double a = analytic[size_t(j)];
      ++r.checked;
      if (!(std::fabs(a - numeric) <= c.atol + c.rtol * std::fabs(numeric))) {
        if (r.ok || std::count(r.first_failures.begin(), r.first_failures.end(), '\n') < 10)
          r.first_failures += fmt::format("  input {} elem {}: analytic {:.6g} numeric {:.6g}\n", i, j, a, numeric);
        r.ok = false;
      }
    }
  }
  return r;
}

}  // namespace ls::test
