// kernels/cpu/style.h — StyleGAN2's layer kernels besides the FIR (kernels/cpu/fir.h), forward and backward:
//  - bias + leaky-ReLU with gain (`bias_act`): y = gain·act(x + b[c]) on x [N, C, HW], act(v) = v for v > 0 and
//    slope·v otherwise (slope 1: linear; StyleGAN2: slope 0.2, gain √2). Backward dx = dy·gain·act'(v), with act'
//    read from the sign of y (gain > 0), as at v = 0 PyTorch's leaky ReLU takes slope; the bias gradient is the op's
//    sum of dx (core/ops_style.cpp).
//  - the demodulation coefficients of a modulated convolution: for weight w [O, C, K] (K = kh·kw) and styles s [N, C],
//    d[n][o] = 1/√(Σ_c s[n][c]²·Σ_k w[o][c][k]² + eps), so that (w·s)·d has unit norm per output channel. Backward from
//    dd [N, O]: with g = −½·dd·d³, ds[n][c] = Σ_o g[n][o]·2·s[n][c]·Σ_k w[o][c][k]² and dw[o][c][k] = Σ_n
//    g[n][o]·2·s[n][c]²·w[o][c][k]; each output element sums in a fixed order (c then k; o; n).
//  - the minibatch standard deviation of StyleGAN2's discriminator epilogue, on x [N, C, HW] in M = N/G groups of G
//    consecutive samples (sample n = m·G + g) and F feature groups (channel c = f·Cf + j, Cf = C/F): stat[m][f] = the
//    mean over j and hw of √(var_g x + eps) (variance over the group's G samples, biased). StyleGAN2-ADA groups
//    samples with stride M instead; consecutive groups keep the trainer's [real; fake] D batch from mixing the two
//    when its halves are multiples of G. Backward from dstat [M, F]:
//    dx = dstat[m][f]·(x − mean_g x)/(G·√(var_g x + eps)·Cf·HW); dx is overwritten.
// Tested via tests/op_cases_style.cpp (gradients, CPU vs CUDA).
#pragma once
#include <cstdint>

namespace ls::cpu {

void bias_act_forward(const float* x, const float* b, float* y, int N, int C, int64_t HW, float slope, float gain);
void bias_act_backward(const float* dy, const float* y, float* dx, int64_t n, float slope, float gain);

void demodulation_forward(const float* w, const float* s, float* d, int N, int O, int C, int K, float eps);
void demodulation_backward(const float* w, const float* s, const float* d, const float* dd, float* dw, float* ds, int N,
                           int O, int C, int K);

void minibatch_stddev_forward(const float* x, float* stat, int N, int C, int64_t HW, int G, int F, float eps);
void minibatch_stddev_backward(const float* x, const float* dstat, float* dx, int N, int C, int64_t HW, int G, int F,
                               float eps);

}  // namespace ls::cpu
