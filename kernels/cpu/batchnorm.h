// kernels/cpu/batchnorm.h — 2-D batch normalisation over [N, C, HW], forward (train or eval) and backward.
// Conventions (PyTorch's): training normalises with the batch mean and the biased variance (÷ N·HW), and updates the
// running statistics in place with the unbiased variance (÷ N·HW − 1):
//   running_mean = (1 − momentum)·running_mean + momentum·mean
//   running_var  = (1 − momentum)·running_var  + momentum·var·N·HW/(N·HW − 1)
// Eval normalises with the running statistics. Both modes save the mean and 1/sqrt(var + eps) they used, which is
// all the backward needs. Tested via tests/op_cases_nn.cpp and tests/test_ops_nn.cpp.
#pragma once

namespace ls::cpu {

// y = (x − mean)·invstd·gamma + beta per channel; writes save_mean, save_invstd [C]; in training also updates
// running_mean / running_var [C] in place.
void batchnorm_forward(const float* x, const float* gamma, const float* beta, float* y, float* save_mean,
                       float* save_invstd, float* running_mean, float* running_var, int N, int C, int HW, bool training,
                       float momentum, float eps);

// Gradients of batchnorm_forward, x̂ = (x − mean)·invstd, M = N·HW:
//   dgamma = Σ dy·x̂, dbeta = Σ dy;
//   training: dx = gamma·invstd·(dy − dbeta/M − x̂·dgamma/M)  (the batch statistics depend on x)
//   eval:     dx = gamma·invstd·dy                            (the running statistics do not)
void batchnorm_backward(const float* x, const float* dy, const float* gamma, const float* save_mean,
                        const float* save_invstd, float* dx, float* dgamma, float* dbeta, int N, int C, int HW,
                        bool training);

}  // namespace ls::cpu
