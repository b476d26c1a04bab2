// tests/test_ops_pointwise.cpp — hand-checked values of the activations, the broadcasting binary ops and the scalar
// ops, their shape errors, and broadcast gradients. Gradients in general: tests/test_gradcheck.cpp.
//   build/layerseg_tests --gtest_filter='OpsPointwise*'
#include <gtest/gtest.h>

#include <cmath>

#include "core/autograd.h"
#include "kernels/error.h"
#include "core/rng.h"

namespace ls {
namespace {

std::vector<float> values(const Tensor& t) { return t.to_vector(); }

TEST(OpsPointwise, ActivationsMatchHandValues) {
  const Tensor x = Tensor::from_vector({4}, {-2.f, 0.f, 0.5f, 3.f});
  EXPECT_EQ(values(relu(x)), (std::vector<float>{0.f, 0.f, 0.5f, 3.f}));
  EXPECT_EQ(values(leaky_relu(x, 0.2f)), (std::vector<float>{-0.4f, 0.f, 0.5f, 3.f}));
  const std::vector<float> t = values(tanh(x)), s = values(sigmoid(x)), p = values(softplus(x));
  const double xs[4] = {-2, 0, 0.5, 3};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(t[size_t(i)], std::tanh(xs[i]), 1e-6);
    EXPECT_NEAR(s[size_t(i)], 1 / (1 + std::exp(-xs[i])), 1e-6);
    EXPECT_NEAR(p[size_t(i)], std::log(1 + std::exp(xs[i])), 1e-6);
  }
}

TEST(OpsPointwise, SigmoidAndSoftplusStayFiniteForLargeInputs) {
  const Tensor x = Tensor::from_vector({2}, {-200.f, 200.f});
  const std::vector<float> s = values(sigmoid(x)), p = values(softplus(x));
  EXPECT_EQ(s[0], 0.f);
  EXPECT_EQ(s[1], 1.f);
  EXPECT_EQ(p[0], 0.f);  // log1p(e^−200) underflows to 0 in float
  EXPECT_EQ(p[1], 200.f);
}

TEST(OpsPointwise, ReluGradientAtZeroIsZeroAndLeakyIsSlope) {
  // PyTorch's choices at the kink: relu'(0) = 0, leaky_relu'(0) = slope.
  Tensor x = Tensor::from_vector({3}, {-1.f, 0.f, 1.f});
  x.set_requires_grad(true);
  sum(relu(x)).backward();
  EXPECT_EQ(values(x.grad()), (std::vector<float>{0.f, 0.f, 1.f}));
  x.zero_grad();
  sum(leaky_relu(x, 0.1f)).backward();
  EXPECT_EQ(values(x.grad()), (std::vector<float>{0.1f, 0.1f, 1.f}));
}

TEST(OpsPointwise, BroadcastingMatchesHandValues) {
  const Tensor a = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor row = Tensor::from_vector({3}, {10, 20, 30});
  const Tensor col = Tensor::from_vector({2, 1}, {100, 200});
  EXPECT_EQ(values(add(a, row)), (std::vector<float>{11, 22, 33, 14, 25, 36}));
  EXPECT_EQ(values(sub(a, col)), (std::vector<float>{-99, -98, -97, -196, -195, -194}));
  EXPECT_EQ(values(mul(col, row)), (std::vector<float>{1000, 2000, 3000, 2000, 4000, 6000}));
  EXPECT_EQ(mul(col, row).shape(), Shape({2, 3}));
  EXPECT_EQ(values(div(a, Tensor::scalar(2.f))), (std::vector<float>{0.5f, 1, 1.5f, 2, 2.5f, 3}));
  EXPECT_EQ(div(Tensor::scalar(6.f), Tensor::scalar(3.f)).shape(), Shape{});
  EXPECT_EQ(div(Tensor::scalar(6.f), Tensor::scalar(3.f)).item(), 2.f);
}

TEST(OpsPointwise, FourDimensionalBiasBroadcast) {
  Rng rng(3);
  const Tensor x = Tensor::uniform({2, 3, 4, 5}, rng), b = Tensor::from_vector({1, 3, 1, 1}, {1, 2, 3});
  const std::vector<float> y = values(add(x, b)), xv = values(x);
  for (size_t i = 0; i < y.size(); ++i) EXPECT_EQ(y[i], xv[i] + float((i / 20) % 3 + 1)) << i;
}

TEST(OpsPointwise, ShapeErrorNamesOpAndBothShapes) {
  const Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4});
  for (auto [name, fn] : {std::pair<const char*, Tensor (*)(const Tensor&, const Tensor&)>{"add", add},
                          {"sub", sub},
                          {"mul", mul},
                          {"div", div}}) {
    try {
      fn(a, b);
      ADD_FAILURE() << name << " accepted [2, 3] with [4]";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(std::string(name) + ":"), std::string::npos) << msg;
      EXPECT_NE(msg.find("[2, 3]"), std::string::npos) << msg;
      EXPECT_NE(msg.find("[4]"), std::string::npos) << msg;
    }
  }
}

TEST(OpsPointwise, BroadcastGradientSumsOverBroadcastDims) {
  Tensor x = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_vector({3}, {1, 2, 4});
  x.set_requires_grad(true);
  b.set_requires_grad(true);
  sum(mul(x, b)).backward();
  EXPECT_EQ(values(b.grad()), (std::vector<float>{5, 7, 9}));  // column sums of x
  EXPECT_EQ(values(x.grad()), (std::vector<float>{1, 2, 4, 1, 2, 4}));
  x.zero_grad();
  b.zero_grad();
  sum(div(x, b)).backward();
  EXPECT_EQ(values(b.grad()), (std::vector<float>{-5.f, -7.f / 4, -9.f / 16}));  // −Σ x / b²
}

TEST(OpsPointwise, ScalarOpsAndOperators) {
  Tensor x = Tensor::from_vector({3}, {1, -2, 4});
  x.set_requires_grad(true);
  EXPECT_EQ(values(add_scalar(x, 0.5f)), (std::vector<float>{1.5f, -1.5f, 4.5f}));
  EXPECT_EQ(values(-x), (std::vector<float>{-1, 2, -4}));
  const Tensor y = 3.f * x + 1.f;
  EXPECT_EQ(values(y), (std::vector<float>{4, -5, 13}));
  sum(y).backward();
  EXPECT_EQ(values(x.grad()), (std::vector<float>{3, 3, 3}));
}

}  // namespace
}  // namespace ls
