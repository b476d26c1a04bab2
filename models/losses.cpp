// models/losses.cpp — code sampling and the composite losses of models/losses.h.
#include "models/losses.h"

#include <vector>

#include "core/ops.h"
#include "kernels/error.h"

namespace ls::models {

Code sample_code(Rng& rng, int64_t n, const ModelConfig& m, Device d) {
  Code c;
  if (m.c_kind == "normal") {
    c.input = Tensor::normal({n, m.c_dim}, rng, 0.f, 1.f, d);
    return c;
  }
  std::vector<float> onehot(size_t(n * m.c_dim), 0.f), labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int k = rng.randint(m.c_dim);
    labels[size_t(i)] = float(k);
    onehot[size_t(i * m.c_dim + k)] = 1.f;
  }
  c.input = Tensor::from_vector({n, m.c_dim}, onehot, d);
  c.labels = Tensor::from_vector({n}, labels, d);
  return c;
}

Tensor code_nll(const Tensor& encoder_out, const Code& c) {
  return c.labels.defined() ? softmax_cross_entropy(encoder_out, c.labels)
                            : half_squared_distance(c.input, encoder_out);
}

Tensor adversarial_d_loss(const Tensor& real_logits, const Tensor& fake_logits, const std::string& kind) {
  if (kind == "logistic") return mean(softplus(-real_logits)) + mean(softplus(fake_logits));
  LS_CHECK(kind == "hinge", "loss.adversarial = '{}': expected hinge or logistic", kind);
  return hinge_d_loss(real_logits, true) + hinge_d_loss(fake_logits, false);
}

Tensor adversarial_g_loss(const Tensor& fake_logits, const std::string& kind) {
  if (kind == "logistic") return mean(softplus(-fake_logits));
  LS_CHECK(kind == "hinge", "loss.adversarial = '{}': expected hinge or logistic", kind);
  return hinge_g_loss(fake_logits);
}

Tensor background_loss(const Tensor& f_logit_on_background) {
  return bce_with_logits(f_logit_on_background,
                         Tensor::zeros(f_logit_on_background.shape(), f_logit_on_background.device()));
}

Tensor mask_size_loss(const Tensor& pi, float min_coverage) {
  return mean(relu(add_scalar(-mean(pi, {1, 2, 3}), min_coverage)));
}

namespace {

Tensor mean_abs(const Tensor& x) { return mean(relu(x)) + mean(relu(-x)); }

// The batch rolled by one: sample i+1 sits where sample i was.
Tensor roll_batch(const Tensor& x) {
  const int64_t n = x.shape()[0];
  return concat({slice(x, 0, 1, n), slice(x, 0, 0, 1)}, 0);
}

Tensor club_laplace(const Tensor& a, const Tensor& b) { return mean_abs(roll_batch(a) - b) - mean_abs(a - b); }

}  // namespace

Tensor layer_independence_loss(const Tensor& x_b, const Tensor& x_f, const Tensor& pi) {
  LS_CHECK(x_b.shape()[0] >= 2, "layer independence needs a batch of at least 2 (got {})", x_b.shape()[0]);
  const Tensor outside = add_scalar(-pi, 1.f);
  return club_laplace(x_b * pi, x_f * pi) + club_laplace(x_f * outside, x_b * outside);
}

}  // namespace ls::models
