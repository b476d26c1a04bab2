// kernels/cpu/spectral.h — spectral normalisation W/σ(W) (Miyato et al., SNGAN), as PyTorch's spectral_norm.
// W is viewed as a matrix [rows, cols] (rows = output channels/features, cols = the rest); u [rows], v [cols];
// normalize(a) = a / max(‖a‖, eps).
// σ: v = normalize(Wᵀu); with n_iter > 0 first n_iter power-iteration steps {v = normalize(Wᵀu); u = normalize(Wv)}
// update u in place and leave the last v; then σ = uᵀWv.
// The backward treats u and v as constants (as PyTorch does): with W_sn = W/σ and ∂σ/∂W = u vᵀ,
//   dW = (g − (Σ g ⊙ W_sn)·u vᵀ) / σ.
// Without an update this is the exact gradient of W/‖Wᵀu‖ for a fixed u (v maximises uᵀWv, so v's own dependence on
// W drops out), which is what the gradient check verifies. Tested via tests/op_cases_nn.cpp.
#pragma once

namespace ls::cpu {

// Writes v [cols] and sigma [1]; updates u [rows] when n_iter > 0.
void spectral_sigma(const float* w, float* u, float* v, float* sigma, int rows, int cols, int n_iter, float eps);

// w_sn = w / sigma[0] over rows·cols elements.
void spectral_scale(const float* w, const float* sigma, float* w_sn, int rows, int cols);

// dw from g = ∂L/∂W_sn, as in the header comment.
void spectral_backward(const float* g, const float* w_sn, const float* u, const float* v, const float* sigma, float* dw,
                       int rows, int cols);

}  // namespace ls::cpu
