// tests/test_parallel.cpp — the thread pool (kernels/parallel.h) and the CPU kernels on it: every index runs once,
// chunks are the documented ones whatever the thread count, errors come back to the caller, and every kernel that
// splits its work gives the same bits with 1 and with several threads (while really splitting: the pool's job
// counter must move).
//   build/layerseg_tests --gtest_filter='Parallel*'
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/rng.h"
#include "kernels/cpu/adam.h"
#include "kernels/error.h"
#include "kernels/parallel.h"
#include "tests/error_message.h"
#include "tests/op_cases.h"

namespace ls {
namespace {

// Restores the thread count a test changed.
struct ThreadCountGuard {
  int saved = thread_count();
  ~ThreadCountGuard() { set_thread_count(saved); }
};

TEST(ParallelPool, EveryIndexOnceInTheDocumentedChunks) {
  ThreadCountGuard guard;
  for (int threads : {1, 2, 3, 8})
    for (int64_t n : {0, 1, 7, 100, 1001})
      for (int64_t grain : {1, 3, 64, 5000}) {
        set_thread_count(threads);
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        std::mutex m;
        std::set<std::pair<int64_t, int64_t>> chunks;
        parallel_for(n, grain, [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i) ++hits[size_t(i)];
          std::lock_guard<std::mutex> lock(m);
          chunks.insert({begin, end});
        });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[size_t(i)], 1) << threads << " " << n << " " << grain;
        std::set<std::pair<int64_t, int64_t>> want;
        for (int64_t b = 0; b < n; b += grain) want.insert({b, std::min(n, b + grain)});
        EXPECT_EQ(chunks, want) << "threads " << threads << " n " << n << " grain " << grain;
      }
}

TEST(ParallelPool, WorkersShareTheChunks) {
  ThreadCountGuard guard;
  set_thread_count(3);
  ASSERT_EQ(thread_count(), 3);
  std::mutex m;
  std::set<std::thread::id> ids;
  const int64_t before = pool_jobs();
  // Chunks that wait a little, so that each sleeping worker wakes in time to take some.
  parallel_for(64, 1, [&](int64_t, int64_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::lock_guard<std::mutex> lock(m);
    ids.insert(std::this_thread::get_id());
  });
  EXPECT_EQ(pool_jobs(), before + 1);
  EXPECT_GE(ids.size(), 2u);
}

TEST(ParallelPool, ErrorsReachTheCallerAndThePoolGoesOn) {
  ThreadCountGuard guard;
  set_thread_count(4);
  const std::string msg = test::error_message(
      [] { parallel_for(1000, 1, [](int64_t begin, int64_t) { LS_CHECK(begin != 537, "item {} failed", begin); }); });
  EXPECT_NE(msg.find("item 537 failed"), std::string::npos) << msg;
  std::atomic<int64_t> total{0};
  parallel_for(1000, 10, [&](int64_t begin, int64_t end) { total += end - begin; });
  EXPECT_EQ(total, 1000);
}

TEST(ParallelPool, NestedCallsRunOnTheirCaller) {
  ThreadCountGuard guard;
  set_thread_count(3);
  std::atomic<int64_t> total{0};
  parallel_for(8, 1, [&](int64_t, int64_t) {
    const auto outer = std::this_thread::get_id();
    parallel_for(100, 7, [&](int64_t begin, int64_t end) {
      EXPECT_EQ(std::this_thread::get_id(), outer);
      total += end - begin;
    });
  });
  EXPECT_EQ(total, 800);
}

TEST(ParallelPool, BadThreadCountsAreRefused) {
  ThreadCountGuard guard;
  EXPECT_NE(test::error_message([] { set_thread_count(-2); }).find("--threads -2"), std::string::npos);
  const char* saved = std::getenv("LAYERSEG_THREADS");
  const std::string keep = saved ? saved : "";
  setenv("LAYERSEG_THREADS", "two", 1);
  EXPECT_NE(test::error_message([] { set_thread_count(0); }).find("LAYERSEG_THREADS=two"), std::string::npos);
  setenv("LAYERSEG_THREADS", "5", 1);
  EXPECT_EQ(default_thread_count(), 5);
  set_thread_count(0);
  EXPECT_EQ(thread_count(), 5);
  if (saved)
    setenv("LAYERSEG_THREADS", keep.c_str(), 1);
  else
    unsetenv("LAYERSEG_THREADS");
}

// ---- kernels: the same bits at any thread count ------------------------------------------------------------------

// A kernel run: its outputs and, through autograd, the gradients of Σ outputs·r (r fixed random weights) with respect
// to every input. Shapes are large enough that every kernel on the path splits its work.
struct KernelRun {
  std::string name;
  std::vector<Shape> inputs;
  std::function<TensorList(const TensorList&)> run;
  float lo = -1.f, hi = 1.f;
};

std::vector<KernelRun> kernel_runs() {
  const auto one = [](Tensor t) { return TensorList{std::move(t)}; };
  return {
      {"conv2d 3x3 (several image batches, bias)",
       {{24, 16, 32, 32}, {24, 16, 3, 3}, {24}},
       [=](const TensorList& in) { return one(conv2d(in[0], in[1], in[2], 1, 1)); }},
      {"conv2d 4x4 stride 2 (packed batches)",
       {{40, 8, 16, 16}, {16, 8, 4, 4}, {16}},
       [=](const TensorList& in) { return one(conv2d(in[0], in[1], in[2], 2, 1)); }},
      {"conv2d grouped",
       {{12, 8, 24, 24}, {8, 4, 3, 3}, {8}},
       [=](const TensorList& in) { return one(conv2d(in[0], in[1], in[2], 1, 1, 2)); }},
      {"conv_transpose2d",
       {{16, 8, 16, 16}, {8, 4, 4, 4}, {4}},
       [=](const TensorList& in) { return one(conv_transpose2d(in[0], in[1], in[2], 2, 1)); }},
      {"linear",
       {{64, 600}, {300, 600}, {300}},
       [=](const TensorList& in) { return one(linear(in[0], in[1], in[2])); }},
      {"batch_norm2d train",
       {{16, 24, 32, 32}, {24}, {24}},
       [=](const TensorList& in) {
         Tensor rm = Tensor::zeros({24}), rv = Tensor::full({24}, 1.f);
         return TensorList{batch_norm2d(in[0], in[1], in[2], rm, rv, true), rm, rv};
       }},
      {"activations",
       {{300000}},
       [=](const TensorList& in) {
         return TensorList{relu(in[0]), leaky_relu(in[0]), tanh(in[0]), sigmoid(in[0]), softplus(in[0])};
       }},
      {"broadcast arithmetic",
       {{8, 16, 48, 48}, {1, 16, 1, 48}},
       [=](const TensorList& in) {
         return TensorList{in[0] + in[1], in[0] - in[1], in[0] * in[1], in[0] / (in[1] * in[1] + 1.f),
                           in[0] * 3.f + 1.f};
       }},
      {"sum and mean",
       {{16, 16, 40, 40}},
       [=](const TensorList& in) {
         return TensorList{sum(in[0], {1}), mean(in[0], {0, 2, 3}), sum(in[0], {3}, true), mean(in[0])};
       }},
      {"concat and slice",
       {{8, 32, 32, 32}, {8, 16, 32, 32}},
       [=](const TensorList& in) {
         return one(slice(concat({in[0], in[1]}, 1), 1, 5, 40));
       }},
      {"upsampling",
       {{8, 16, 32, 32}},
       [=](const TensorList& in) {
         return TensorList{upsample_nearest2x(in[0]), upsample_bilinear2x(in[0])};
       }},
      {"pooling",
       {{8, 16, 64, 64}},
       [=](const TensorList& in) {
         return TensorList{max_pool2d(in[0], 3, 2, 1), avg_pool2d(in[0], 2, 2)};
       }},
      {"spectral_normalize",
       {{384, 432}},
       [=](const TensorList& in) {
         Rng rng(7);
         Tensor u = Tensor::normal({384}, rng, 0.f, 1.f);
         return TensorList{spectral_normalize(in[0], u, true, 3), u};
       }},
      {"compose_perturbed",
       {{24, 3, 64, 64}, {24, 3, 64, 64}, {24, 1, 64, 64}},
       [=](const TensorList& in) {
         std::vector<float> th;
         for (int s = 0; s < 24; ++s) th.insert(th.end(), {0.9f + 0.01f * float(s), 0.1f, 0.05f, -0.1f, 1.05f, -0.02f});
         const Composite c = compose_perturbed(in[0], in[1], sigmoid(in[2]), Tensor::from_vector({24, 6}, th));
         return TensorList{c.image, c.mask};
       }},
      {"losses",
       {{120000}, {120000}},
       [=](const TensorList& in) {
         const Tensor m = sigmoid(in[0]);
         return TensorList{hinge_d_loss(in[0], true),
                           hinge_g_loss(in[0]),
                           bce_with_logits(in[0], m),
                           binarization_loss(m),
                           half_squared_distance(reshape(m.detach(), {600, 200}), reshape(in[1], {600, 200})),
                           softmax_cross_entropy(reshape(in[1], {12000, 10}), Tensor::full({12000}, 3.f))};
       }},
  };
}

// Outputs, then the gradient of each input, of one kernel run at the current thread count.
std::vector<std::vector<float>> evaluate(const KernelRun& k, uint64_t seed) {
  Rng rng(seed);
  TensorList inputs;
  for (const Shape& s : k.inputs) inputs.push_back(Tensor::uniform(s, rng, k.lo, k.hi).set_requires_grad(true));
  const TensorList outs = k.run(inputs);
  std::vector<std::vector<float>> got;
  Tensor objective;
  for (const Tensor& o : outs) {
    got.push_back(o.to_vector());
    if (!o.requires_grad()) continue;
    const Tensor r = Tensor::uniform(o.shape(), rng, -1.f, 1.f);
    const Tensor term = sum(o * r);
    objective = objective.defined() ? objective + term : term;
  }
  objective.backward();
  for (const Tensor& in : inputs) got.push_back(in.grad().defined() ? in.grad().to_vector() : std::vector<float>{});
  return got;
}

TEST(ParallelKernels, SameBitsAtAnyThreadCount) {
  ThreadCountGuard guard;
  const uint64_t seed = test::fresh_seed();
  for (const KernelRun& k : kernel_runs()) {
    SCOPED_TRACE(k.name + " seed " + std::to_string(seed));
    set_thread_count(1);
    const auto reference = evaluate(k, seed);
    for (int threads : {2, 3, 5}) {
      set_thread_count(threads);
      const int64_t jobs = pool_jobs();
      const auto got = evaluate(k, seed);
      EXPECT_GT(pool_jobs(), jobs) << "nothing was split over the pool at " << threads << " threads";
      ASSERT_EQ(got.size(), reference.size());
      for (size_t t = 0; t < got.size(); ++t) {
        ASSERT_EQ(got[t].size(), reference[t].size());
        size_t differ = 0;
        for (size_t i = 0; i < got[t].size(); ++i)
          differ += std::memcmp(&got[t][i], &reference[t][i], sizeof(float)) != 0;
        EXPECT_EQ(differ, 0u) << "tensor " << t << " at " << threads << " threads";
      }
    }
  }
}

// Adam and the EMA are called on raw buffers by the optimizer (core/optim.cpp).
TEST(ParallelKernels, AdamAndEmaSameBitsAtAnyThreadCount) {
  ThreadCountGuard guard;
  const int64_t n = 250001;
  Rng rng(test::fresh_seed());
  std::vector<float> p0(static_cast<size_t>(n)), g = p0, m0 = p0, v0 = p0;
  rng.fill_uniform(p0.data(), p0.size());
  rng.fill_uniform(g.data(), g.size());
  rng.fill_uniform(m0.data(), m0.size());
  rng.fill_uniform(v0.data(), v0.size());
  std::vector<std::vector<float>> results;
  for (int threads : {1, 4}) {
    set_thread_count(threads);
    std::vector<float> p = p0, m = m0, v = v0, e = p0;
    const int64_t jobs = pool_jobs();
    cpu::adam_update(p.data(), g.data(), m.data(), v.data(), n, 1e-3f, 0.5f, 0.99f, 1e-8f, 0.5f, 0.01f, 1e-4f);
    cpu::ema_update(e.data(), p.data(), n, 0.999f);
    if (threads > 1) {
      EXPECT_GE(pool_jobs(), jobs + 2);
    }
    for (auto* t : {&p, &m, &v, &e}) results.push_back(*t);
  }
  for (size_t t = 0; t < 4; ++t) EXPECT_EQ(0, std::memcmp(results[t].data(), results[t + 4].data(), size_t(n) * 4));
}

}  // namespace
}  // namespace ls
