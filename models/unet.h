// models/unet.h — the segmentation network F of SPEC §4: a U-Net with {conv3×3, BN, ReLU}×2 per level, max-pool
// down, bilinear ×2 up, skip concatenation, and one output logit per pixel. Depth follows the resolution:
// log2(S/4) downs (3 at 32, 4 at 64); widths double from model.unet_width per level.
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
  UNet(int width, int size, Rng& rng);
  Tensor forward(const Tensor& x);

 private:
  std::vector<std::shared_ptr<DoubleConv>> down_, up_;  // up_[l] produces level l from level l+1 and skip l
  std::shared_ptr<Conv2d> out_;
};

}  // namespace ls::models
