// models/stylegan2.h — the `stylegan2` family of SPEC §4 (model.arch = "stylegan2"), built like StyleGAN2-ADA's
// networks from the ops of core/ops_style.cpp, every width and depth from the config:
//   mapping:   z normalised by its second moment (and for G_f, c → equalised linear → normalised, concatenated), then
//              model.mapping_layers equalised linear layers of model.w_dim with leaky ReLU, learning-rate multiplier
//              model.mapping_lr_mul (0.01); one w for every layer (no style mixing).
//   synthesis: 'skip' architecture: a learned 4×4 constant, per resolution two modulated 3×3 convolutions (the first
//              upsampling ×2 by FIR [1,3,3,1] before it) — activations × style → shared-weight convolution → ×
//              demodulation coefficient → + noise × strength → bias + leaky ReLU with gain √2 — and a modulated 1×1
//              toRGB (no demodulation) added to the FIR-upsampled image of the resolution below. Channels at
//              resolution r: min(model.channel_base / r, model.channel_max). G_b outputs 3 channels, G_f 4 (linear RGB
//              and the mask logit, whose bias starts at model.mask_bias).
//   D:         fromRGB 1×1, residual blocks to 4×4 (3×3 conv; 3×3 conv after a FIR blur, stride 2; skip: FIR ×½ then
//              1×1 without bias; both paths × √½), epilogue: minibatch stddev (group 4, 1 feature) → 3×3 conv →
//              linear → linear to the logit. E_x: a second epilogue on the 4×4 trunk features (3×3 conv → linear →
//              linear to c_dim). E_π: the lite family's conv stack on the mask (SPEC: "as today").
// Equalised learning rate everywhere: weights drawn N(0, 1) (÷ lr_mul) and scaled at run time by lr_mul/√fan_in.
// Noise inputs are drawn per sample from a stream keyed by that sample's z, so a generator is a function of (z, c):
// a data-parallel rank draws its rows' noise exactly as one process does, and a resumed run repeats nothing.
// Resampling order differs from StyleGAN2-ADA's fused paths in one place: the generator upsamples (FIR) before its 3×3
// convolution instead of a transposed convolution followed by the FIR; both are a ×2 resampling then a 3×3 filter.
#pragma once
#include <memory>
#include <vector>

#include "core/layers.h"
#include "models/gan.h"
#include "models/lite.h"

namespace ls::models {

// gain·act(x·W·(lr_mul/√in) + b·lr_mul): StyleGAN2's FullyConnectedLayer.
class EqualizedLinear : public Module {
 public:
  EqualizedLinear(int in, int out, Rng& rng, bool lrelu, float lr_mul = 1.f, float bias_init = 0.f);
  Tensor forward(const Tensor& x);
  Tensor weight, bias;

 private:
  float weight_gain_, bias_gain_, slope_, gain_;
};

// An equalised k×k convolution with bias and optional leaky ReLU (gain √2), optionally halving the resolution first by
// a FIR blur and stride 2 (StyleGAN2-ADA's Conv2dLayer with down = 2).
class EqualizedConv2d : public Module {
 public:
  EqualizedConv2d(int in, int out, int kernel, Rng& rng, bool lrelu, bool bias = true, bool down = false,
                  float gain = 1.f);
  Tensor forward(const Tensor& x);

 private:
  Tensor weight_, bias_;
  int kernel_;
  bool down_;
  float weight_gain_, slope_, gain_;
};

class MappingNetwork : public Module {
 public:
  MappingNetwork(int z_dim, int c_dim, const ModelConfig& m, Rng& rng);  // c_dim 0: no conditioning
  Tensor forward(const Tensor& z, const Tensor& c = Tensor());

 private:
  std::shared_ptr<EqualizedLinear> embed_;
  std::vector<std::shared_ptr<EqualizedLinear>> layers_;
};

// One modulated convolution with its style affine, noise strength and bias (SynthesisLayer; `demodulate` false and a
// 1×1 kernel make the toRGB layer, linear).
class ModulatedConv2d : public Module {
 public:
  ModulatedConv2d(int in, int out, int kernel, int w_dim, bool up, bool demodulate, Rng& rng);
  // noise [N,1,H',W'] at the output's resolution, or undefined for none (toRGB).
  Tensor forward(const Tensor& x, const Tensor& w, const Tensor& noise);
  Tensor& bias() { return bias_; }

 private:
  std::shared_ptr<EqualizedLinear> affine_;
  Tensor weight_, bias_, noise_strength_;
  int kernel_;
  bool up_, demodulate_;
  float weight_gain_;
};

class SynthesisNetwork : public Module {
 public:
  SynthesisNetwork(int size, int out_channels, const ModelConfig& m, Rng& rng);
  // w [N, w_dim]; noise_keys: one key per sample (from its z) seeding its noise maps.
  Tensor forward(const Tensor& w, const std::vector<uint64_t>& noise_keys);
  Tensor& rgb_bias();  // the last toRGB's bias (G_f's mask channel starts at model.mask_bias)

 private:
  struct Block {
    std::shared_ptr<ModulatedConv2d> conv0, conv1, to_rgb;  // conv0 absent at 4×4
    int res;
  };
  Tensor const_;
  std::vector<Block> blocks_;
};

class StyleGan2Generator : public Generator {
 public:
  StyleGan2Generator(const ModelConfig& m, int size, Rng& rng);
  Layers generate(const Tensor& z, const Tensor& c) override;

 private:
  std::shared_ptr<MappingNetwork> map_b_, map_f_;
  std::shared_ptr<SynthesisNetwork> syn_b_, syn_f_;
};

class StyleGan2Critic : public Critic {
 public:
  StyleGan2Critic(const ModelConfig& m, int size, Rng& rng);
  CriticOutput discriminate(const Tensor& x) override;
  Tensor encode_mask(const Tensor& pi) override;

 private:
  struct Block {
    std::shared_ptr<EqualizedConv2d> conv0, conv1, skip;
  };
  std::shared_ptr<EqualizedConv2d> from_rgb_, d_conv_, e_x_conv_;
  std::vector<Block> blocks_;
  std::shared_ptr<EqualizedLinear> d_fc_, d_out_, e_x_fc_, e_x_out_;
  std::shared_ptr<DownStack> e_pi_trunk_;
  std::shared_ptr<Linear> e_pi_fc_;
};

// Channels at resolution r: min(channel_base / r, channel_max).
int stylegan2_channels(const ModelConfig& m, int res);

}  // namespace ls::models
