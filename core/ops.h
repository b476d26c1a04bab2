// core/ops.h — every differentiable op of the engine, and OpKind, the table that names them.
// Ops are data: OpKind is what autograd nodes record, what the gradient-check and CPU-vs-CUDA suites loop over
// (tests/op_cases*.cpp) and what the benchmark times. Adding an op means adding its kind here, its row in
// LAYERSEG_OPS, and a test case; tests/test_gradcheck.cpp fails while any kind has no case.
// Conventions follow PyTorch (stated again at each implementation): NCHW, conv output (H + 2p − k)/s + 1,
// align_corners=false sampling, biased variance to normalise in batch-norm and unbiased for running statistics.
#pragma once
#include <vector>

#include "core/tensor.h"

namespace ls {

// clang-format off
#define LAYERSEG_OPS(X)                            \
  X(Conv2d, "conv2d")                              \
  X(ConvTranspose2d, "conv_transpose2d")           \
  X(Linear, "linear")                              \
  X(BatchNorm2d, "batch_norm2d")                   \
  X(SpectralNormalize, "spectral_normalize")       \
  X(Relu, "relu")                                  \
  X(LeakyRelu, "leaky_relu")                       \
  X(Tanh, "tanh")                                  \
  X(Sigmoid, "sigmoid")                            \
  X(Softplus, "softplus")                          \
  X(Rsqrt, "rsqrt")                                \
  X(Add, "add")                                    \
  X(Sub, "sub")                                    \
  X(Mul, "mul")                                    \
  X(Div, "div")                                    \
  X(AddScalar, "add_scalar")                       \
  X(MulScalar, "mul_scalar")                       \
  X(Sum, "sum")                                    \
  X(Mean, "mean")                                  \
  X(Reshape, "reshape")                            \
  X(Concat, "concat")                              \
  X(Slice, "slice")                                \
  X(UpsampleNearest2x, "upsample_nearest2x")       \
  X(UpsampleBilinear2x, "upsample_bilinear2x")     \
  X(AvgPool2d, "avg_pool2d")                       \
  X(MaxPool2d, "max_pool2d")                       \
  X(ComposePerturbed, "compose_perturbed")         \
  X(HingeD, "hinge_d_loss")                        \
  X(HingeG, "hinge_g_loss")                        \
  X(SoftmaxCrossEntropy, "softmax_cross_entropy")  \
  X(BceWithLogits, "bce_with_logits")              \
  X(Binarization, "binarization_loss")             \
  X(HalfSquaredDistance, "half_squared_distance")  \
  X(Upfirdn2d, "upfirdn2d")                        \
  X(BiasAct, "bias_act")                           \
  X(Demodulation, "demodulation")                  \
  X(MinibatchStddev, "minibatch_stddev")
// clang-format on

enum class OpKind {
#define LS_OP_ENUM(kind, name) kind,
  LAYERSEG_OPS(LS_OP_ENUM)
#undef LS_OP_ENUM
      Count
};
const char* op_name(OpKind k);

// ---- neural-network layers (core/ops_nn.cpp) --------------------------------------------------------------------
// Zero padding of a 2-D window: one int pads both axes; {h, w} pads rows and columns apart (PyTorch's padding=(h, w),
// as Inception-v3's 1×7 convolutions need).
struct Padding {
  int h = 0, w = 0;
  Padding(int both = 0) : h(both), w(both) {}  // implicit, so conv2d(x, w, b, 1, 1) still pads 1
  Padding(int rows, int cols) : h(rows), w(cols) {}
};
// x [N,C,H,W], w [K,C/groups,R,S], b [K] or undefined. Output [N,K,(H+2p.h−R)/s+1,(W+2p.w−S)/s+1].
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, int stride = 1, Padding pad = 0, int groups = 1);
// x [N,C,H,W], w [C,K,R,S] (PyTorch layout), b [K]. Output H' = (H−1)s − 2p + R + output_pad.
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, int stride = 1, int pad = 0,
                        int output_pad = 0);
// x [N,in], w [out,in], b [out] or undefined.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b);
// Training: normalise with the batch's biased variance, update running stats in place with the unbiased variance
// (running = (1 − momentum)·running + momentum·batch). Eval: normalise with the running stats.
Tensor batch_norm2d(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean, Tensor& running_var,
                    bool training, float momentum = 0.1f, float eps = 1e-5f);
// W / σ(W), σ = uᵀ W v from power iteration on W viewed as [rows, rest]. When `update` is set, runs n_iter
// power-iteration steps first and writes the new u back into the buffer (as PyTorch's spectral_norm in training).
// The gradient treats u, v as constants (as PyTorch does).
Tensor spectral_normalize(const Tensor& w, Tensor& u, bool update, int n_iter = 1, float eps = 1e-12f);

// ---- element-wise and broadcasting (core/ops_pointwise.cpp) ----------------------------------------------------
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, float slope = 0.2f);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor softplus(const Tensor& x);
Tensor rsqrt(const Tensor& x);  // 1/√x, for x > 0
// Broadcasting as in NumPy/PyTorch, with shapes right-aligned; each dim equal or 1 in one operand.
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor add_scalar(const Tensor& x, float s);
Tensor mul_scalar(const Tensor& x, float s);

// ---- reductions and shape (core/ops_shape.cpp) -----------------------------------------------------------------
// Over the listed axes (negative counts from the end); all axes when empty. keepdim keeps them as size 1.
Tensor sum(const Tensor& x, const std::vector<int>& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int>& axes = {}, bool keepdim = false);
Tensor reshape(const Tensor& x, const Shape& shape);  // one entry may be −1
Tensor flatten(const Tensor& x);                      // [N, rest]
Tensor concat(const std::vector<Tensor>& xs, int axis = 1);
Tensor slice(const Tensor& x, int axis, int64_t start, int64_t end);  // [start, end) along axis

// ---- resampling (core/ops_nn.cpp) ------------------------------------------------------------------------------
Tensor upsample_nearest2x(const Tensor& x);
Tensor upsample_bilinear2x(const Tensor& x);  // align_corners=false, as F.interpolate(scale_factor=2)
// General k×k pooling, stride s, padding p ≤ k/2 (PyTorch's F.max_pool2d / F.avg_pool2d, floor mode): output
// (H + 2p − k)/s + 1. Max pooling never picks padding (−∞); its gradient goes to each window's first maximum.
// Average pooling divides by k² (count_include_pad) or by the number of in-image taps.
Tensor max_pool2d(const Tensor& x, int kernel, int stride, int pad = 0);
Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int pad = 0, bool count_include_pad = true);

// ---- the layered-GAN ops and losses (core/ops_loss.cpp, core/ops_compose.cpp) ----------------------------------
struct Composite {
  Tensor image;  // (1 − T(π))·x_b + T(π)·T(x_f)       [N,C,H,W]
  Tensor mask;   // T(π)                               [N,1,H,W]
};
// T is given per sample as theta [N,6]: the 2×3 matrix mapping output coordinates to input coordinates in
// normalised [−1,1] space (PyTorch affine_grid convention, align_corners=false); bilinear, zero outside.
// theta gets no gradient. Gradients flow to x_b, x_f, pi.
Composite compose_perturbed(const Tensor& x_b, const Tensor& x_f, const Tensor& pi, const Tensor& theta);

Tensor hinge_d_loss(const Tensor& logits, bool real);  // mean relu(1 − logits) if real, else mean relu(1 + logits)
Tensor hinge_g_loss(const Tensor& logits);             // −mean logits
// logits [N,K], labels [N] of class indices stored as floats (exact integers); mean over N.
Tensor softmax_cross_entropy(const Tensor& logits, const Tensor& labels);
// mean over all elements of −[t log σ(x) + (1 − t) log(1 − σ(x))], stable form; targets get no gradient.
Tensor bce_with_logits(const Tensor& logits, const Tensor& targets);
Tensor binarization_loss(const Tensor& mask);  // mean min(m, 1 − m)
// mean over rows of ½‖c − μ‖² for c, μ [N,D]; c gets no gradient (a sampled code).
Tensor half_squared_distance(const Tensor& c, const Tensor& mu);

// ---- StyleGAN2's layers (core/ops_style.cpp; kernels/cpu/fir.h, kernels/cpu/style.h) -------------------------------
// FIR resampling of x [N,C,H,W] with the separable filter taps ⊗ taps (≤ 8 taps), as kernels/cpu/fir.h: upsample by
// `up`, pad by pad0/pad1, filter × gain, keep every `down`-th. Output (H·up + pad0 + pad1 − k)/down + 1 per axis.
Tensor upfirdn2d(const Tensor& x, const std::vector<float>& taps, int up, int down, int pad0, int pad1,
                 float gain = 1.f);
// gain·lrelu(x + b) per channel (axis 1) of x [N,C,...]; b [C] or undefined; slope 1 is linear. StyleGAN2's
// defaults: slope 0.2, gain √2.
Tensor bias_act(const Tensor& x, const Tensor& b, float slope = 0.2f, float gain = 1.4142135f);
// The demodulation coefficients [N,O] of weight w [O,C,kh,kw] modulated by styles s [N,C]:
// 1/√(Σ_{c,k} (w[o][c][k]·s[n][c])² + eps).
Tensor demodulation(const Tensor& w, const Tensor& s, float eps = 1e-8f);
// StyleGAN2's minibatch-stddev epilogue: x [N,C,H,W] → [N, C + features, H, W], the extra channels holding, for each
// group of min(group, N) consecutive samples and each of `features` channel groups, the mean over channels and pixels
// of the standard deviation across the group. N must divide into groups, C into features.
Tensor minibatch_stddev(const Tensor& x, int group = 4, int features = 1, float eps = 1e-8f);

// ---- conveniences ---------------------------------------------------------------------------------------------
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator+(const Tensor& a, float s) { return add_scalar(a, s); }
inline Tensor operator*(const Tensor& a, float s) { return mul_scalar(a, s); }
inline Tensor operator*(float s, const Tensor& a) { return mul_scalar(a, s); }
inline Tensor operator-(const Tensor& a) { return mul_scalar(a, -1.f); }

}  // namespace ls
