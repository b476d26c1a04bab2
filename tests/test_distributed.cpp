// tests/test_distributed.cpp — data parallelism (core/distributed.h) inside one process: the synchronised batch-norm
// against the fused kernel, the batch rows a rank computes, the identity collectives of a world of one. The tests
// with several processes are tests/test_mpi.cpp (CTest label mpi).
//   build/layerseg_tests --gtest_filter='Distributed*'
#include <gtest/gtest.h>

#include <cmath>

#include "core/distributed.h"
#include "core/ops.h"
#include "core/rng.h"
#include "tests/error_message.h"

namespace ls {
namespace {

struct BatchNormResult {
  std::vector<float> y, gx, gg, gb, running_mean, running_var;
};

BatchNormResult run_batch_norm(const Tensor& x0, const Tensor& g0, const Tensor& b0, const Tensor& dy,
                               bool synchronized) {
  const dist::SyncBatchNormScope sync(synchronized);
  Tensor x = x0.clone(), g = g0.clone(), b = b0.clone();
  x.set_requires_grad(true), g.set_requires_grad(true), b.set_requires_grad(true);
  const int64_t c = x.size(1);
  Tensor rm = Tensor::full({c}, 0.5f), rv = Tensor::full({c}, 2.f);
  const Tensor y = batch_norm2d(x, g, b, rm, rv, true, 0.1f, 1e-5f);
  sum(y * dy).backward();
  return {y.to_vector(),        x.grad().to_vector(), g.grad().to_vector(),
          b.grad().to_vector(), rm.to_vector(),       rv.to_vector()};
}

// The synchronised path computes what the fused kernel computes, from the same two-pass statistics, in a different
// summation order: agreement to float rounding (1e-5 relative to each vector's largest value) on inputs with a large
// common offset, where a one-pass variance would lose digits.
TEST(DistributedBatchNorm, SynchronisedPathMatchesTheFusedKernel) {
  Rng rng(7);
  const Tensor x = add_scalar(Tensor::normal({5, 3, 7, 9}, rng, 0.f, 2.f), 3.f);
  const Tensor gamma = Tensor::uniform({3}, rng, 0.5f, 1.5f), beta = Tensor::uniform({3}, rng, -1.f, 1.f);
  const Tensor dy = Tensor::normal({5, 3, 7, 9}, rng);
  const BatchNormResult fused = run_batch_norm(x, gamma, beta, dy, false);
  const BatchNormResult synced = run_batch_norm(x, gamma, beta, dy, true);
  const auto expect_close = [](const std::vector<float>& a, const std::vector<float>& e, const char* what) {
    ASSERT_EQ(a.size(), e.size()) << what;
    float scale = 0;
    for (float v : e) scale = std::max(scale, std::fabs(v));
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], e[i], 1e-5f * scale) << what << "[" << i << "]";
  };
  expect_close(synced.y, fused.y, "y");
  expect_close(synced.gx, fused.gx, "dx");
  expect_close(synced.gg, fused.gg, "dgamma");
  expect_close(synced.gb, fused.gb, "dbeta");
  expect_close(synced.running_mean, fused.running_mean, "running_mean");
  expect_close(synced.running_var, fused.running_var, "running_var");
}

TEST(DistributedBatchNorm, TheScopeIsOnlyActiveWhereOpened) {
  EXPECT_FALSE(dist::batch_norm_synchronized());
  {
    const dist::SyncBatchNormScope trainer_step;
    EXPECT_FALSE(dist::batch_norm_synchronized()) << "a world of one keeps the fused kernel";
    {
      const dist::SyncBatchNormScope forced(true);
      EXPECT_TRUE(dist::batch_norm_synchronized());
    }
    EXPECT_FALSE(dist::batch_norm_synchronized());
  }
  EXPECT_FALSE(dist::batch_norm_synchronized());
}

TEST(DistributedRows, PicksRowsOfTablesAndTensors) {
  const dist::BatchRows second_half = dist::BatchRows::range(4, 2, 4);
  EXPECT_FALSE(second_half.whole());
  EXPECT_TRUE(dist::BatchRows::all(4).whole());
  EXPECT_EQ(second_half.pick(std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}, 2), (std::vector<float>{4, 5, 6, 7}));
  const Tensor t = Tensor::from_vector({4, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  EXPECT_EQ(second_half.pick(t).to_vector(), (std::vector<float>{4, 5, 6, 7}));
  // Real and fake rows of one D batch: rows 2, 3 of each half of [real(4); fake(4)].
  const dist::BatchRows both = second_half.then(second_half);
  EXPECT_EQ(both.total, 8);
  EXPECT_EQ(both.index, (std::vector<int64_t>{2, 3, 6, 7}));
  const Tensor d = Tensor::from_vector({8, 1}, {0, 1, 2, 3, 4, 5, 6, 7});
  EXPECT_EQ(both.pick(d).to_vector(), (std::vector<float>{2, 3, 6, 7}));
  EXPECT_NE(test::error_message([&] {
              second_half.pick(Tensor::zeros({3, 2}));
            }).find("is not the batch of 4"),
            std::string::npos);
}

TEST(DistributedRows, AWorldOfOneComputesTheWholeBatch) {
  ASSERT_EQ(comm::world().size, 1);
  EXPECT_TRUE(dist::my_rows(6, "train.batch").whole());
}

TEST(DistributedGradients, AWorldOfOneLeavesGradientsAlone) {
  Tensor p = Tensor::zeros({3});
  p.set_requires_grad(true);
  p.set_grad(Tensor::from_vector({3}, {1.f, -2.f, 0.5f}));
  dist::average_gradients({{"p", p}});
  EXPECT_EQ(p.grad().to_vector(), (std::vector<float>{1.f, -2.f, 0.5f}));
  dist::check_replicas_agree({{"p", p}}, "test");  // nothing to disagree with
}

}  // namespace
}  // namespace ls
