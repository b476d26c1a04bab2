// tests/test_cuda_train_step.cpp — one D step and one G step of a tiny layered GAN (core/testing/tiny_layered_gan.h:
// generators with batch-norm, the perturbed composition, a spectral-norm discriminator with D and E_x heads, E_π, a
// frozen segmenter; hinge, cross-entropy, binarization and BCE losses; Adam) from the same seed on the CPU and on
// CUDA in FP32: every loss, every parameter gradient, the parameters after each Adam step and the buffers agree.
// The CPU run is the reference, so it is also checked on its own: it repeats bit for bit, every trainable parameter
// gets a gradient (none escapes the comparison) and the frozen segmenter gets none.
//   build/layerseg_tests --gtest_filter='CudaTrainStep*'   (the CUDA test skips without a GPU or without CUDA)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/optim.h"
#include "core/testing/tiny_layered_gan.h"
#include "tests/test_cuda_util.h"

namespace ls::test {
namespace {

using fixtures::TinyGanBatch;
using fixtures::TinyGanLosses;
using fixtures::TinyGanSizes;
using fixtures::TinyLayeredGan;
using NamedVectors = std::vector<std::pair<std::string, std::vector<float>>>;

// Everything the two steps produce, copied to the host in a fixed order.
struct StepRecord {
  NamedVectors losses;         // the D step's parts and total, then the G step's
  NamedVectors grads;          // D-step gradients of D, E_x, E_π; then G-step gradients of G_b, G_f (empty: none)
  NamedVectors before, after;  // those parameters around their Adam step
  NamedVectors buffers;        // batch-norm running statistics and spectral-norm vectors after both steps
  int frozen_grads = 0;        // parameters of the frozen segmenter F that got a gradient
};

StepRecord run_two_steps(Device d) {
  const TinyGanSizes sizes;
  Rng init(1), data(2);
  TinyLayeredGan gan(sizes, init);  // built on the CPU, then moved: the same initial bits on every device
  gan.to(d);
  Adam opt_d(gan.discriminator_parameters(), fixtures::tiny_gan_adam());
  Adam opt_g(gan.generator_parameters(), fixtures::tiny_gan_adam());
  StepRecord r;
  auto step = [&](Adam& opt, const NamedTensors& params, const std::function<TinyGanLosses(const TinyGanBatch&)>& f) {
    opt.zero_grad();
    for (const auto& [name, loss] : f(TinyGanBatch::sample(sizes, data).to(d)).parts)
      r.losses.emplace_back(name, loss.to_vector());
    for (const auto& [name, p] : params) {
      r.grads.emplace_back(name, p.grad().defined() ? p.grad().to_vector() : std::vector<float>{});
      r.before.emplace_back(name, p.to_vector());
    }
    opt.step();
    for (const auto& [name, p] : params) r.after.emplace_back(name, p.to_vector());
  };
  step(opt_d, gan.discriminator_parameters(), [&](const TinyGanBatch& b) { return gan.d_backward(b); });
  step(opt_g, gan.generator_parameters(), [&](const TinyGanBatch& b) { return gan.g_backward(b); });
  for (const auto& [name, b] : gan.named_buffers()) r.buffers.emplace_back(name, b.to_vector());
  for (const Tensor& p : gan.f->parameters()) r.frozen_grads += p.grad().defined();
  return r;
}

float max_abs(const std::vector<float>& v) {
  float m = 0.f;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

// Each named vector of `got` against `want` with |got − want| ≤ atol_of_max·max|want| + atol + rtol·|want|.
void expect_close(const char* what, const NamedVectors& got, const NamedVectors& want, float atol_of_max, float atol,
                  float rtol) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t k = 0; k < want.size(); ++k) {
    ASSERT_EQ(got[k].first, want[k].first) << what;
    const std::string bad =
        compare_close(got[k].second, want[k].second, atol_of_max * max_abs(want[k].second) + atol, rtol);
    EXPECT_TRUE(bad.empty()) << what << " '" << want[k].first << "' differs:\n" << bad;
  }
}

// The reference: deterministic (so one CPU run stands for all), and complete (every trainable parameter was compared).
TEST(CudaTrainStep, CpuReferenceIsDeterministicAndComplete) {
  const StepRecord a = run_two_steps(Device::CPU), b = run_two_steps(Device::CPU);
  for (const NamedVectors* v : {&a.losses, &a.grads, &a.after, &a.buffers})
    for (const auto& [name, values] : *v)
      for (float x : values) ASSERT_TRUE(std::isfinite(x)) << name;
  for (const auto& [name, g] : a.grads) EXPECT_FALSE(g.empty()) << "no gradient reached '" << name << "'";
  EXPECT_EQ(a.frozen_grads, 0) << "the frozen segmenter got gradients";
  EXPECT_EQ(a.losses, b.losses);
  EXPECT_EQ(a.grads, b.grads);
  EXPECT_EQ(a.after, b.after);
  EXPECT_EQ(a.buffers, b.buffers);
}

TEST(CudaTrainStep, OneDAndOneGStepMatchCpu) {
  LS_REQUIRE_CUDA();
#ifdef LAYERSEG_WITH_CUDA
  cuda::set_allow_tf32(false);  // FP32 convolutions and GEMMs: TF32 would differ from the CPU at the 1e-3 level
#endif
  const StepRecord cpu = run_two_steps(Device::CPU);
  StepRecord gpu;
  {
    PoisonGuard poison;  // an element a kernel forgets to write is NaN and fails below
    gpu = run_two_steps(Device::CUDA);
  }
  EXPECT_EQ(gpu.frozen_grads, 0);

  // Tolerances. Both devices compute in FP32 with reductions in double, but convolutions and GEMMs sum in another
  // order (cuDNN, cuBLAS against im2col + OpenBLAS), so every layer's output differs by a few ulp. Calibrated on the
  // CPU: perturbing every parameter and input by 5e-7 relative (≈ 4 ulp) moves the records by at most a twelfth of
  // each tolerance below (losses 1/85, gradients 1/200, buffers 1/12), while a wrong kernel moves them by O(1).
  // Losses are O(0.1–4) means: 1e-5 absolute and relative.
  expect_close("loss", gpu.losses, cpu.losses, 0.f, 1e-5f, 1e-5f);
  // A parameter gradient sums products over the batch and the pixels, so its rounding error scales with the largest
  // gradient of that tensor, not with each element (elements that cancel to near 0 keep the rounding of the large
  // partial sums); the composition's backward also scatters with float atomics in arbitrary order, and cuDNN may pick
  // Winograd or FFT algorithms (exact only up to their transforms' rounding): 2e-4 of the tensor's largest |g|, plus
  // 1e-3 relative.
  expect_close("gradient", gpu.grads, cpu.grads, 2e-4f, 0.f, 1e-3f);

  // The fused multi-tensor Adam on CUDA equals the CPU's Adam on the same gradients bit for bit (both round every
  // operation the same way): replay each step on the CPU from the GPU's parameters and gradients.
  for (size_t k = 0; k < gpu.grads.size(); ++k) {
    const auto& [name, g] = gpu.grads[k];
    ASSERT_FALSE(g.empty()) << name;
    Tensor p = Tensor::from_vector({int64_t(g.size())}, gpu.before[k].second);
    p.set_grad(Tensor::from_vector({int64_t(g.size())}, g));
    Adam replay({{name, p}}, fixtures::tiny_gan_adam());
    replay.step();
    EXPECT_EQ(p.to_vector(), gpu.after[k].second) << "Adam step of '" << name << "'";
  }
  // And against the CPU run's parameters: both started from the same bits, and a first Adam step moves each element
  // by f(g) = lr·g/(|g| + ε) (the bias corrections cancel). f has slope lr·ε/(|g| + ε)², never moves further than lr,
  // and is monotonic, so steps from gradients g₁, g₂ differ by at most lr·min(2, |g₁ − g₂|·ε/(m + ε)²), m the smaller
  // |g| when both have one sign and 0 otherwise: near |g| ≈ ε a last-bit difference of g can flip the step, and that
  // is no error, while at |g| ≫ ε the steps must agree almost exactly. Per element, that bound from the two runs' own
  // gradients, plus the rounding of each run's float step (m, v, √v, the quotient: ≤ 4 half-ulps of a step ≤ lr, so
  // 2·2^-23·lr per run) and of the subtraction from the parameter (half an ulp of it per run).
  const float lr = fixtures::tiny_gan_adam().lr, eps = fixtures::tiny_gan_adam().eps;
  ASSERT_EQ(gpu.after.size(), cpu.after.size());
  for (size_t k = 0; k < cpu.after.size(); ++k) {
    const std::vector<float>&got = gpu.after[k].second, &want = cpu.after[k].second;
    const std::vector<float>&g_gpu = gpu.grads[k].second, &g_cpu = cpu.grads[k].second;
    ASSERT_EQ(got.size(), want.size());
    int bad = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      const double m = (g_gpu[i] > 0) == (g_cpu[i] > 0) ? std::min(std::fabs(g_gpu[i]), std::fabs(g_cpu[i])) : 0.0;
      const double slope_bound = std::fabs(double(g_gpu[i]) - g_cpu[i]) * eps / ((m + eps) * (m + eps));
      const float bound = float(lr * std::min(2.0, slope_bound)) + 4.8e-7f * lr + 1.2e-7f * std::fabs(want[i]);
      if (!(std::fabs(got[i] - want[i]) <= bound) && bad++ < 5)
        ADD_FAILURE() << "parameter after Adam '" << cpu.after[k].first << "'[" << i << "]: " << got[i] << " vs "
                      << want[i] << " (gradients " << g_gpu[i] << " vs " << g_cpu[i] << ")";
    }
  }

  // Running statistics and spectral-norm vectors come from forward values; the power iteration's normalisation makes
  // the vectors the most sensitive records: 1e-4 relative.
  expect_close("buffer", gpu.buffers, cpu.buffers, 0.f, 1e-6f, 1e-4f);
}

}  // namespace
}  // namespace ls::test
