// models/unet.cpp — the U-Net of models/unet.h.
#include "models/unet.h"

#include "core/ops.h"
#include "kernels/error.h"

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

UNet::UNet(int width, int size, Rng& rng, int input_size) {
  int levels = 0;
  for (int s = 4; s < size; s *= 2) ++levels;
  LS_CHECK(4 << levels == size && levels >= 1, "unet: image size {} must be a power of two >= 8", size);
  if (input_size == 0) input_size = size;
  for (int s = input_size; s < size; s *= 2) ++low_pass_steps_;
  LS_CHECK(input_size << low_pass_steps_ == size && input_size >= 4,
           "unet: input size {} must be 0 or a power of two from 4 to the image size {}", input_size, size);
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
  for (int i = 0; i < low_pass_steps_; ++i) h = avg_pool2d(h, 2, 2);
  for (int i = 0; i < low_pass_steps_; ++i) h = upsample_bilinear2x(h);
  for (size_t l = 0; l < down_.size(); ++l) {
    if (l > 0) h = max_pool2d(h, 2, 2);
    h = down_[l]->forward(h);
    skips.push_back(h);
  }
  for (size_t l = up_.size(); l-- > 0;) h = up_[l]->forward(concat({upsample_bilinear2x(h), skips[l]}, 1));
  return out_->forward(h);
}

}  // namespace ls::models
