// tests/test_cuda_kernels.cpp — the CUDA backend beyond the op table: edge cases of the three fused kernels
// (composition, binarization, hinge) at realistic sizes, Philox bit-identity with the CPU generator, the caching
// allocator's steady state, the fused multi-tensor Adam against per-tensor CPU Adam, the EMA step, cuBLAS GEMM in every
// transpose combination, cuDNN convolutions in FP32
// against the CPU, the workspace-free fallback, and deterministic mode.
//   build/layerseg_tests --gtest_filter='CudaKernels*'   (skips with a message without a GPU or without CUDA)
#include <gtest/gtest.h>

#include <array>
#include <functional>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/optim.h"
#include "core/perturb.h"
#include "core/rng.h"
#include "kernels/cpu/adam.h"
#include "kernels/cpu/gemm.h"
#include "tests/test_cuda_util.h"
#ifdef LAYERSEG_WITH_CUDA
#include "kernels/cuda/adam.h"
#include "kernels/cuda/conv.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/rng.h"
#endif

namespace ls::test {
namespace {

// Forward outputs, then the gradients of Σ outputs·R (R fixed from seed 99) for every input flagged in `grad`, on d.
struct Results {
  std::vector<std::vector<float>> values;
};
Results run(const std::function<TensorList(const TensorList&)>& f, const TensorList& inputs,
            const std::vector<bool>& grad, Device d) {
  TensorList xs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    xs.push_back(d == inputs[i].device() ? inputs[i].clone() : inputs[i].to(d));
    xs.back().set_requires_grad(grad[i]);
  }
  Results r;
  Rng rng(99);
  Tensor loss;
  for (const Tensor& o : f(xs)) {
    r.values.push_back(o.to_vector());
    const Tensor term = sum(mul(o, Tensor::uniform(o.shape(), rng, -1.f, 1.f, d)));
    loss = loss.defined() ? add(loss, term) : term;
  }
  loss.backward();
  for (size_t i = 0; i < xs.size(); ++i)
    if (grad[i]) r.values.push_back(xs[i].grad().to_vector());
  return r;
}

// Runs f on both devices (CUDA with the poisoned allocator) and compares outputs and gradients.
Results expect_cuda_matches_cpu(const char* what, const std::function<TensorList(const TensorList&)>& f,
                                const TensorList& inputs, const std::vector<bool>& grad, float atol, float rtol) {
  const Results cpu = run(f, inputs, grad, Device::CPU);
  Results gpu;
  {
    PoisonGuard poison;
    gpu = run(f, inputs, grad, Device::CUDA);
  }
  EXPECT_EQ(gpu.values.size(), cpu.values.size()) << what;
  for (size_t k = 0; k < cpu.values.size() && k < gpu.values.size(); ++k) {
    const std::string bad = compare_close(gpu.values[k], cpu.values[k], atol, rtol);
    EXPECT_TRUE(bad.empty()) << what << ": result " << k << " (outputs, then gradients) differs:\n" << bad;
  }
  return gpu;
}

bool all_equal(const std::vector<float>& v, float x) {
  for (float a : v)
    if (a != x) return false;
  return true;
}

// ---- fused composition ---------------------------------------------------------------------------------------------

TensorList compose_outputs(const TensorList& x) {
  const Composite c = compose_perturbed(x[0], x[1], x[2], x[3]);
  return {c.image, c.mask};
}
const std::vector<bool> kComposeGrads = {true, true, true, false};
// Forward taps are computed exactly as on the CPU (no FMA), so outputs agree to rounding of the blend; gradients of
// x_f and π are scattered with float atomics in arbitrary order: a few ulp on values of order 1.
constexpr float kComposeTol = 1e-5f;

TensorList compose_inputs(Rng& r, int64_t n, int64_t c, int64_t h, int64_t w, const Tensor& pi, const Tensor& theta) {
  return {Tensor::uniform({n, c, h, w}, r, -1.f, 1.f), Tensor::uniform({n, c, h, w}, r, -1.f, 1.f), pi, theta};
}

Tensor repeated_theta(const std::array<float, 6>& t, int64_t n) {
  std::vector<float> v;
  for (int64_t i = 0; i < n; ++i) v.insert(v.end(), t.begin(), t.end());
  return Tensor::from_vector({n, 6}, v);
}

TEST(CudaKernels, ComposeRandomPerturbationsMatchCpu) {
  LS_REQUIRE_CUDA();
  Rng r(11);
  const int64_t n = 5, c = 3, h = 37, w = 29;
  const TensorList x = compose_inputs(r, n, c, h, w, Tensor::uniform({n, 1, h, w}, r), perturbation_theta(r, int(n)));
  expect_cuda_matches_cpu("compose random", compose_outputs, x, kComposeGrads, kComposeTol, 0.f);
}

// All-0 mask: the composite is x_b exactly, x_f gets no gradient. All-1 mask with the identity: it is x_f exactly.
TEST(CudaKernels, ComposeAllZeroAndAllOneMasks) {
  LS_REQUIRE_CUDA();
  Rng r(12);
  const int64_t n = 3, c = 3, h = 16, w = 21;
  const Tensor identity = repeated_theta(motion_theta(0.f, 0.f, 0.f, 1.f), n);
  const TensorList zeros = compose_inputs(r, n, c, h, w, Tensor::zeros({n, 1, h, w}), perturbation_theta(r, int(n)));
  const Results z =
      expect_cuda_matches_cpu("compose all-0 mask", compose_outputs, zeros, kComposeGrads, kComposeTol, 0.f);
  EXPECT_EQ(z.values[0], zeros[0].to_vector());  // image = x_b
  EXPECT_TRUE(all_equal(z.values[1], 0.f));      // mask
  EXPECT_TRUE(all_equal(z.values[3], 0.f));      // g_x_f

  const TensorList ones = compose_inputs(r, n, c, h, w, Tensor::full({n, 1, h, w}, 1.f), identity);
  const Results o =
      expect_cuda_matches_cpu("compose all-1 mask", compose_outputs, ones, kComposeGrads, kComposeTol, 0.f);
  EXPECT_EQ(o.values[0], ones[1].to_vector());  // image = x_f
  EXPECT_TRUE(all_equal(o.values[1], 1.f));
  EXPECT_TRUE(all_equal(o.values[2], 0.f));  // g_x_b = g·(1 − 1)
}

// Translated by 1.5 image widths: every tap is outside, so image = x_b, mask = 0 and x_f, π get zero gradient.
TEST(CudaKernels, ComposeOutOfFrameAndBatchOne) {
  LS_REQUIRE_CUDA();
  Rng r(13);
  for (const int64_t n : {int64_t(1), int64_t(4)}) {
    const int64_t c = 3, h = 19, w = 19;
    const TensorList x = compose_inputs(r, n, c, h, w, Tensor::uniform({n, 1, h, w}, r),
                                        repeated_theta(motion_theta(3.f, -0.5f, 20.f, 1.f), n));
    const Results g =
        expect_cuda_matches_cpu("compose out of frame", compose_outputs, x, kComposeGrads, kComposeTol, 0.f);
    EXPECT_EQ(g.values[0], x[0].to_vector());
    EXPECT_TRUE(all_equal(g.values[1], 0.f));
    EXPECT_TRUE(all_equal(g.values[3], 0.f));  // g_x_f
    EXPECT_TRUE(all_equal(g.values[4], 0.f));  // g_pi
  }
  // Batch 1 with a random perturbation.
  const TensorList one = compose_inputs(r, 1, 3, 32, 32, Tensor::uniform({1, 1, 32, 32}, r), perturbation_theta(r, 1));
  expect_cuda_matches_cpu("compose batch 1", compose_outputs, one, kComposeGrads, kComposeTol, 0.f);
}

// ---- binarization and hinge losses
// ----------------------------------------------------------------------------------- Large inputs take the
// split-reduction path (kernels/cuda/segmented_sum.cuh); losses sum in double on both sides.
constexpr float kLossTol = 1e-5f;

TEST(CudaKernels, BinarizationEdgeCasesAndLargeMasks) {
  LS_REQUIRE_CUDA();
  auto f = [](const TensorList& x) { return TensorList{binarization_loss(x[0])}; };
  Rng r(21);
  const Shape big{16, 1, 128, 128};
  expect_cuda_matches_cpu("binarization large", f, {Tensor::uniform(big, r)}, {true}, kLossTol, kLossTol);
  expect_cuda_matches_cpu("binarization batch 1", f, {Tensor::uniform({1, 1, 7, 9}, r)}, {true}, kLossTol, kLossTol);
  // All 0, all 1: loss 0, gradient ±1/n; exactly ½: the subgradient 0.
  for (const float v : {0.f, 1.f, 0.5f}) {
    const Results g =
        expect_cuda_matches_cpu("binarization constant", f, {Tensor::full(big, v)}, {true}, kLossTol, kLossTol);
    EXPECT_EQ(g.values[0][0], v == 0.5f ? 0.5f : 0.f);
  }
}

TEST(CudaKernels, HingeLossesBothFormsMatchCpu) {
  LS_REQUIRE_CUDA();
  Rng r(22);
  const Tensor logits = Tensor::uniform({300007, 1}, r, -3.f, 3.f);
  for (const bool real : {true, false})
    expect_cuda_matches_cpu(
        real ? "hinge D real" : "hinge D fake",
        [real](const TensorList& x) { return TensorList{hinge_d_loss(x[0], real)}; }, {logits}, {true}, kLossTol,
        kLossTol);
  expect_cuda_matches_cpu(
      "hinge G", [](const TensorList& x) { return TensorList{hinge_g_loss(x[0])}; }, {logits}, {true}, kLossTol,
      kLossTol);
  // At the kink relu'(0) = 0 on both devices; batch 1.
  expect_cuda_matches_cpu(
      "hinge D at the kink", [](const TensorList& x) { return TensorList{hinge_d_loss(x[0], true)}; },
      {Tensor::full({1, 1}, 1.f)}, {true}, 0.f, 0.f);
}

// ---- Philox
// ----------------------------------------------------------------------------------------------------------
#ifdef LAYERSEG_WITH_CUDA
// The device fill from the offset Rng::reserve hands out equals the host fill: uniforms bit for bit, normals to an ulp.
TEST(CudaKernels, PhiloxFillsAreBitIdenticalToCpu) {
  LS_REQUIRE_CUDA();
  const int64_t n = 100003;  // odd: a partial last counter block
  for (const uint64_t seed : {uint64_t(0), uint64_t(1234), uint64_t(0xDEADBEEFCAFEull)}) {
    Rng host(seed), device_side(seed);
    std::vector<float> skip(13), want_u(static_cast<size_t>(n)), want_n(static_cast<size_t>(n));
    host.fill_uniform(skip.data(), skip.size());  // a non-zero starting offset
    host.fill_uniform(want_u.data(), want_u.size(), -2.f, 3.f);
    host.fill_normal(want_n.data(), want_n.size(), 0.5f, 2.f);
    device_side.reserve(skip.size());
    Tensor u = Tensor::empty({n}, Device::CUDA), z = Tensor::empty({n}, Device::CUDA);
    cuda::fill_uniform(u.data(), n, seed, device_side.reserve(uint64_t(n)), -2.f, 3.f, cuda::stream());
    cuda::fill_normal(z.data(), n, seed, device_side.reserve(uint64_t(n)), 0.5f, 2.f, cuda::stream());
    EXPECT_EQ(u.to_vector(), want_u) << "seed " << seed;
    // Normals go through log, sqrt and cos/sin in double (core/rng.h); CUDA's and glibc's double functions are each
    // within 2 ulp of double, so the two results differ by far less than a float ulp and round to the same float,
    // or (odds ~2^-29 per element, near a rounding boundary) to the neighbouring one: one float ulp is the bound.
    const std::vector<float> got_n = z.to_vector();
    for (size_t i = 0; i < got_n.size(); ++i)
      ASSERT_LE(std::fabs(got_n[i] - want_n[i]), std::nextafter(std::fabs(want_n[i]), INFINITY) - std::fabs(want_n[i]))
          << "normal " << i << " of seed " << seed;
    EXPECT_EQ(device_side.offset(), host.offset());
  }
}

// ---- allocator ------------------------------------------------------------------------------------------------------
// A small training step (conv, batch-norm, activation, loss, backward, Adam): once warm, the allocator serves every
// request from its cache, so further steps make no cudaMalloc call.
TEST(CudaKernels, AllocatorReachesSteadyState) {
  LS_REQUIRE_CUDA();
  Rng r(31);
  Tensor w = Tensor::uniform({8, 3, 3, 3}, r, -0.3f, 0.3f, Device::CUDA).set_requires_grad(true);
  Tensor gamma = Tensor::full({8}, 1.f, Device::CUDA).set_requires_grad(true);
  Tensor beta = Tensor::zeros({8}, Device::CUDA).set_requires_grad(true);
  Tensor rm = Tensor::zeros({8}, Device::CUDA), rv = Tensor::full({8}, 1.f, Device::CUDA);
  Adam opt({{"w", w}, {"gamma", gamma}, {"beta", beta}});
  const Tensor x = Tensor::uniform({4, 3, 33, 33}, r, -1.f, 1.f, Device::CUDA);
  auto step = [&] {
    const Tensor y = leaky_relu(batch_norm2d(conv2d(x, w, Tensor(), 2, 1), gamma, beta, rm, rv, true));
    binarization_loss(sigmoid(y)).backward();
    opt.step();
    opt.zero_grad();
  };
  // Warm up until one whole step makes no cudaMalloc call. Each step asks for the same sizes in the same order, but a
  // best-fit cache can hand a request a larger block that a later request then misses, so reaching the fixed point
  // can take a few steps; it cannot take more than one step per distinct request size (each step that misses adds a
  // block the next one reuses), which is far below 20 here.
  int warmups = 0;
  for (uint64_t before = ~uint64_t(0); cuda::allocator_stats().malloc_calls != before && warmups < 20; ++warmups) {
    before = cuda::allocator_stats().malloc_calls;
    step();
    device_synchronize(Device::CUDA);
  }
  ASSERT_LT(warmups, 20) << cuda::allocator_report();
  const uint64_t warm = cuda::allocator_stats().malloc_calls;
  for (int i = 0; i < 5; ++i) step();
  device_synchronize(Device::CUDA);
  EXPECT_EQ(cuda::allocator_stats().malloc_calls, warm) << cuda::allocator_report();
}

TEST(CudaKernels, PoisonFillMakesUnwrittenMemoryNaN) {
  LS_REQUIRE_CUDA();
  PoisonGuard poison;
  for (float v : Tensor::empty({3, 5}, Device::CUDA).to_vector()) EXPECT_TRUE(std::isnan(v));
}

// ---- Adam
// ------------------------------------------------------------------------------------------------------------ The
// fused multi-tensor step over 60 tensors (two launches of up to 48) equals ls::cpu::adam_update per tensor bit for
// bit: both round every operation the same way (kernels/cuda/adam.cu).
TEST(CudaKernels, FusedMultiTensorAdamEqualsPerTensorCpuAdam) {
  LS_REQUIRE_CUDA();
  Rng r(41);
  const int count = 60;
  std::vector<Tensor> cpu_p, cpu_m, cpu_v, gpu_p, gpu_m, gpu_v, grads;
  for (int k = 0; k < count; ++k) {
    const Shape s{int64_t(1 + (k * 37) % 301)};
    cpu_p.push_back(Tensor::uniform(s, r, -1.f, 1.f));
    cpu_m.push_back(Tensor::zeros(s));
    cpu_v.push_back(Tensor::zeros(s));
    gpu_p.push_back(cpu_p.back().to(Device::CUDA));
    gpu_m.push_back(cpu_m.back().to(Device::CUDA));
    gpu_v.push_back(cpu_v.back().to(Device::CUDA));
    grads.push_back(Tensor::uniform(s, r, -1.f, 1.f));
  }
  const float lr = 2e-4f, b1 = 0.5f, b2 = 0.99f, eps = 1e-8f, wd = 1e-4f;
  for (int t = 1; t <= 3; ++t) {
    const float c1 = float(1.0 - std::pow(double(b1), t)), c2 = float(1.0 - std::pow(double(b2), t));
    std::vector<Tensor> gpu_grads;
    std::vector<cuda::AdamTensor> list;
    for (int k = 0; k < count; ++k) {
      ls::cpu::adam_update(cpu_p[k].data(), grads[k].data(), cpu_m[k].data(), cpu_v[k].data(), cpu_p[k].numel(), lr, b1,
                           b2, eps, c1, c2, wd);
      gpu_grads.push_back(grads[k].to(Device::CUDA));
      list.push_back({gpu_p[k].data(), gpu_grads[k].data(), gpu_m[k].data(), gpu_v[k].data(), gpu_p[k].numel()});
    }
    cuda::adam_update_multi(list.data(), count, lr, b1, b2, eps, c1, c2, wd, cuda::stream());
  }
  for (int k = 0; k < count; ++k) {
    EXPECT_EQ(gpu_p[k].to_vector(), cpu_p[k].to_vector()) << "param " << k;
    EXPECT_EQ(gpu_m[k].to_vector(), cpu_m[k].to_vector()) << "exp_avg " << k;
    EXPECT_EQ(gpu_v[k].to_vector(), cpu_v[k].to_vector()) << "exp_avg_sq " << k;
  }
}

// The trainer's G EMA on CUDA equals the CPU kernel bit for bit: both round decay·ema and (1 − decay)·p separately
// before adding (kernels/cuda/adam.cu).
TEST(CudaKernels, EmaUpdateEqualsCpu) {
  LS_REQUIRE_CUDA();
  Rng r(42);
  for (const int64_t n : {int64_t(1), int64_t(257), int64_t(100003)}) {
    Tensor ema = Tensor::uniform({n}, r, -1.f, 1.f), p = Tensor::uniform({n}, r, -1.f, 1.f);
    Tensor ema_gpu = ema.to(Device::CUDA), p_gpu = p.to(Device::CUDA);
    for (const float decay : {0.999f, 0.5f, 0.f}) {
      ls::cpu::ema_update(ema.data(), p.data(), n, decay);
      cuda::ema_update(ema_gpu.data(), p_gpu.data(), n, decay, cuda::stream());
    }
    EXPECT_EQ(ema_gpu.to_vector(), ema.to_vector()) << "n = " << n;
  }
}

// Row-major GEMM in all four transpose combinations, with leading dimensions wider than the rows and beta ≠ 0 (the
// accumulating form), against the CPU. Each output sums K = 37 products of terms in [−1, 1]: FP32 sums in another
// order differ by at most about K·2^-24·Σ|a||b| ≤ 37·6e-8·37 ≈ 1e-4 — the tolerance; a wrong flag or leading
// dimension moves results by O(1).
TEST(CudaKernels, GemmAllTransposesAndLeadingDimensionsMatchCpu) {
  LS_REQUIRE_CUDA();
  Rng r(43);
  const int M = 19, N = 23, K = 37, pad = 5;
  for (const bool ta : {false, true})
    for (const bool tb : {false, true}) {
      const int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
      const Tensor a = Tensor::uniform({int64_t(ta ? K : M), lda}, r, -1.f, 1.f);
      const Tensor b = Tensor::uniform({int64_t(tb ? N : K), ldb}, r, -1.f, 1.f);
      Tensor c = Tensor::uniform({M, ldc}, r, -1.f, 1.f);
      Tensor a_gpu = a.to(Device::CUDA), b_gpu = b.to(Device::CUDA), c_gpu = c.to(Device::CUDA);
      ls::cpu::gemm(ta, tb, M, N, K, 0.75f, a.data(), lda, b.data(), ldb, 0.5f, c.data(), ldc);
      cuda::gemm(ta, tb, M, N, K, 0.75f, a_gpu.data(), lda, b_gpu.data(), ldb, 0.5f, c_gpu.data(), ldc, cuda::stream());
      const std::string bad = compare_close(c_gpu.to_vector(), c.to_vector(), 1e-4f, 0.f);
      EXPECT_TRUE(bad.empty()) << "trans_a " << ta << " trans_b " << tb << ":\n" << bad;
    }
}

// ---- cuDNN convolutions
// ---------------------------------------------------------------------------------------------- FP32 math (no TF32),
// sums in another order than OpenBLAS (and cuDNN may pick Winograd or FFT algorithms, exact only up to their
// transforms' rounding): relative 2e-4; absolute 1e-3 because a weight gradient sums N·P·Q ≈ 4000 products of magnitude
// ≤ 1, and its elements that cancel to near 0 keep the rounding of the large partial sums.
constexpr float kConvAtol = 1e-3f, kConvRtol = 2e-4f;

TensorList conv_outputs(const TensorList& x, int stride, int pad, int groups) {
  return {conv2d(x[0], x[1], x[2], stride, pad, groups)};
}

TEST(CudaKernels, ConvolutionsInFp32MatchCpu) {
  LS_REQUIRE_CUDA();
  ASSERT_FALSE(cuda::allow_tf32());
  Rng r(51);
  struct Geometry {
    Shape x, w;
    int stride, pad, groups;
  };
  for (const Geometry& g :
       {Geometry{{4, 16, 33, 31}, {24, 16, 3, 3}, 1, 1, 1}, Geometry{{3, 12, 32, 32}, {8, 12, 4, 4}, 2, 1, 1},
        Geometry{{2, 8, 17, 19}, {8, 4, 3, 3}, 1, 1, 2}, Geometry{{5, 6, 9, 9}, {7, 6, 1, 1}, 1, 0, 1}}) {
    const TensorList x = {Tensor::uniform(g.x, r, -1.f, 1.f), Tensor::uniform(g.w, r, -0.3f, 0.3f),
                          Tensor::uniform({g.w[0]}, r, -1.f, 1.f)};
    expect_cuda_matches_cpu(
        "conv2d", [g](const TensorList& in) { return conv_outputs(in, g.stride, g.pad, g.groups); }, x,
        {true, true, true}, kConvAtol, kConvRtol);
  }
  const TensorList t = {Tensor::uniform({3, 16, 15, 17}, r, -1.f, 1.f), Tensor::uniform({16, 8, 4, 4}, r, -0.3f, 0.3f),
                        Tensor::uniform({8}, r, -1.f, 1.f)};
  expect_cuda_matches_cpu(
      "conv_transpose2d", [](const TensorList& in) { return TensorList{conv_transpose2d(in[0], in[1], in[2], 2, 1)}; },
      t, {true, true, true}, kConvAtol, kConvRtol);
}

// With no workspace allowed, every pass runs an algorithm that needs none, or the fallback: results are unchanged.
TEST(CudaKernels, ConvolutionWithoutWorkspaceFallsBack) {
  LS_REQUIRE_CUDA();
  Rng r(52);
  cuda::set_conv_workspace_limit(0);
  const TensorList x = {Tensor::uniform({3, 10, 23, 21}, r, -1.f, 1.f), Tensor::uniform({12, 10, 5, 5}, r, -0.3f, 0.3f),
                        Tensor::uniform({12}, r, -1.f, 1.f)};  // a shape no other test uses: chosen afresh
  expect_cuda_matches_cpu(
      "conv2d no workspace", [](const TensorList& in) { return conv_outputs(in, 1, 2, 1); }, x, {true, true, true},
      kConvAtol, kConvRtol);
  cuda::set_conv_workspace_limit(size_t(1) << 30);
}

// Deterministic mode: the same convolution forward and backward twice gives identical bits.
TEST(CudaKernels, DeterministicModeRepeatsExactly) {
  LS_REQUIRE_CUDA();
  Rng r(53);
  cuda::set_deterministic(true);
  const TensorList x = {Tensor::uniform({8, 32, 32, 32}, r, -1.f, 1.f), Tensor::uniform({32, 32, 3, 3}, r, -0.3f, 0.3f),
                        Tensor::uniform({32}, r, -1.f, 1.f)};
  const auto f = [](const TensorList& in) { return conv_outputs(in, 1, 1, 1); };
  const Results a = run(f, x, {true, true, true}, Device::CUDA), b = run(f, x, {true, true, true}, Device::CUDA);
  cuda::set_deterministic(false);
  ASSERT_EQ(a.values.size(), b.values.size());
  for (size_t k = 0; k < a.values.size(); ++k) EXPECT_EQ(a.values[k], b.values[k]) << "result " << k;
}
#else
// The same names, so a CPU-only build lists what it skips.
TEST(CudaKernels, PhiloxFillsAreBitIdenticalToCpu) { LS_REQUIRE_CUDA(); }
TEST(CudaKernels, AllocatorReachesSteadyState) { LS_REQUIRE_CUDA(); }
TEST(CudaKernels, PoisonFillMakesUnwrittenMemoryNaN) { LS_REQUIRE_CUDA(); }
TEST(CudaKernels, FusedMultiTensorAdamEqualsPerTensorCpuAdam) { LS_REQUIRE_CUDA(); }
TEST(CudaKernels, EmaUpdateEqualsCpu) { LS_REQUIRE_CUDA(); }
TEST(CudaKernels, GemmAllTransposesAndLeadingDimensionsMatchCpu) { LS_REQUIRE_CUDA(); }
TEST(CudaKernels, ConvolutionsInFp32MatchCpu) { LS_REQUIRE_CUDA(); }
TEST(CudaKernels, ConvolutionWithoutWorkspaceFallsBack) { LS_REQUIRE_CUDA(); }
TEST(CudaKernels, DeterministicModeRepeatsExactly) { LS_REQUIRE_CUDA(); }
#endif

}  // namespace
}  // namespace ls::test
