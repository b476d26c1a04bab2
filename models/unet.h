// models/unet.h — the segmentation network F of SPEC §4: a U-Net with {conv3×3, BN, ReLU}×2 per level, max-pool
// down, bilinear ×2 up, skip concatenation, and one output logit per pixel. Depth follows the resolution:
// log2(S/4) downs (3 at 32, 4 at 64); widths double from model.unet_width per level.
// With input_size < S (model.unet_input_size) F first low-passes its input: 2×2 average pools down to input_size
// and bilinear ×2 steps back to S, the path G_b's coarse backgrounds (model.bg_size) take. Detail finer than
// G_b can draw is then a cue F never sees, neither in its synthetic pairs nor in real photos (on the horses at 64,
// dev IoU +0.04 and +0.05 for two seeds; docs/RESULTS.md). No parameters: the low-pass is part of F's forward, so
// training, L_bg and segmenting agree.
//   ls::models::UNet f(cfg.model.unet_width, 32, rng);
//   Tensor logit = f.forward(images);   // [N,3,S,S] in [-1,1] -> [N,1,S,S]; sigmoid(logit) > 0.5 is foreground
#pragma once
#include <memory>
#include <vector>

#include "core/layers.h"

namespace ls::models {

// {conv3×3, BN, ReLU} ×2
class DoubleConv : public Module {
 public:
  DoubleConv(int in, int out, Rng& rng);
  Tensor forward(const Tensor& x);

 private:
  std::shared_ptr<Conv2d> conv1_, conv2_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_;
};

class UNet : public Module {
 public:
  UNet(int width, int size, Rng& rng, int input_size = 0);  // input_size 0 = size
  Tensor forward(const Tensor& x);

 private:
  std::vector<std::shared_ptr<DoubleConv>> down_, up_;  // up_[l] produces level l from level l+1 and skip l
  std::shared_ptr<Conv2d> out_;
  int low_pass_steps_ = 0;  // halvings of the input before F reads it (log2(S / input_size))
};

}  // namespace ls::models
