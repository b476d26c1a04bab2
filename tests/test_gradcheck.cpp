// tests/test_gradcheck.cpp — every op case's backward against central finite differences, on the CPU.
// Also: every OpKind has a case, and the checker catches a deliberately wrong gradient.
// Seeds: a fixed one and a fresh one per run (printed, and reproducible with LAYERSEG_TEST_SEED=<seed>).
#include <gtest/gtest.h>

#include <set>

#include "tests/gradcheck.h"

namespace ls::test {

class GradCheck : public ::testing::TestWithParam<size_t> {};

TEST_P(GradCheck, MatchesFiniteDifferences) {
  const OpCase& c = op_cases()[GetParam()];
  for (uint64_t seed : {uint64_t(1234), fresh_seed()}) {
    Rng rng(seed);
    const TensorList inputs = make_case_inputs(c, rng);
    const GradCheckResult r = gradcheck(c, inputs, seed + 17);
    EXPECT_GT(r.checked, 0) << c.name << ": no input was checked";
    EXPECT_TRUE(r.ok) << c.name << " (seed " << seed << "):\n" << r.first_failures;
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, GradCheck, ::testing::Range<size_t>(0, op_cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return op_case_test_name(info.param); });

TEST(GradCheckCoverage, EveryOpKindHasACase) {
  std::set<OpKind> seen;
  std::set<std::string> names;
  for (const OpCase& c : op_cases()) {
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate case name " << c.name;
    Rng rng(1);
    TensorList xs = make_case_inputs(c, rng);
    for (size_t i = 0; i < xs.size(); ++i) xs[i].set_requires_grad(c.differentiable.empty() || c.differentiable[i]);
    for (const Tensor& out : c.run(xs))
      for (OpKind k : autograd::kinds_in_graph(sum(out))) seen.insert(k);
  }
  for (int k = 0; k < int(OpKind::Count); ++k)
    EXPECT_TRUE(seen.count(OpKind(k))) << "op " << op_name(OpKind(k)) << " has no case in tests/op_cases_*.cpp";
}

// y = x², recorded with a backward that is 5 % too large: the checker must report it.
static Tensor square_with_wrong_gradient(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) y.data()[i] = x.data()[i] * x.data()[i];
  autograd::record(OpKind::Mul, {x}, {y}, [x](const TensorList& g) -> TensorList {
    Tensor gx = Tensor::empty(x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) gx.data()[i] = 2.1f * x.data()[i] * g[0].data()[i];
    return {gx};
  });
  return y;
}

TEST(GradCheckSelfTest, CatchesADeliberatelyWrongGradient) {
  OpCase wrong;
  wrong.name = "square_wrong";
  wrong.input_shapes = {{3, 5}};
  wrong.run = [](const TensorList& x) { return TensorList{square_with_wrong_gradient(x[0])}; };
  wrong.lo = 0.5f;  // away from 0, where the gradient itself is small
  Rng rng(7);
  EXPECT_FALSE(gradcheck(wrong, make_case_inputs(wrong, rng), 8).ok);

  OpCase right = wrong;
  right.name = "square_right";
  right.run = [](const TensorList& x) { return TensorList{mul(x[0], x[0])}; };
  EXPECT_TRUE(gradcheck(right, make_case_inputs(right, rng), 8).ok);
}

}  // namespace ls::test
