// tests/test_cuda_ops.cpp — every op case of the op table (tests/op_cases_*.cpp) on CUDA against the CPU reference:
// the same random inputs on both devices, the forward outputs compared, then the backward of the same weighted sum
// L = Σ outputs·R and every input gradient compared, with the case's device tolerance (stated, with its reason, next
// to each row). CUDA outputs come from a poisoned allocator (every fresh or reused block is NaN-filled), so a kernel
// that skips an element fails the NaN check. Each case runs with a fixed seed and a fresh one (LAYERSEG_TEST_SEED).
// A case added to the table is covered here automatically; CudaOpsCoverage checks every OpKind ran on the device.
//   build/layerseg_tests --gtest_filter='Cuda*'      (skips with a message without a GPU or without CUDA)
#include <gtest/gtest.h>

#include <cctype>
#include <set>

#include "core/ops.h"
#include "tests/op_cases.h"
#include "tests/test_cuda_util.h"

namespace ls::test {

namespace {

struct DeviceRun {
  std::vector<std::vector<float>> outputs, grads;  // grads: one per differentiable input, empty when not
};

// Runs case c on device d from host inputs: forward, then backward of Σ_k Σ out_k·R_k with R_k uniform in [−1, 1]
// drawn from weight_seed (the same weights on both devices).
DeviceRun run_on(const OpCase& c, const TensorList& inputs, Device d, uint64_t weight_seed) {
  TensorList xs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor x = d == inputs[i].device() ? inputs[i].clone() : inputs[i].to(d);
    x.set_requires_grad(c.differentiable.empty() || c.differentiable[i]);
    xs.push_back(x);
  }
  const TensorList outs = c.run(xs);
  Rng rng(weight_seed);
  Tensor loss;
  DeviceRun r;
  for (const Tensor& o : outs) {
    EXPECT_EQ(o.device(), d) << c.name << ": an output is on " << device_name(o.device());
    r.outputs.push_back(o.to_vector());
    std::vector<float> w(size_t(o.numel()));
    rng.fill_uniform(w.data(), w.size(), -1.f, 1.f);
    const Tensor term = sum(mul(o, Tensor::from_vector(o.shape(), w, d)));
    loss = loss.defined() ? add(loss, term) : term;
  }
  loss.backward();
  for (const Tensor& x : xs)
    r.grads.push_back(x.requires_grad() && x.grad().defined() ? x.grad().to_vector() : std::vector<float>{});
  return r;
}

class CudaOps : public ::testing::TestWithParam<size_t> {};

TEST_P(CudaOps, MatchesCpu) {
  LS_REQUIRE_CUDA();
  const OpCase& c = op_cases()[GetParam()];
  for (uint64_t seed : {uint64_t(1234), fresh_seed()}) {
    Rng rng(seed);
    const TensorList inputs = make_case_inputs(c, rng);
    const DeviceRun cpu = run_on(c, inputs, Device::CPU, seed + 17);
    DeviceRun gpu;
    {
      PoisonGuard poison;
      gpu = run_on(c, inputs, Device::CUDA, seed + 17);
    }
    const std::string where = c.name + " (seed " + std::to_string(seed) + ")";
    ASSERT_EQ(gpu.outputs.size(), cpu.outputs.size()) << where;
    for (size_t k = 0; k < cpu.outputs.size(); ++k) {
      const std::string bad = compare_close(gpu.outputs[k], cpu.outputs[k], c.device_atol, c.device_rtol);
      EXPECT_TRUE(bad.empty()) << where << ": output " << k << " differs from the CPU:\n" << bad;
    }
    for (size_t i = 0; i < cpu.grads.size(); ++i) {
      EXPECT_EQ(gpu.grads[i].empty(), cpu.grads[i].empty())
          << where << ": gradient of input " << i << " exists on one device only";
      const std::string bad = compare_close(gpu.grads[i], cpu.grads[i], c.device_atol, c.device_rtol);
      EXPECT_TRUE(bad.empty()) << where << ": gradient of input " << i << " differs from the CPU:\n" << bad;
    }
  }
}

// "Cuda" prefix: the full names (Cuda/CudaOps.MatchesCpu/<case>) match the suite filter 'Cuda*'.
INSTANTIATE_TEST_SUITE_P(Cuda, CudaOps, ::testing::Range<size_t>(0, op_cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return op_case_test_name(info.param); });

// Every op kind of the engine appears in some case's graph when run on CUDA (the CPU-side twin of this check is
// GradCheckCoverage.EveryOpKindHasACase): an op whose kernel has no CUDA path fails here.
TEST(CudaOpsCoverage, EveryOpKindRunsOnCuda) {
  LS_REQUIRE_CUDA();
  std::set<OpKind> seen;
  for (const OpCase& c : op_cases()) {
    Rng rng(1);
    TensorList xs;
    for (const Tensor& x : make_case_inputs(c, rng)) {
      xs.push_back(x.to(Device::CUDA));
      xs.back().set_requires_grad(c.differentiable.empty() || c.differentiable[xs.size() - 1]);
    }
    for (const Tensor& out : c.run(xs))
      for (OpKind k : autograd::kinds_in_graph(sum(out))) seen.insert(k);
  }
  for (int k = 0; k < int(OpKind::Count); ++k)
    EXPECT_TRUE(seen.count(OpKind(k))) << "op " << op_name(OpKind(k)) << " never ran on CUDA";
}

// The comparison itself (runs everywhere): it must flag an element off by more than the tolerance, a NaN (what a
// poisoned, unwritten element reads as) and an Inf, and pass values within tolerance.
TEST(CudaOpsSelfTest, ComparisonCatchesMismatchNanAndInf) {
  const std::vector<float> want = {1.f, 2.f, 3.f, 4.f};
  EXPECT_TRUE(compare_close({1.f, 2.f + 1e-6f, 3.f, 4.f}, want, 1e-5f, 0.f).empty());
  EXPECT_FALSE(compare_close({1.f, 2.001f, 3.f, 4.f}, want, 1e-5f, 1e-5f).empty());
  EXPECT_FALSE(compare_close({1.f, 2.f, std::nanf(""), 4.f}, want, 1.f, 1.f).empty());
  EXPECT_FALSE(compare_close({1.f, 2.f, 3.f, INFINITY}, want, 1.f, 1.f).empty());
  EXPECT_FALSE(compare_close({1.f, 2.f, 3.f}, want, 1.f, 1.f).empty());
}

}  // namespace
}  // namespace ls::test
