// tests/op_case_util.h — helpers for writing the rows of tests/op_cases_*.cpp: a builder that sets OpCase fields by
// name (an aggregate row that omits fields trips -Wmissing-field-initializers), and inputs kept away from kinks.
#pragma once
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.h"
#include "tests/op_cases.h"

namespace ls::test {

// LS_OP_CASE(Row("relu/odd", {{3, 5}}, run).range(-2, 2).device_tol(0, 0)); derived from OpCase, so the macro's
// OpCase{row} copies it.
struct Row : OpCase {
  Row(std::string n, std::vector<Shape> shapes, std::function<TensorList(const TensorList&)> r) {
    name = std::move(n), input_shapes = std::move(shapes), run = std::move(r);
  }
  Row& range(float l, float h) { return lo = l, hi = h, *this; }
  Row& inputs(std::function<TensorList(Rng&)> make) { return make_inputs = std::move(make), *this; }
  Row& grads(std::vector<bool> which) { return differentiable = std::move(which), *this; }
  Row& device_tol(float atol, float rtol) { return device_atol = atol, device_rtol = rtol, *this; }
};

// Uniform in [lo, hi], with every value closer than `margin` to `kink` pushed out to kink ± margin, so that central
// differences never straddle a kink (relu at 0, hinge at ±1, min(m, 1 − m) at ½). Use margin > 2·fd_step.
inline Tensor uniform_away_from(Rng& rng, const Shape& shape, float lo, float hi, float kink, float margin) {
  std::vector<float> v(size_t(shape_numel(shape)));
  rng.fill_uniform(v.data(), v.size(), lo, hi);
  for (float& x : v)
    if (std::fabs(x - kink) < margin) x = x < kink ? kink - margin : kink + margin;
  return Tensor::from_vector(shape, v);
}

}  // namespace ls::test
