// core/layers.h — the layers the networks are built from: thin modules over core/ops.h.
// Spectral normalization (SNGAN) is an option of Conv2d and Linear: the module keeps the raw weight as
// "weight" and the power-iteration vector as buffer "weight_u", and uses W/σ(W) in forward.
#pragma once
#include "core/module.h"
#include "core/ops.h"

namespace ls {

struct LayerOptions {
  bool bias = true;
  bool spectral_norm = false;
};

class Conv2d : public Module {
 public:
  Conv2d(int in_channels, int out_channels, int kernel, int stride, int pad, Rng& rng, LayerOptions opt = {});
  Tensor forward(const Tensor& x);
  Tensor weight, bias, weight_u;
  int stride, pad;
  bool spectral_norm;
};

class Linear : public Module {
 public:
  Linear(int in_features, int out_features, Rng& rng, LayerOptions opt = {});
  Tensor forward(const Tensor& x);
  Tensor weight, bias, weight_u;
  bool spectral_norm;
};

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int channels, float momentum = 0.1f, float eps = 1e-5f);
  Tensor forward(const Tensor& x);
  Tensor weight, bias, running_mean, running_var;
  float momentum, eps;
};

}  // namespace ls
