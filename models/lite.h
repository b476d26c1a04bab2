// models/lite.h — the `lite` family of SPEC §4: a DCGAN-style layered GAN that trains on 2 CPU cores at 32x32.
//   G_b(z):    linear z -> C·4·4, BN, ReLU; per doubling {nearest ×2, conv3×3, BN, ReLU}; conv3×3 -> 3, tanh.
//              With model.bg_size < S the trunk stops at bg_size and bilinear ×2 steps bring it to S before tanh.
//              With model.bg_detail_start as well, a detail branch (UpBlocks from bg_size to S, conv3×3 -> 3) on the
//              trunk's bg_size features is added, times α, before tanh; the trainer ramps α from 0 to 1.
//   G_f(z, c): the same trunk on [z, linear(c) -> embed_dim]; last conv -> 4: RGB (tanh) and the mask logit.
//   D(x):      conv4×4 stride 2 + leaky ReLU(0.2) blocks down to 4×4, spectral norm on every weight; D head
//              conv4×4 -> 1 logit; E_x head conv3×3 (half width) + leaky ReLU + linear -> c_dim on the same 4×4
//              features.
//   E_π(π):    the same block stack on the 1-channel mask (no spectral norm) + linear -> c_dim.
// Width C = model.g_width at 4×4, halving per doubling down to kMinWidth; D doubles from model.d_width.
#pragma once
#include <memory>
#include <vector>

#include "core/layers.h"
#include "models/gan.h"

namespace ls::models {

// {nearest ×2, conv3×3, BN, ReLU}
class UpBlock : public Module {
 public:
  UpBlock(int in, int out, Rng& rng);
  Tensor forward(const Tensor& x);

 private:
  std::shared_ptr<Conv2d> conv_;
  std::shared_ptr<BatchNorm2d> bn_;
};

// `doublings` UpBlocks from `width` channels, halving down to kMinWidth; `width` becomes the last block's channels.
std::vector<std::shared_ptr<UpBlock>> make_up_blocks(int& width, int doublings, Rng& rng);

// linear -> [C,4,4] -> BN, ReLU -> UpBlocks to S×S -> conv3×3 -> out_channels (no activation).
class GenTrunk : public Module {
 public:
  GenTrunk(int in_features, int width, int size, int out_channels, Rng& rng);
  Tensor features(const Tensor& h);  // before `out`: [N, out_width, S, S]
  Tensor forward(const Tensor& h) { return out->forward(features(h)); }
  std::shared_ptr<Conv2d> out;
  int out_width = 0;

 private:
  int width_;
  std::shared_ptr<Linear> fc_;
  std::shared_ptr<BatchNorm2d> bn_;
  std::vector<std::shared_ptr<UpBlock>> ups_;
};

// G_b's full-resolution detail: UpBlocks from the coarse trunk's features to S, conv3×3 -> RGB (no activation).
class DetailBranch : public Module {
 public:
  DetailBranch(int width, int doublings, Rng& rng);
  Tensor forward(const Tensor& features);

 private:
  std::vector<std::shared_ptr<UpBlock>> ups_;
  std::shared_ptr<Conv2d> out_;
};

class LiteGenerator : public Generator {
 public:
  LiteGenerator(const ModelConfig& m, int size, Rng& rng);
  Layers generate(const Tensor& z, const Tensor& c) override;
  void set_background_detail(float alpha) override;

 private:
  std::shared_ptr<GenTrunk> gb_, gf_;
  std::shared_ptr<DetailBranch> gb_detail_;  // only with model.bg_detail_start
  Tensor detail_alpha_;                      // buffer [1] ("bg_detail_alpha"), so a loaded run draws with its α
  std::shared_ptr<Linear> embed_;
  int bg_upsamplings_ = 0;  // bilinear ×2 steps from model.bg_size to S
};

// conv4×4 stride 2 + leaky ReLU, from S×S down to 4×4, widths doubling from `width`.
class DownStack : public Module {
 public:
  DownStack(int in_channels, int width, int size, bool spectral_norm, Rng& rng);
  Tensor forward(const Tensor& x);
  int out_channels = 0;

 private:
  std::vector<std::shared_ptr<Conv2d>> convs_;
};

class LiteCritic : public Critic {
 public:
  LiteCritic(const ModelConfig& m, int size, Rng& rng);
  CriticOutput discriminate(const Tensor& x) override;
  Tensor encode_mask(const Tensor& pi) override;

 private:
  std::shared_ptr<DownStack> trunk_, e_pi_trunk_;
  std::shared_ptr<Conv2d> d_head_, e_x_conv_;
  std::shared_ptr<Linear> e_x_fc_, e_pi_fc_;
};

}  // namespace ls::models
