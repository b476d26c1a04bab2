// models/unet.cpp — the U-Net of models/unet.h.
#include "models/unet.h"

#include "core/error.h"
#include "core/ops.h"

namespace ls::models {

DoubleConv::DoubleConv(int in, int out, Rng& rng) {
  // No conv bias: the batch-norm right after it has its own shift.
  conv1_ = register_module("conv1", std::make_shared<Conv2d>(in, out, 3, 1, 1, rng, LayerOptions{.bias = false}));
  bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(out));
  conv2_ = register_module("conv2", std::make_shared<Conv2d>(out, out, 3, 1, 1, rng, LayerOptions{.bias = false}));
  bn2_ = register_module("bn2", std::make_shared<BatchNorm2d>(out));
}

Tensor DoubleConv::forward(const Tensor& x) {
  return relu(bn2_->forward(conv2_->forward(relu(bn1_->forward(conv1_->forward(x))))));
}

UNet::UNet(int width, int size, Rng& rng) {
  int levels = 0;
  for (int s = 4; s < size; s *= 2) ++levels;
  LS_CHECK(4 << levels == size && levels >= 1, "unet: image size {} must be a power of two >= 8", size);
  for (int l = 0; l <= levels; ++l)
    down_.push_back(register_module("down" + std::to_string(l),
                                    std::make_shared<DoubleConv>(l == 0 ? 3 : width << (l - 1), width << l, rng)));
  for (int l = 0; l < levels; ++l)
    up_.push_back(register_module("up" + std::to_string(l),
                                  std::make_shared<DoubleConv>((width << (l + 1)) + (width << l), width << l, rng)));
  out_ = register_module("out", std::make_shared<Conv2d>(width, 1, 1, 1, 0, rng));
}

Tensor UNet::forward(const Tensor& x) {
  std::vector<Tensor> skips;
  Tensor h = x;
  for (size_t l = 0; l < down_.size(); ++l) {
    if (l > 0) h = max_pool2d(h, 2, 2);
    h = down_[l]->forward(h);
    skips.push_back(h);
  }
  for (size_t l = up_.size(); l-- > 0;) h = up_[l]->forward(concat({upsample_bilinear2x(h), skips[l]}, 1));
  return out_->forward(h);
}

}  // namespace ls::models
