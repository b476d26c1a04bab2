// tests/gradcheck.h — central finite differences against autograd, for any function of tensors.
#pragma once
#include <string>

#include "tests/op_cases.h"

namespace ls::test {

struct GradCheckResult {
  bool ok = true;
  int checked = 0;
  std::string first_failures;  // up to ten mismatches: input, index, analytic, numeric
};

// Checks d/dx_i of L = Σ_k Σ outputs_k · R_k (R fixed random weights, sums in double) for every input flagged
// in c.differentiable, at up to max_elems elements per input (all if fewer), using c.fd_step, c.atol, c.rtol.
GradCheckResult gradcheck(const OpCase& c, const TensorList& inputs, uint64_t seed, int max_elems = 48);

}  // namespace ls::test
