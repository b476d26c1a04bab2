// tests/test_module.cpp — the Module tree of core/module.h (hierarchical names, shared handles, freezing, train/eval,
// devices) and the init:: functions' statistics.
//   layerseg_tests --gtest_filter='Module*'
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/error.h"
#include "core/module.h"
#include "core/ops.h"
#include "core/rng.h"

namespace ls {
namespace {

struct Leaf : Module {
  explicit Leaf(Rng& rng) {
    weight = register_parameter("weight", Tensor::normal({3, 2}, rng));
    bias = register_parameter("bias", Tensor::zeros({3}));
    running = register_buffer("running", Tensor::zeros({3}));
  }
  Tensor weight, bias, running;
};

struct Block : Module {
  explicit Block(Rng& rng) {
    gain = register_parameter("gain", Tensor::full({1}, 2.f));
    inner = register_module("inner", std::make_shared<Leaf>(rng));
  }
  Tensor gain;
  std::shared_ptr<Leaf> inner;
};

struct Net : Module {
  explicit Net(Rng& rng) {
    scale = register_parameter("scale", Tensor::full({1}, 1.f));
    enc = register_module("enc", std::make_shared<Leaf>(rng));
    dec = register_module("dec", std::make_shared<Block>(rng));
  }
  Tensor scale;
  std::shared_ptr<Leaf> enc;
  std::shared_ptr<Block> dec;
};

std::vector<std::string> names(const NamedTensors& ts) {
  std::vector<std::string> out;
  for (const auto& [n, t] : ts) out.push_back(n);
  return out;
}

TEST(ModuleTree, HierarchicalNamesDepthFirst) {
  Rng rng(1);
  Net net(rng);
  EXPECT_EQ(names(net.named_parameters()), (std::vector<std::string>{"scale", "enc.weight", "enc.bias", "dec.gain",
                                                                     "dec.inner.weight", "dec.inner.bias"}));
  EXPECT_EQ(names(net.named_buffers()), (std::vector<std::string>{"enc.running", "dec.inner.running"}));
  EXPECT_EQ(net.parameters().size(), 6u);
  EXPECT_EQ(net.parameter_count(), 1 + 6 + 3 + 1 + 6 + 3);
}

TEST(ModuleTree, NamedTensorsShareTheMembersStorage) {
  Rng rng(1);
  Net net(rng);
  const NamedTensors p = net.named_parameters();
  EXPECT_TRUE(p[4].second.same_as(net.dec->inner->weight));
  EXPECT_TRUE(net.named_buffers()[0].second.same_as(net.enc->running));
}

struct BadNames : Module {
  enum Case { DuplicateParameter, ParameterVsBuffer, ParameterVsChild, Dotted, Empty };
  explicit BadNames(Case c) {
    register_parameter("w", Tensor::zeros({1}));
    if (c == DuplicateParameter) register_parameter("w", Tensor::zeros({1}));
    if (c == ParameterVsBuffer) register_buffer("w", Tensor::zeros({1}));
    if (c == ParameterVsChild) register_module("w", std::make_shared<Module>());
    if (c == Dotted) register_parameter("a.b", Tensor::zeros({1}));
    if (c == Empty) register_buffer("", Tensor::zeros({1}));
  }
};

TEST(ModuleTree, DuplicateOrMalformedNamesAreErrors) {
  for (auto c : {BadNames::DuplicateParameter, BadNames::ParameterVsBuffer, BadNames::ParameterVsChild,
                 BadNames::Dotted, BadNames::Empty})
    EXPECT_THROW(BadNames{c}, Error) << "case " << int(c);
}

TEST(ModuleTree, ParametersRequireGradBuffersDoNot) {
  Rng rng(1);
  Net net(rng);
  for (const auto& [n, t] : net.named_parameters()) EXPECT_TRUE(t.requires_grad()) << n;
  for (const auto& [n, t] : net.named_buffers()) EXPECT_FALSE(t.requires_grad()) << n;
}

// A frozen module gets no parameter gradients, yet its input still does: training G through a frozen D.
TEST(ModuleTree, FreezingStopsParameterGradsButNotInputGrads) {
  Rng rng(1);
  Leaf leaf(rng);
  leaf.set_requires_grad(false);
  for (const Tensor& t : leaf.parameters()) EXPECT_FALSE(t.requires_grad());
  Tensor x = Tensor::normal({3, 2}, rng).set_requires_grad(true);
  sum(mul(x, leaf.weight)).backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_EQ(x.grad().to_vector(), leaf.weight.to_vector());  // d Σ x·w / dx = w
  EXPECT_FALSE(leaf.weight.grad().defined());

  leaf.set_requires_grad(true);
  sum(mul(x, leaf.weight)).backward();
  EXPECT_TRUE(leaf.weight.grad().defined());
}

TEST(ModuleTree, ZeroGradDropsEveryGradient) {
  Rng rng(1);
  Net net(rng);
  for (Tensor& t : net.parameters()) t.set_grad(Tensor::full(t.shape(), 1.f));
  net.zero_grad();
  for (const auto& [n, t] : net.named_parameters()) EXPECT_FALSE(t.grad().defined()) << n;
}

TEST(ModuleTree, TrainEvalReachesEveryChild) {
  Rng rng(1);
  Net net(rng);
  EXPECT_TRUE(net.is_training() && net.dec->inner->is_training());
  net.train(false);
  EXPECT_FALSE(net.is_training() || net.enc->is_training() || net.dec->is_training() || net.dec->inner->is_training());
  net.dec->train(true);  // a sub-tree alone
  EXPECT_TRUE(net.dec->inner->is_training());
  EXPECT_FALSE(net.is_training() || net.enc->is_training());
}

TEST(ModuleTree, ToMovesTensorsInPlace) {
  if (!cuda_available()) GTEST_SKIP() << "needs a CUDA device";
  Rng rng(1);
  Net net(rng);
  const std::vector<float> w = net.dec->inner->weight.to_vector();
  net.to(Device::CUDA);
  for (const auto& [n, t] : net.named_parameters()) EXPECT_EQ(t.device(), Device::CUDA) << n;
  for (const auto& [n, t] : net.named_buffers()) EXPECT_EQ(t.device(), Device::CUDA) << n;
  EXPECT_EQ(net.dec->inner->weight.device(), Device::CUDA);  // the member handle followed
  EXPECT_EQ(net.dec->inner->weight.to_vector(), w);
  net.to(Device::CPU);
  EXPECT_EQ(net.enc->running.device(), Device::CPU);
}

struct Stats {
  double mean = 0, std = 0, max_abs = 0;
};
Stats stats(const Tensor& t) {
  const std::vector<float> v = t.to_vector();
  Stats s;
  for (float x : v) s.mean += x, s.max_abs = std::max(s.max_abs, double(std::fabs(x)));
  s.mean /= double(v.size());
  for (float x : v) s.std += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(s.std / double(v.size() - 1));
  return s;
}

// Sample std of n normals has relative sd ≈ 1/√(2n): 18432 draws → 0.5 %; the bound is 3 %.
TEST(ModuleInit, KaimingNormalUsesFanInAsPyTorch) {
  Rng rng(3);
  Tensor conv = Tensor::empty({64, 32, 3, 3});
  init::kaiming_normal(conv, rng);
  const Stats c = stats(conv);
  const double expect = std::sqrt(2.0 / (32 * 9));  // fan_in = in_channels · kernel area
  EXPECT_NEAR(c.std, expect, 0.03 * expect);
  EXPECT_NEAR(c.mean, 0.0, 5 * expect / std::sqrt(double(conv.numel())));

  Tensor lin = Tensor::empty({50, 400});  // [out, in]: fan_in is dim 1
  init::kaiming_normal(lin, rng, 0.2f);
  const double expect_lin = std::sqrt(2.0 / (1 + 0.04)) / std::sqrt(400.0);
  EXPECT_NEAR(stats(lin).std, expect_lin, 0.03 * expect_lin);
}

TEST(ModuleInit, XavierUniformBound) {
  Rng rng(4);
  Tensor w = Tensor::empty({40, 60, 3, 3});
  init::xavier_uniform(w, rng, 0.5f);
  const double a = 0.5 * std::sqrt(6.0 / (60 * 9 + 40 * 9));
  const Stats s = stats(w);
  EXPECT_LE(s.max_abs, a);
  EXPECT_GT(s.max_abs, 0.99 * a);
  EXPECT_NEAR(s.std, a / std::sqrt(3.0), 0.03 * a / std::sqrt(3.0));
  Tensor flat = Tensor::empty({5});
  EXPECT_THROW(init::xavier_uniform(flat, rng), Error);  // fans need at least 2 dims
}

TEST(ModuleInit, NormalUniformConstantZeros) {
  Rng a(5), b(5);
  Tensor x = Tensor::empty({200, 100}), y = Tensor::empty({200, 100});
  init::normal(x, a, 0.02f);
  init::normal(y, b, 0.02f);
  EXPECT_EQ(x.to_vector(), y.to_vector());  // deterministic for a seed
  EXPECT_NEAR(stats(x).std, 0.02, 0.03 * 0.02);

  init::uniform(x, a, 2.f, 3.f);
  EXPECT_NEAR(stats(x).mean, 2.5, 0.01);
  for (float v : x.to_vector()) ASSERT_TRUE(v >= 2.f && v < 3.f) << v;

  init::constant(x, 1.5f);
  for (float v : x.to_vector()) ASSERT_EQ(v, 1.5f);
  init::zeros(x);
  for (float v : x.to_vector()) ASSERT_EQ(v, 0.f);
}

}  // namespace
}  // namespace ls
