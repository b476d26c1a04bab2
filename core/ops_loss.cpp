// core/ops_loss.cpp — the losses of core/ops.h (SPEC §2), each a scalar of shape [].
// The fused kernels (kernels/cpu/loss.h) compute the loss and, when the input needs it, the gradient for an upstream
// gradient of 1 in the same pass; the backward scales that by the upstream scalar. Only the differentiable input
// joins the graph, so labels, targets and sampled codes are constants here (as with .detach() in PyTorch).
// Tests: build/layerseg_tests --gtest_filter='OpsLoss*:*GradCheck*'
#include <cmath>

#include "core/autograd.h"
#include "core/dispatch.h"
#include "kernels/cpu/loss.h"
#include "kernels/cpu/reduce.h"
#include "kernels/error.h"
#ifdef LAYERSEG_WITH_CUDA
#include "kernels/cuda/loss.h"
#include "kernels/cuda/reduce.h"
#endif

namespace ls {

// Allocates the loss and (when x needs grad) the gradient buffer, runs launch(loss, grad), records the node.
template <class Launch>
static Tensor fused_loss(OpKind kind, const Tensor& x, Launch launch) {
  Tensor loss = Tensor::empty({}, x.device());
  Tensor grad = autograd::needs_grad({x}) ? Tensor::empty(x.shape(), x.device()) : Tensor();
  launch(loss.data(), grad.defined() ? grad.data() : nullptr);
  autograd::record(kind, {x}, {loss}, [grad](const TensorList& g) -> TensorList { return {mul(grad, g[0])}; });
  return loss;
}

static void check_nonempty(const char* op, const Tensor& x) {
  LS_CHECK(x.numel() > 0, "{}: empty input of shape {}", op, shape_str(x.shape()));
}

Tensor hinge_d_loss(const Tensor& logits, bool real) {
  check_nonempty("hinge_d_loss", logits);
  return fused_loss(OpKind::HingeD, logits, [&](float* loss, float* grad) {
    LS_DISPATCH(logits.device(), hinge_loss, logits.data(), loss, grad, logits.numel(), real ? -1.f : 1.f);
  });
}

// −mean(logits): a scaled reduction forward, a scaled broadcast backward (kernels/cpu/reduce.h).
Tensor hinge_g_loss(const Tensor& logits) {
  check_nonempty("hinge_g_loss", logits);
  const Dims4 dims{{1, 1, 1, logits.numel()}};
  const float scale = -1.f / float(logits.numel());
  Tensor loss = Tensor::empty({}, logits.device());
  LS_DISPATCH(logits.device(), reduce_sum, logits.data(), loss.data(), dims, 0xFu, scale);
  const Shape xs = logits.shape();
  autograd::record(OpKind::HingeG, {logits}, {loss}, [xs, dims, scale](const TensorList& g) -> TensorList {
    Tensor gx = Tensor::empty(xs, g[0].device());
    LS_DISPATCH(g[0].device(), expand, g[0].data(), gx.data(), dims, 0xFu, scale);
    return {gx};
  });
  return loss;
}

Tensor softmax_cross_entropy(const Tensor& logits, const Tensor& labels) {
  const char* op = "softmax_cross_entropy";
  check_dim(op, logits, 2);
  check_same_device(op, logits, labels);
  const int64_t n = logits.size(0), k = logits.size(1);
  LS_CHECK(labels.shape() == Shape({n}), "{}: labels have shape {}, expected [{}] for logits {}", op,
           shape_str(labels.shape()), n, shape_str(logits.shape()));
  check_nonempty(op, logits);
  // Labels index memory in the kernel, so they are validated first (N floats; copied off the GPU when there).
  for (float y : labels.to_vector())
    LS_CHECK(y >= 0 && y < float(k) && y == std::floor(y), "{}: label {} is not a class index in [0, {})", op, y, k);
  return fused_loss(OpKind::SoftmaxCrossEntropy, logits, [&](float* loss, float* grad) {
    LS_DISPATCH(logits.device(), softmax_cross_entropy, logits.data(), labels.data(), loss, grad, n, k);
  });
}

Tensor bce_with_logits(const Tensor& logits, const Tensor& targets) {
  check_same_shape("bce_with_logits", logits, targets);
  check_same_device("bce_with_logits", logits, targets);
  check_nonempty("bce_with_logits", logits);
  return fused_loss(OpKind::BceWithLogits, logits, [&](float* loss, float* grad) {
    LS_DISPATCH(logits.device(), bce_with_logits, logits.data(), targets.data(), loss, grad, logits.numel());
  });
}

Tensor binarization_loss(const Tensor& mask) {
  check_nonempty("binarization_loss", mask);
  return fused_loss(OpKind::Binarization, mask, [&](float* loss, float* grad) {
    LS_DISPATCH(mask.device(), binarization, mask.data(), loss, grad, mask.numel());
  });
}

Tensor half_squared_distance(const Tensor& c, const Tensor& mu) {
  const char* op = "half_squared_distance";
  check_dim(op, mu, 2);
  check_same_shape(op, c, mu);
  check_same_device(op, c, mu);
  check_nonempty(op, mu);
  return fused_loss(OpKind::HalfSquaredDistance, mu, [&](float* loss, float* grad) {
    LS_DISPATCH(mu.device(), half_squared_distance, c.data(), mu.data(), loss, grad, mu.size(0), mu.size(1));
  });
}

}  // namespace ls
