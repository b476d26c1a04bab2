// tests/op_cases.h — the op table the test suites loop over (ggml's test-backend-ops idea).
// A case names an op, the shapes of its random inputs, and a function that runs it. The gradient checker
// (tests/test_gradcheck.cpp) compares every case's backward with central finite differences; the CUDA suite runs
// the same cases on both devices. Cases register themselves from tests/op_cases_*.cpp with LS_OP_CASE.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/rng.h"

namespace ls::test {

struct OpCase {
  std::string name;                 // unique, e.g. "conv2d/stride2_pad1_odd"
  std::vector<Shape> input_shapes;  // inputs drawn uniform in [lo, hi] unless `make_inputs` is set
  // Runs the op on inputs (already on the device under test); returns every output to be compared.
  std::function<TensorList(const TensorList& inputs)> run;
  // Which inputs get gradients checked (default: all).
  std::vector<bool> differentiable;
  float lo = -1.f, hi = 1.f;
  // Optional: builds inputs (for ops with domain constraints: labels, masks in [0,1], values away from kinks).
  std::function<TensorList(Rng&)> make_inputs;
  // Gradient-check settings: finite-difference step and the tolerance |analytic − numeric| ≤ atol + rtol·|numeric|.
  // Defaults suit smooth ops in float32 with double-accumulated losses (see test_gradcheck.cpp).
  float fd_step = 1e-2f, atol = 2e-3f, rtol = 2e-2f;
  // CPU-vs-CUDA tolerance; set per op with a comment saying why.
  float device_atol = 1e-5f, device_rtol = 1e-5f;
};

std::vector<OpCase>& op_cases();

struct OpCaseRegistrar {
  explicit OpCaseRegistrar(OpCase c) { op_cases().push_back(std::move(c)); }
};

// Inputs of a case, fresh from rng, on the CPU.
TensorList make_case_inputs(const OpCase& c, Rng& rng);

// The case's name as a GoogleTest parameter name (non-alphanumerics become '_').
std::string op_case_test_name(size_t index);

// A seed fresh for this run (the suites pair it with a fixed one); LAYERSEG_TEST_SEED=<seed> reproduces a failure.
uint64_t fresh_seed();

}  // namespace ls::test

#define LS_OP_CASE_CAT2(a, b) a##b
#define LS_OP_CASE_CAT(a, b) LS_OP_CASE_CAT2(a, b)
#define LS_OP_CASE(...) \
  static ::ls::test::OpCaseRegistrar LS_OP_CASE_CAT(ls_op_case_, __LINE__)(::ls::test::OpCase{__VA_ARGS__})
