// tests/test_optim.cpp — Adam (core/optim.h) against a hand-computed sequence, its state save/load, and the EMA.
//   layerseg_tests --gtest_filter='Adam*'
#include <gtest/gtest.h>

#include "kernels/error.h"
#include "core/optim.h"
#include "core/rng.h"

namespace ls {
namespace {

Tensor param(const std::vector<float>& v) {
  return Tensor::from_vector({int64_t(v.size())}, v).set_requires_grad(true);
}

void set_grad(Tensor& p, const std::vector<float>& g) { p.set_grad(Tensor::from_vector(p.shape(), g)); }

void expect_near(const Tensor& t, const std::vector<double>& want, double tol) {
  const std::vector<float> got = t.to_vector();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

// lr 0.1, β = (0.9, 0.999), eps 1e-8, p0 = [1, −2], grads [0.5, −1], [−0.25, 2], [1, 0.5]. By hand for element 0:
//  t=1: m = 0.05, v = 2.5e-4; m̂ = 0.5, v̂ = 0.25 → p = 1 − 0.1·0.5/0.5 = 0.9 (the first step is lr·sign(g))
//  t=2: m = 0.02, v = 3.1225e-4; m̂ = 0.02/0.19, v̂ = 3.1225e-4/0.001999 → p = 0.9 − 0.1·0.266337 = 0.873366
//  t=3: likewise → 0.807555. Element 1 and the weight-decay variant were worked the same way (in double).
TEST(AdamUpdate, MatchesHandComputedThreeSteps) {
  const std::vector<std::vector<float>> grads = {{0.5f, -1.f}, {-0.25f, 2.f}, {1.f, 0.5f}};
  const std::vector<std::vector<double>> plain = {{0.9, -1.9}, {0.873366299, -1.93661035}, {0.80755514, -1.97817547}};
  const std::vector<std::vector<double>> decayed = {
      {0.9, -1.9}, {0.854441367, -1.92501788}, {0.7815044, -1.95312727}};  // weight_decay 0.1 (L2 on the grad)
  for (float wd : {0.f, 0.1f}) {
    Tensor p = param({1.f, -2.f});
    AdamOptions o;
    o.lr = 0.1f, o.weight_decay = wd;
    Adam opt({{"p", p}}, o);
    for (int t = 0; t < 3; ++t) {
      set_grad(p, grads[size_t(t)]);
      opt.step();
      expect_near(p, (wd == 0.f ? plain : decayed)[size_t(t)], 2e-6);
    }
    EXPECT_EQ(opt.step_count(), 3);
  }
}

TEST(AdamUpdate, SkipsParametersWithoutGradient) {
  Tensor a = param({1.f, 2.f}), b = param({3.f});
  Adam opt({{"a", a}, {"b", b}});
  set_grad(a, {1.f, 1.f});
  opt.step();
  EXPECT_EQ(b.to_vector(), std::vector<float>{3.f});
  EXPECT_NE(a.to_vector(), (std::vector<float>{1.f, 2.f}));
  for (const auto& [name, t] : opt.state()) {
    if (name.rfind("b.", 0) == 0) {
      EXPECT_EQ(t.to_vector(), std::vector<float>{0.f}) << name;
    }
  }

  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
}

TEST(AdamUpdate, DuplicateParameterNamesAreAnError) {
  Tensor a = param({1.f});
  EXPECT_THROW(Adam({{"a", a}, {"a", a}}), Error);
}

// The grads of step t (t = 0, 1, ...) for two parameters, the same in every run.
void set_grads(Tensor& w, Tensor& b, int t) {
  Rng rng(100 + uint64_t(t));
  w.set_grad(Tensor::normal(w.shape(), rng));
  b.set_grad(Tensor::normal(b.shape(), rng));
}

NamedTensors clone_all(const NamedTensors& ts) {
  NamedTensors out;
  for (const auto& [n, t] : ts) out.emplace_back(n, t.clone());
  return out;
}

TEST(AdamState, SaveLoadGivesIdenticalContinuation) {
  Rng rng(9);
  Tensor w = Tensor::normal({4, 3}, rng).set_requires_grad(true), b = param({0.f, 0.f, 0.f, 0.f});
  AdamOptions o;
  o.lr = 0.01f, o.beta1 = 0.5f, o.beta2 = 0.99f;
  Adam opt({{"w", w}, {"b", b}}, o);
  for (int t = 0; t < 3; ++t) set_grads(w, b, t), opt.step();

  const NamedTensors saved = clone_all(opt.state());
  Tensor w2 = w.clone().set_requires_grad(true), b2 = b.clone().set_requires_grad(true);
  Tensor w3 = w.clone().set_requires_grad(true), b3 = b.clone().set_requires_grad(true);
  for (int t = 3; t < 6; ++t) set_grads(w, b, t), opt.step();

  Adam resumed({{"w", w2}, {"b", b2}}, o);
  resumed.load_state(saved);
  EXPECT_EQ(resumed.step_count(), 3);
  for (int t = 3; t < 6; ++t) set_grads(w2, b2, t), resumed.step();
  EXPECT_EQ(w2.to_vector(), w.to_vector());  // bit-identical, bias correction included
  EXPECT_EQ(b2.to_vector(), b.to_vector());

  // A fresh optimizer (no state) continues differently, so the comparison above can fail.
  Adam fresh({{"w", w3}, {"b", b3}}, o);
  for (int t = 3; t < 6; ++t) set_grads(w3, b3, t), fresh.step();
  EXPECT_NE(w3.to_vector(), w.to_vector());
}

TEST(AdamState, LoadStateRejectsAForeignState) {
  Tensor w = param({1.f, 2.f});
  Adam opt({{"w", w}});
  const NamedTensors good = clone_all(opt.state());
  auto without = [&](const std::string& key) {
    NamedTensors s;
    for (const auto& e : good)
      if (e.first != key) s.push_back(e);
    return s;
  };
  EXPECT_THROW(opt.load_state(without("w.exp_avg")), Error);
  NamedTensors wrong_shape = without("w.exp_avg_sq");
  wrong_shape.emplace_back("w.exp_avg_sq", Tensor::zeros({3}));
  EXPECT_THROW(opt.load_state(wrong_shape), Error);
  NamedTensors extra = good;
  extra.emplace_back("v.exp_avg", Tensor::zeros({2}));
  EXPECT_THROW(opt.load_state(extra), Error);
  NamedTensors fractional_step = without("step");
  fractional_step.emplace_back("step", Tensor::scalar(2.5f));
  EXPECT_THROW(opt.load_state(fractional_step), Error);
  opt.load_state(good);  // and the real thing loads
}

TEST(AdamEma, FollowsTheFormula) {
  Tensor ema = Tensor::from_vector({2}, {0.f, 1.f}), p = Tensor::from_vector({2}, {1.f, 3.f});
  ema_update({{"w", ema}}, {{"w", p}}, 0.9f);
  expect_near(ema, {0.1, 1.2}, 1e-7);  // 0.9·0 + 0.1·1, 0.9·1 + 0.1·3
  EXPECT_THROW(ema_update({{"w", ema}}, {{"v", p}}, 0.9f), Error);
  EXPECT_THROW(ema_update({{"w", ema}}, {{"w", Tensor::zeros({3})}}, 0.9f), Error);
}

}  // namespace
}  // namespace ls
