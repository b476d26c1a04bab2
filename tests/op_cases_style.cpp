// tests/op_cases_style.cpp — op-table rows (tests/op_cases.h) for StyleGAN2's layer ops (core/ops_style.cpp): FIR
// up/down-sampling, bias + leaky-ReLU with gain, demodulation, minibatch standard deviation. Every row is
// gradient-checked by tests/test_gradcheck.cpp and compared CPU-vs-CUDA by the CUDA suite (the emulated device on
// every commit):
//   build/layerseg_tests --gtest_filter='*GradCheck*style*:*GradCheck*upfirdn*'
// Device tolerances: 1e-6 for upfirdn2d and bias_act (at most 64 terms, or one, per output in the CPU's order;
// the devices differ by contracted multiply-adds), 1e-5 for demodulation and the minibatch stddev (sums of up to a few
// hundred products, then a square root and a division).
#include <cmath>

#include "core/ops.h"
#include "tests/op_case_util.h"
#include "tests/op_cases.h"

namespace ls::test {
namespace {

TensorList one(const Tensor& t) { return {t}; }

const std::vector<float> kBinomial = {0.125f, 0.375f, 0.375f, 0.125f};  // StyleGAN2's [1,3,3,1], normalised

// ---- upfirdn2d ----------------------------------------------------------------------------------------------------
// StyleGAN2's ×2 upsampling (gain up² keeps the mean) and ×2 downsampling, and an odd filter with up 3 / down 2.
LS_OP_CASE(Row("upfirdn2d/up2_stylegan", {{2, 3, 4, 5}}, [](const TensorList& x) {
             return one(upfirdn2d(x[0], kBinomial, 2, 1, 2, 1, 4.f));
           }).device_tol(1e-6f, 1e-6f));
LS_OP_CASE(Row("upfirdn2d/down2_stylegan", {{2, 2, 7, 6}}, [](const TensorList& x) {
             return one(upfirdn2d(x[0], kBinomial, 1, 2, 1, 1));
           }).device_tol(1e-6f, 1e-6f));
LS_OP_CASE(Row("upfirdn2d/odd_taps_up3_down2", {{1, 2, 3, 4}}, [](const TensorList& x) {
             return one(upfirdn2d(x[0], {0.2f, 0.5f, 0.3f}, 3, 2, 1, 2, 1.5f));
           }).device_tol(1e-6f, 1e-6f));

// ---- bias_act -----------------------------------------------------------------------------------------------------
// x + b kept ≥ 0.06 away from the kink at 0 (|b| ≤ 0.04, x at least 0.1 from 0), wider than the finite-difference step.
TensorList biased_away_from_kink(Rng& rng, const Shape& shape, int64_t channels) {
  return {uniform_away_from(rng, shape, -1.f, 1.f, 0.f, 0.1f), Tensor::uniform({channels}, rng, -0.04f, 0.04f)};
}
LS_OP_CASE(Row("bias_act/lrelu_gain_nchw", {{2, 3, 4, 5}, {3}}, [](const TensorList& x) {
             return one(bias_act(x[0], x[1]));
           }).inputs([](Rng& rng) {
               return biased_away_from_kink(rng, {2, 3, 4, 5}, 3);
             }).device_tol(1e-6f, 1e-6f));
LS_OP_CASE(Row("bias_act/linear_2d_nobias", {{4, 6}}, [](const TensorList& x) {
             return one(bias_act(x[0], Tensor(), 1.f, 0.7f));
           }).device_tol(1e-6f, 1e-6f));
LS_OP_CASE(Row("bias_act/lrelu_2d", {{3, 5}, {5}}, [](const TensorList& x) {
             return one(bias_act(x[0], x[1], 0.2f, 1.f));
           }).inputs([](Rng& rng) {
               return biased_away_from_kink(rng, {3, 5}, 5);
             }).device_tol(1e-6f, 1e-6f));

// ---- demodulation -------------------------------------------------------------------------------------------------
// Styles around 1, as StyleGAN2's affine layers start (bias 1).
TensorList weight_and_styles(Rng& rng, const Shape& w, const Shape& s) {
  return {Tensor::uniform(w, rng, -1.f, 1.f), Tensor::uniform(s, rng, 0.5f, 1.5f)};
}
LS_OP_CASE(Row("demodulation/3x3", {{4, 3, 3, 3}, {2, 3}}, [](const TensorList& x) {
             return one(demodulation(x[0], x[1]));
           }).inputs([](Rng& rng) {
               return weight_and_styles(rng, {4, 3, 3, 3}, {2, 3});
             }).device_tol(1e-5f, 1e-5f));
LS_OP_CASE(Row("demodulation/1x1_odd", {{5, 6, 1, 1}, {3, 6}}, [](const TensorList& x) {
             return one(demodulation(x[0], x[1]));
           }).inputs([](Rng& rng) {
               return weight_and_styles(rng, {5, 6, 1, 1}, {3, 6});
             }).device_tol(1e-5f, 1e-5f));

// ---- minibatch stddev ---------------------------------------------------------------------------------------------
// The group's standard deviation has a kink where its members coincide (for two, |a − b|/2): the members of each
// group are kept ≥ 0.2 apart (sample g of a group offset by g, plus U[−0.4, 0.4]), well beyond the finite-difference
// step, so a fresh seed cannot put a pair on the kink.
TensorList groups_apart(Rng& rng, const Shape& shape, int group) {
  std::vector<float> v(size_t(shape_numel(shape)));
  rng.fill_uniform(v.data(), v.size(), -0.4f, 0.4f);
  const size_t per_sample = v.size() / size_t(shape[0]);
  for (size_t i = 0; i < v.size(); ++i) v[i] += float(i / per_sample % size_t(group));
  return {Tensor::from_vector(shape, v)};
}
LS_OP_CASE(Row("minibatch_stddev/group2", {{4, 3, 2, 3}}, [](const TensorList& x) {
             return one(minibatch_stddev(x[0], 2, 1));
           }).inputs([](Rng& rng) {
               return groups_apart(rng, {4, 3, 2, 3}, 2);
             }).device_tol(1e-5f, 1e-5f));
LS_OP_CASE(Row("minibatch_stddev/group4_features2", {{8, 4, 3, 3}}, [](const TensorList& x) {
             return one(minibatch_stddev(x[0], 4, 2));
           }).inputs([](Rng& rng) {
               return groups_apart(rng, {8, 4, 3, 3}, 4);
             }).device_tol(1e-5f, 1e-5f));
// A group larger than the batch shrinks to the batch (StyleGAN2's min(group, N)).
LS_OP_CASE(Row("minibatch_stddev/group_above_batch", {{2, 2, 2, 2}}, [](const TensorList& x) {
             return one(minibatch_stddev(x[0], 4, 1));
           }).inputs([](Rng& rng) {
               return groups_apart(rng, {2, 2, 2, 2}, 2);
             }).device_tol(1e-5f, 1e-5f));

}  // namespace
}  // namespace ls::test
