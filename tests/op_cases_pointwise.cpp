// tests/op_cases_pointwise.cpp — op-table rows (tests/op_cases.h) for the element-wise, broadcasting, reduction and
// shape ops. Every row is gradient-checked by tests/test_gradcheck.cpp and compared CPU-vs-CUDA by the CUDA suite:
//   build/layerseg_tests --gtest_filter='*GradCheck*'
#include "core/ops.h"
#include "tests/op_case_util.h"

namespace ls::test {
namespace {

// CPU-vs-CUDA tolerances (atol = rtol):
// both backends do the same single IEEE operation per element (copies, max, +, −, ×, correctly rounded ÷): exact;
constexpr float kExact = 0.f;
// CUDA's tanhf/expf/log1pf are within a few ulp of glibc's;
constexpr float kTranscendental = 1e-6f;
// summation order differs between backends.
constexpr float kReduction = 1e-5f;

TensorList one(const Tensor& t) { return {t}; }
Tensor away_from_zero(Rng& r, const Shape& s) { return uniform_away_from(r, s, -1.f, 1.f, 0.f, 0.05f); }

// ---- activations ----------------------------------------------------------------------------------------------
// relu/leaky inputs kept 0.05 away from the kink at 0 (> 2·fd_step = 0.02).
LS_OP_CASE(Row("relu/odd", {{3, 5, 7}}, [](const TensorList& x) {
             return one(relu(x[0]));
           }).inputs([](Rng& r) {
               return TensorList{away_from_zero(r, {3, 5, 7})};
             }).device_tol(kExact, kExact));
LS_OP_CASE(Row("leaky_relu/slope0.2", {{2, 3, 5, 5}}, [](const TensorList& x) {
             return one(leaky_relu(x[0], 0.2f));
           }).inputs([](Rng& r) {
               return TensorList{away_from_zero(r, {2, 3, 5, 5})};
             }).device_tol(kExact, kExact));
LS_OP_CASE(Row("tanh/wide", {{4, 33}}, [](const TensorList& x) { return one(tanh(x[0])); })
               .range(-3.f, 3.f)
               .device_tol(kTranscendental, kTranscendental));
LS_OP_CASE(Row("sigmoid/wide", {{4, 33}}, [](const TensorList& x) { return one(sigmoid(x[0])); })
               .range(-6.f, 6.f)
               .device_tol(kTranscendental, kTranscendental));
LS_OP_CASE(Row("softplus/wide", {{3, 41}}, [](const TensorList& x) { return one(softplus(x[0])); })
               .range(-8.f, 8.f)
               .device_tol(kTranscendental, kTranscendental));
// Positive inputs, away from 0 where 1/√x and its slope blow up.
LS_OP_CASE(Row("rsqrt/positive", {{3, 17}}, [](const TensorList& x) { return one(rsqrt(x[0])); })
               .range(0.3f, 4.f)
               .device_tol(kTranscendental, kTranscendental));

// ---- broadcasting binary ops ------------------------------------------------------------------------------------
Row binary(const char* name, std::vector<Shape> shapes, Tensor (*op)(const Tensor&, const Tensor&)) {
  return std::move(Row(name, std::move(shapes), [op](const TensorList& x) {
                     return one(op(x[0], x[1]));
                   }).device_tol(kExact, kExact));
}
// Divisors drawn in [0.5, 1.5], away from 0 where 1/b explodes.
Row division(const char* name, const Shape& a, const Shape& b) {
  return std::move(binary(name, {a, b}, div).inputs([a, b](Rng& r) {
    return TensorList{Tensor::uniform(a, r, -1.f, 1.f), Tensor::uniform(b, r, 0.5f, 1.5f)};
  }));
}
LS_OP_CASE(binary("add/same_shape_odd", {{3, 5, 7}, {3, 5, 7}}, add));
LS_OP_CASE(binary("add/bias_4d", {{2, 3, 4, 5}, {1, 3, 1, 1}}, add));
LS_OP_CASE(binary("add/rank2_rank1", {{2, 3}, {3}}, add));
LS_OP_CASE(binary("add/scalar_shaped", {{3, 4}, {}}, add));
LS_OP_CASE(binary("sub/both_broadcast", {{3, 1, 5}, {1, 4, 1}}, sub));
LS_OP_CASE(binary("sub/scalar_shaped_first", {{}, {2, 5}}, sub));
LS_OP_CASE(binary("mul/bias_4d", {{2, 3, 4, 5}, {1, 3, 1, 1}}, mul));
LS_OP_CASE(binary("mul/rank2_rank1", {{2, 3}, {3}}, mul));
LS_OP_CASE(binary("mul/both_broadcast", {{2, 1, 3, 1}, {5, 1, 4}}, mul));
LS_OP_CASE(Row("mul/same_operand", {{4, 7}}, [](const TensorList& x) {
             return one(mul(x[0], x[0]));
           }).device_tol(kExact, kExact));
LS_OP_CASE(division("div/bias_4d", {2, 3, 4, 5}, {1, 3, 1, 1}));
LS_OP_CASE(division("div/scalar_shaped", {4, 5}, {}));
LS_OP_CASE(Row("add_scalar/odd", {{3, 7}}, [](const TensorList& x) {
             return one(add_scalar(x[0], 0.75f));
           }).device_tol(kExact, kExact));
LS_OP_CASE(Row("mul_scalar/odd", {{3, 7}}, [](const TensorList& x) {
             return one(mul_scalar(x[0], -1.5f));
           }).device_tol(kExact, kExact));

// ---- reductions -----------------------------------------------------------------------------------------------
Row reduction(const char* name, const Shape& s, Tensor (*op)(const Tensor&, const std::vector<int>&, bool),
              std::vector<int> axes, bool keepdim) {
  return std::move(Row(name, {s}, [=](const TensorList& x) {
                     return one(op(x[0], axes, keepdim));
                   }).device_tol(kReduction, kReduction));
}
LS_OP_CASE(reduction("sum/all", {2, 3, 4, 5}, sum, {}, false));
LS_OP_CASE(reduction("sum/axes_1_3_keepdim", {2, 3, 4, 5}, sum, {1, 3}, true));
LS_OP_CASE(reduction("sum/last_axis_negative", {3, 7}, sum, {-1}, false));
LS_OP_CASE(reduction("sum/leading_axes_0_1", {3, 2, 5}, sum, {0, 1}, false));
LS_OP_CASE(reduction("mean/all_keepdim", {2, 3, 4, 5}, mean, {}, true));
LS_OP_CASE(reduction("mean/axes_0_2_3", {2, 3, 4, 5}, mean, {0, 2, 3}, false));
LS_OP_CASE(reduction("mean/axis1_keepdim", {4, 3, 5}, mean, {1}, true));

// ---- shape ops: pure copies ----------------------------------------------------------------------------------
LS_OP_CASE(Row("reshape/infer", {{2, 3, 4, 5}}, [](const TensorList& x) {
             return one(reshape(x[0], {6, -1}));
           }).device_tol(kExact, kExact));
// flatten records a Reshape node; the product makes the gradient depend on the layout.
LS_OP_CASE(Row("reshape/flatten_then_mul", {{2, 3, 2, 2}, {2, 12}}, [](const TensorList& x) {
             return one(mul(flatten(x[0]), x[1]));
           }).device_tol(kExact, kExact));
LS_OP_CASE(Row("concat/three_channels", {{2, 3, 4, 4}, {2, 1, 4, 4}, {2, 2, 4, 4}}, [](const TensorList& x) {
             return one(concat({x[0], x[1], x[2]}, 1));
           }).device_tol(kExact, kExact));
LS_OP_CASE(Row("concat/axis0", {{2, 5}, {3, 5}}, [](const TensorList& x) {
             return one(concat({x[0], x[1]}, 0));
           }).device_tol(kExact, kExact));
LS_OP_CASE(Row("concat/last_axis", {{2, 3, 2}, {2, 3, 5}, {2, 3, 1}}, [](const TensorList& x) {
             return one(concat({x[0], x[1], x[2]}, -1));
           }).device_tol(kExact, kExact));
LS_OP_CASE(Row("slice/channels", {{2, 5, 3, 3}}, [](const TensorList& x) {
             return one(slice(x[0], 1, 1, 4));
           }).device_tol(kExact, kExact));
LS_OP_CASE(Row("slice/last_axis", {{3, 7}}, [](const TensorList& x) {
             return one(slice(x[0], -1, 2, 7));
           }).device_tol(kExact, kExact));

}  // namespace
}  // namespace ls::test
