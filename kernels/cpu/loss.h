// kernels/cpu/loss.h — the loss kernels. Each reduces to one float and, in the same pass, writes the gradient of
// that loss with respect to its differentiable input for an upstream gradient of 1 (`grad`, input-shaped; null when
// no gradient is wanted); the op's backward only scales it. Targets, labels and sampled codes get no gradient.
// Tested through tests/op_cases_loss.cpp and tests/test_ops_loss.cpp: build/layerseg_tests --gtest_filter='OpsLoss*'
#pragma once
#include <cstdint>

namespace ls::cpu {

// mean relu(1 + sign·x): sign = −1 for real logits, +1 for fake (hinge D loss). relu'(0) = 0 as in PyTorch.
void hinge_loss(const float* x, float* loss, float* grad, int64_t n, float sign);
// logits [n,k], labels [n] (exact integer class indices in [0, k)): mean over rows of logsumexp − logit[label],
// as F.cross_entropy(reduction='mean'). grad = (softmax − onehot)/n.
void softmax_cross_entropy(const float* logits, const float* labels, float* loss, float* grad, int64_t n, int64_t k);
// mean of max(x, 0) − x·t + log1p(e^−|x|), as F.binary_cross_entropy_with_logits. grad = (σ(x) − t)/n.
void bce_with_logits(const float* x, const float* t, float* loss, float* grad, int64_t n);
// mean min(m, 1 − m). Gradient ±1/n on either side of ½ and 0 at exactly ½: the subgradient torch.minimum gives
// at a tie (it splits the gradient evenly between its two arguments).
void binarization(const float* m, float* loss, float* grad, int64_t n);
// c, mu [n,d]: mean over rows of ½‖c − μ‖². grad (for μ) = (μ − c)/n.
void half_squared_distance(const float* c, const float* mu, float* loss, float* grad, int64_t n, int64_t d);

}  // namespace ls::cpu
