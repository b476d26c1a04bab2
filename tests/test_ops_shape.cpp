// tests/test_ops_shape.cpp — hand-checked values and errors of sum, mean, reshape, flatten, concat and slice.
// Gradients: tests/test_gradcheck.cpp.   build/layerseg_tests --gtest_filter='OpsShape*'
#include <gtest/gtest.h>

#include "core/autograd.h"
#include "kernels/error.h"
#include "core/rng.h"

namespace ls {
namespace {

std::vector<float> values(const Tensor& t) { return t.to_vector(); }
Tensor iota(const Shape& s) {
  std::vector<float> v(size_t(shape_numel(s)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i);
  return Tensor::from_vector(s, v);
}

TEST(OpsShape, SumAndMeanOverAxes) {
  const Tensor x = iota({2, 3});  // [[0 1 2] [3 4 5]]
  EXPECT_EQ(sum(x).shape(), Shape{});
  EXPECT_EQ(sum(x).item(), 15.f);
  EXPECT_EQ(values(sum(x, {0})), (std::vector<float>{3, 5, 7}));
  const Tensor r = sum(x, {-1}, true);
  EXPECT_EQ(r.shape(), Shape({2, 1}));
  EXPECT_EQ(values(r), (std::vector<float>{3, 12}));
  EXPECT_EQ(values(mean(x, {1})), (std::vector<float>{1, 4}));
  EXPECT_EQ(mean(x, {}, true).shape(), Shape({1, 1}));
  EXPECT_FLOAT_EQ(mean(x).item(), 2.5f);
}

TEST(OpsShape, SumOverInnerAxesOf4D) {
  const Tensor x = iota({2, 3, 2, 2});
  const Tensor y = sum(x, {0, 2, 3});  // x = 12n + 4c + 2h + w: per channel Σ = 48 + 32c + 8 + 4
  EXPECT_EQ(y.shape(), Shape({3}));
  EXPECT_EQ(values(y), (std::vector<float>{60, 92, 124}));
  EXPECT_EQ(sum(x, {1, 3}, true).shape(), Shape({2, 1, 2, 1}));
  EXPECT_EQ(values(sum(x, {1, 3}, true)), (std::vector<float>{27, 39, 99, 111}));  // 72n + 12h + 27
}

TEST(OpsShape, SumOfScalarAndAxisErrors) {
  EXPECT_EQ(sum(Tensor::scalar(4.f)).item(), 4.f);
  EXPECT_THROW(sum(iota({2, 3}), {2}), Error);
  EXPECT_THROW(mean(iota({2, 3}), {-3}), Error);
}

TEST(OpsShape, ReshapeInfersAViewAndChecksSize) {
  const Tensor x = iota({2, 3, 4});
  const Tensor y = reshape(x, {4, -1});
  EXPECT_EQ(y.shape(), Shape({4, 6}));
  EXPECT_EQ(y.data(), x.data());  // shares storage, as torch.reshape of a contiguous tensor
  EXPECT_EQ(flatten(x).shape(), Shape({2, 12}));
  EXPECT_THROW(reshape(x, {5, -1}), Error);
  EXPECT_THROW(reshape(x, {2, 3}), Error);
  EXPECT_THROW(reshape(x, {-1, -1}), Error);
}

TEST(OpsShape, ConcatThreeAlongChannels) {
  const Tensor a = Tensor::full({1, 1, 1, 2}, 1.f), b = Tensor::full({1, 2, 1, 2}, 2.f),
               c = Tensor::full({1, 1, 1, 2}, 3.f);
  const Tensor y = concat({a, b, c}, 1);
  EXPECT_EQ(y.shape(), Shape({1, 4, 1, 2}));
  EXPECT_EQ(values(y), (std::vector<float>{1, 1, 2, 2, 2, 2, 3, 3}));
  const Tensor z = concat({iota({2, 2}), iota({2, 1})}, -1);
  EXPECT_EQ(values(z), (std::vector<float>{0, 1, 0, 2, 3, 1}));
}

TEST(OpsShape, ConcatMismatchNamesOpAndShapes) {
  try {
    concat({Tensor::zeros({2, 3, 4}), Tensor::zeros({2, 3, 5})}, 1);
    ADD_FAILURE() << "concat accepted mismatched shapes";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("concat"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[2, 3, 4]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[2, 3, 5]"), std::string::npos) << msg;
  }
}

TEST(OpsShape, SliceCopiesARangeAndChecksBounds) {
  const Tensor x = iota({2, 4});
  EXPECT_EQ(values(slice(x, 1, 1, 3)), (std::vector<float>{1, 2, 5, 6}));
  EXPECT_EQ(values(slice(x, 0, 1, 2)), (std::vector<float>{4, 5, 6, 7}));
  EXPECT_EQ(slice(x, 1, 2, 2).shape(), Shape({2, 0}));
  EXPECT_THROW(slice(x, 1, 3, 5), Error);
  EXPECT_THROW(slice(x, 1, 2, 1), Error);
}

TEST(OpsShape, SliceGradientScattersIntoZeros) {
  Tensor x = iota({2, 4});
  x.set_requires_grad(true);
  sum(slice(x, 1, 1, 3)).backward();
  EXPECT_EQ(values(x.grad()), (std::vector<float>{0, 1, 1, 0, 0, 1, 1, 0}));
}

}  // namespace
}  // namespace ls
