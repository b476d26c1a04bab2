// core/layers.cpp — Conv2d, Linear and BatchNorm2d (core/layers.h): parameters, buffers, initialisation, forward.
// Initialisation follows PyTorch's defaults for the weights: kaiming_uniform(a = √5), which works out to
// U(−1/√fan_in, 1/√fan_in). Biases start at zero (PyTorch draws them from the same uniform; zero is the common
// GAN/U-Net choice and keeps a fresh layer's output centred). Batch-norm: gamma 1, beta 0, running mean 0, var 1.
// Spectral norm keeps the raw "weight" as the parameter and a buffer "weight_u" (normal, then unit length), and
// forwards W/σ(W); the power iteration advances only in training mode (as torch.nn.utils.spectral_norm).
// Tests: build/layerseg_tests --gtest_filter='OpsNn*'
#include "core/layers.h"

#include <cmath>

#include "core/rng.h"
#include "kernels/error.h"

namespace ls {

// A weight drawn from PyTorch's default U(−1/√fan_in, 1/√fan_in), fan_in = numel / out.
static Tensor default_weight(const Shape& shape, Rng& rng) {
  Tensor w = Tensor::empty(shape);
  const float bound = 1.f / std::sqrt(float(w.numel() / shape[0]));
  init::uniform(w, rng, -bound, bound);
  return w;
}

// The power-iteration vector u [rows]: a random direction (PyTorch draws it normal and normalises it).
static Tensor unit_normal(int64_t rows, Rng& rng) {
  std::vector<float> u(static_cast<size_t>(rows));
  rng.fill_normal(u.data(), u.size());
  double ss = 0;
  for (float a : u) ss += double(a) * a;
  for (float& a : u) a = float(a / std::sqrt(ss));
  return Tensor::from_vector({rows}, u);
}

// The layer's effective weight: W, or W/σ(W) under spectral norm.
static Tensor effective_weight(const Tensor& weight, Tensor& weight_u, bool spectral_norm, bool training) {
  return spectral_norm ? spectral_normalize(weight, weight_u, training) : weight;
}

Conv2d::Conv2d(int in_channels, int out_channels, int kernel, int stride_, int pad_, Rng& rng, LayerOptions opt)
    : stride(stride_), pad(pad_), spectral_norm(opt.spectral_norm) {
  LS_CHECK(in_channels > 0 && out_channels > 0 && kernel > 0, "Conv2d: need positive sizes, got in {} out {} kernel {}",
           in_channels, out_channels, kernel);
  weight = register_parameter("weight", default_weight({out_channels, in_channels, kernel, kernel}, rng));
  if (opt.bias) bias = register_parameter("bias", Tensor::zeros({out_channels}));
  if (spectral_norm) weight_u = register_buffer("weight_u", unit_normal(out_channels, rng));
}

Tensor Conv2d::forward(const Tensor& x) {
  return conv2d(x, effective_weight(weight, weight_u, spectral_norm, is_training()), bias, stride, pad);
}

Linear::Linear(int in_features, int out_features, Rng& rng, LayerOptions opt) : spectral_norm(opt.spectral_norm) {
  LS_CHECK(in_features > 0 && out_features > 0, "Linear: need positive sizes, got in {} out {}", in_features,
           out_features);
  weight = register_parameter("weight", default_weight({out_features, in_features}, rng));
  if (opt.bias) bias = register_parameter("bias", Tensor::zeros({out_features}));
  if (spectral_norm) weight_u = register_buffer("weight_u", unit_normal(out_features, rng));
}

Tensor Linear::forward(const Tensor& x) {
  return linear(x, effective_weight(weight, weight_u, spectral_norm, is_training()), bias);
}

BatchNorm2d::BatchNorm2d(int channels, float momentum_, float eps_) : momentum(momentum_), eps(eps_) {
  LS_CHECK(channels > 0, "BatchNorm2d: need a positive channel count, got {}", channels);
  weight = register_parameter("weight", Tensor::full({channels}, 1.f));
  bias = register_parameter("bias", Tensor::zeros({channels}));
  running_mean = register_buffer("running_mean", Tensor::zeros({channels}));
  running_var = register_buffer("running_var", Tensor::full({channels}, 1.f));
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  return batch_norm2d(x, weight, bias, running_mean, running_var, is_training(), momentum, eps);
}

}  // namespace ls
