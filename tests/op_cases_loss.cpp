// tests/op_cases_loss.cpp — op-table rows (tests/op_cases.h) for the losses and the fused perturbed composition.
// Every row is gradient-checked by tests/test_gradcheck.cpp and compared CPU-vs-CUDA by the CUDA suite:
//   build/layerseg_tests --gtest_filter='*GradCheck*'
#include <array>
#include <vector>

#include "core/ops.h"
#include "core/perturb.h"
#include "tests/op_case_util.h"

namespace ls::test {
namespace {

// CPU-vs-CUDA tolerances: the losses are reductions (summation order differs between backends) of transcendental
// terms: 1e-5 relative. The composition does a handful of float multiply-adds per output, which CUDA may fuse
// into FMAs: 1e-5 absolute on values of order 1.
constexpr float kLoss = 1e-5f, kCompose = 1e-5f;

Row loss(const char* name, std::vector<Shape> shapes, std::function<Tensor(const TensorList&)> fn) {
  return std::move(
      Row(name, std::move(shapes), [fn](const TensorList& x) { return TensorList{fn(x)}; }).device_tol(kLoss, kLoss));
}

// ---- losses ---------------------------------------------------------------------------------------------------
// Hinge kinks at x = 1 (real) and x = −1 (fake); inputs span both sides, kept 0.05 away (> 2·fd_step).
LS_OP_CASE(loss("hinge_d_loss/real", {{8, 1}}, [](const TensorList& x) {
             return hinge_d_loss(x[0], true);
           }).inputs([](Rng& r) {
  return TensorList{uniform_away_from(r, {8, 1}, -2.f, 3.f, 1.f, 0.05f)};
}));
LS_OP_CASE(loss("hinge_d_loss/fake", {{8, 1}}, [](const TensorList& x) {
             return hinge_d_loss(x[0], false);
           }).inputs([](Rng& r) {
  return TensorList{uniform_away_from(r, {8, 1}, -3.f, 2.f, -1.f, 0.05f)};
}));
LS_OP_CASE(loss("hinge_g_loss/batch", {{7, 1}}, [](const TensorList& x) { return hinge_g_loss(x[0]); }));
// Labels are exact class indices; logits spread enough that the softmax is far from uniform.
Row softmax_case(const char* name, int64_t n, int k) {
  return std::move(loss(name, {{n, k}, {n}}, [](const TensorList& x) { return softmax_cross_entropy(x[0], x[1]); })
                       .grads({true, false})
                       .inputs([n, k](Rng& r) {
                         std::vector<float> labels(static_cast<size_t>(n));
                         for (float& y : labels) y = float(r.randint(k));
                         return TensorList{Tensor::uniform({n, k}, r, -3.f, 3.f), Tensor::from_vector({n}, labels)};
                       }));
}
LS_OP_CASE(softmax_case("softmax_cross_entropy/5x4", 5, 4));
// Soft targets in [0, 1] (the segmentation loss trains against the soft mask π).
LS_OP_CASE(
    loss("bce_with_logits/soft_targets", {{2, 1, 5, 5}, {2, 1, 5, 5}},
         [](const TensorList& x) { return bce_with_logits(x[0], x[1]); })
        .grads({true, false})
        .inputs([](Rng& r) {
          return TensorList{Tensor::uniform({2, 1, 5, 5}, r, -4.f, 4.f), Tensor::uniform({2, 1, 5, 5}, r, 0.f, 1.f)};
        }));
// Masks in [0, 1], kept 0.05 away from the kink of min(m, 1 − m) at ½.
LS_OP_CASE(loss("binarization_loss/mask", {{2, 1, 6, 6}}, [](const TensorList& x) {
             return binarization_loss(x[0]);
           }).inputs([](Rng& r) {
  return TensorList{uniform_away_from(r, {2, 1, 6, 6}, 0.f, 1.f, 0.5f, 0.05f)};
}));
LS_OP_CASE(loss("half_squared_distance/4x3", {{4, 3}, {4, 3}}, [](const TensorList& x) {
             return half_squared_distance(x[0], x[1]);
           }).grads({false, true}));

// More than 256 terms: the CUDA mean takes the split-reduction path (kernels/cuda/segmented_sum.cuh), as at training
// sizes.
LS_OP_CASE(softmax_case("softmax_cross_entropy/300x3_split_reduction", 300, 3));
LS_OP_CASE(loss("bce_with_logits/split_reduction", {{2, 1, 12, 12}, {2, 1, 12, 12}},
                [](const TensorList& x) { return bce_with_logits(x[0], x[1]); })
               .grads({true, false})
               .inputs([](Rng& r) {
                 return TensorList{Tensor::uniform({2, 1, 12, 12}, r, -4.f, 4.f),
                                   Tensor::uniform({2, 1, 12, 12}, r, 0.f, 1.f)};
               }));
LS_OP_CASE(loss("half_squared_distance/100x3_split_reduction", {{100, 3}, {100, 3}}, [](const TensorList& x) {
             return half_squared_distance(x[0], x[1]);
           }).grads({false, true}));

// ---- compose_perturbed: gradients to x_b, x_f, π; theta is a constant input -------------------------------------
Row compose(const char* name, int64_t n, int64_t c, int64_t h, int64_t w, std::function<Tensor(Rng&)> theta) {
  return std::move(Row(name, {{n, c, h, w}, {n, c, h, w}, {n, 1, h, w}, {n, 6}},
                       [](const TensorList& x) {
                         const Composite out = compose_perturbed(x[0], x[1], x[2], x[3]);
                         return TensorList{out.image, out.mask};
                       })
                       .grads({true, true, true, false})
                       .inputs([=](Rng& r) {
                         return TensorList{Tensor::uniform({n, c, h, w}, r, -1.f, 1.f),
                                           Tensor::uniform({n, c, h, w}, r, -1.f, 1.f),
                                           Tensor::uniform({n, 1, h, w}, r, 0.f, 1.f), theta(r)};
                       })
                       .device_tol(kCompose, 0.f));
}
LS_OP_CASE(compose("compose_perturbed/small_random", 2, 3, 6, 7, [](Rng& r) { return perturbation_theta(r, 2); }));
LS_OP_CASE(compose("compose_perturbed/strong_random", 1, 2, 8, 8,
                   [](Rng& r) { return perturbation_theta(r, 1, 0.6f, 40.f, 0.5f); }));
// Translated by 3 (1.5 image widths): every tap is outside, so the composite is x_b and x_f, π get zero gradient.
LS_OP_CASE(compose("compose_perturbed/out_of_frame", 2, 3, 5, 5, [](Rng&) {
  const std::array<float, 6> t = motion_theta(3.f, 0.f, 0.f, 1.f);
  std::vector<float> v(t.begin(), t.end());
  v.insert(v.end(), t.begin(), t.end());
  return Tensor::from_vector({2, 6}, v);
}));

}  // namespace
}  // namespace ls::test
