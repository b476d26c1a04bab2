// tests/test_tiny_model.cpp — end to end on the CPU: a two-conv + linear classifier (core/layers.h) trained with Adam
// learns a synthetic task, and a run saved to a checkpoint and resumed continues bit-identically.
// The task: an 8×8 noisy image holds one bright 2×2 square, entirely in the left or the right half; say which.
//   layerseg_tests --gtest_filter='TinyModel*'
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "core/autograd.h"
#include "core/checkpoint.h"
#include "core/layers.h"
#include "core/optim.h"
#include "core/rng.h"

namespace ls {
namespace {

struct Batch {
  Tensor x, labels;  // [N,1,8,8], [N] (0 = left, 1 = right)
};

Batch make_batch(int n, Rng& rng) {
  std::vector<float> x(size_t(n) * 64), labels(static_cast<size_t>(n));
  rng.fill_normal(x.data(), x.size(), 0.f, 0.1f);
  for (int i = 0; i < n; ++i) {
    const int right = rng.randint(2), col = rng.randint(3) + 4 * right, row = rng.randint(7);  // never straddles
    for (int dy = 0; dy < 2; ++dy)
      for (int dx = 0; dx < 2; ++dx) x[size_t(i * 64 + (row + dy) * 8 + col + dx)] += 1.f;
    labels[size_t(i)] = float(right);
  }
  return {Tensor::from_vector({n, 1, 8, 8}, x), Tensor::from_vector({n}, labels)};
}

struct TinyNet : Module {
  explicit TinyNet(Rng& rng) {
    conv1 = register_module("conv1", std::make_shared<Conv2d>(1, 4, 3, 1, 1, rng));
    conv2 = register_module("conv2", std::make_shared<Conv2d>(4, 8, 3, 2, 1, rng));  // → [N,8,4,4]
    head = register_module("head", std::make_shared<Linear>(8 * 4 * 4, 2, rng));
  }
  Tensor forward(const Tensor& x) { return head->forward(flatten(relu(conv2->forward(relu(conv1->forward(x)))))); }
  std::shared_ptr<Conv2d> conv1, conv2;
  std::shared_ptr<Linear> head;
};

AdamOptions tiny_adam() {
  AdamOptions o;
  o.lr = 1e-2f;
  return o;
}

// One Adam step on a fresh batch from `data`; returns the batch loss.
float train_step(TinyNet& net, Adam& opt, Rng& data) {
  const Batch b = make_batch(32, data);
  Tensor loss = softmax_cross_entropy(net.forward(b.x), b.labels);
  opt.zero_grad();
  loss.backward();
  opt.step();
  return loss.item();
}

float eval_loss(TinyNet& net, const Batch& b) {
  autograd::NoGradGuard no_grad;
  return softmax_cross_entropy(net.forward(b.x), b.labels).item();
}

TEST(TinyModel, LearnsLeftOrRight) {
  Rng init(1), data(2), held(3);
  TinyNet net(init);
  Adam opt(net.named_parameters(), tiny_adam());
  const Batch test = make_batch(256, held);
  const float before = eval_loss(net, test);
  EXPECT_GT(before, 0.5f);  // chance is ln 2 ≈ 0.69: the bar below is not met by an untrained net
  for (int step = 0; step < 300; ++step) train_step(net, opt, data);
  const float after = eval_loss(net, test);
  EXPECT_LT(after, 0.05f) << "held-out loss " << before << " → " << after;
}

// Train 20 steps, checkpoint model + optimizer + data RNG, train 20 more; a fresh process-like restart from the
// file must reproduce the same weights bit for bit.
TEST(TinyModel, CheckpointResumeIsBitIdentical) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("layerseg_tiny_" + std::to_string(::getpid()) + ".safetensors"))
          .string();
  Rng init(1), data(2);
  TinyNet net(init);
  Adam opt(net.named_parameters(), tiny_adam());
  for (int step = 0; step < 20; ++step) train_step(net, opt, data);
  NamedTensors state = with_prefix("model.", module_state(net));
  for (auto& e : with_prefix("adam.", opt.state())) state.push_back(e);
  save_checkpoint(path, state,
                  {{"rng.seed", std::to_string(data.seed())}, {"rng.offset", std::to_string(data.offset())}});
  for (int step = 0; step < 20; ++step) train_step(net, opt, data);

  Rng other(7), resumed_data;
  TinyNet resumed(other);
  Adam resumed_opt(resumed.named_parameters(), tiny_adam());
  const Checkpoint ck = load_checkpoint(path);
  std::filesystem::remove(path);
  load_into(ck, with_prefix("model.", module_state(resumed)), path);
  resumed_opt.load_state(strip_prefix("adam.", ck.tensors));
  resumed_data.set_state(std::stoull(ck.metadata.at("rng.seed")), std::stoull(ck.metadata.at("rng.offset")));
  for (int step = 0; step < 20; ++step) train_step(resumed, resumed_opt, resumed_data);

  const NamedTensors a = net.named_parameters(), b = resumed.named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].second.to_vector(), b[i].second.to_vector()) << a[i].first;
}

}  // namespace
}  // namespace ls
