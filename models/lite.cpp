// models/lite.cpp — the `lite` layered GAN of models/lite.h, and the factories of models/gan.h.
#include "models/lite.h"

#include <algorithm>

#include "core/ops.h"
#include "kernels/error.h"

namespace ls::models {
namespace {

constexpr int kMinWidth = 16;  // [choice] the thinnest generator layer, so full resolution keeps some capacity

int doublings(int size) {
  int n = 0;
  for (int s = 4; s < size; s *= 2) ++n;
  LS_CHECK(4 << n == size && n >= 1, "lite: image size {} must be a power of two >= 8", size);
  return n;
}

}  // namespace

UpBlock::UpBlock(int in, int out, Rng& rng) {
  conv_ = register_module("conv", std::make_shared<Conv2d>(in, out, 3, 1, 1, rng, LayerOptions{.bias = false}));
  bn_ = register_module("bn", std::make_shared<BatchNorm2d>(out));
}

Tensor UpBlock::forward(const Tensor& x) { return relu(bn_->forward(conv_->forward(upsample_nearest2x(x)))); }

std::vector<std::shared_ptr<UpBlock>> make_up_blocks(int& width, int doublings, Rng& rng) {
  std::vector<std::shared_ptr<UpBlock>> ups;
  for (int i = 0; i < doublings; ++i) {
    const int next = std::max(width / 2, kMinWidth);
    ups.push_back(std::make_shared<UpBlock>(width, next, rng));
    width = next;
  }
  return ups;
}

GenTrunk::GenTrunk(int in_features, int width, int size, int out_channels, Rng& rng) : width_(width) {
  fc_ = register_module("fc", std::make_shared<Linear>(in_features, width * 16, rng));
  bn_ = register_module("bn", std::make_shared<BatchNorm2d>(width));
  out_width = width;
  ups_ = make_up_blocks(out_width, doublings(size), rng);
  for (size_t i = 0; i < ups_.size(); ++i) register_module("up" + std::to_string(i), ups_[i]);
  out = register_module("out", std::make_shared<Conv2d>(out_width, out_channels, 3, 1, 1, rng));
}

Tensor GenTrunk::features(const Tensor& h) {
  Tensor x = relu(bn_->forward(reshape(fc_->forward(h), {h.size(0), width_, 4, 4})));
  for (auto& up : ups_) x = up->forward(x);
  return x;
}

DetailBranch::DetailBranch(int width, int doublings, Rng& rng) {
  ups_ = make_up_blocks(width, doublings, rng);
  for (size_t i = 0; i < ups_.size(); ++i) register_module("up" + std::to_string(i), ups_[i]);
  out_ = register_module("out", std::make_shared<Conv2d>(width, 3, 3, 1, 1, rng));
}

Tensor DetailBranch::forward(const Tensor& features) {
  Tensor x = features;
  for (auto& up : ups_) x = up->forward(x);
  return out_->forward(x);
}

LiteGenerator::LiteGenerator(const ModelConfig& m, int size, Rng& rng) {
  const int bg_size = m.bg_size ? m.bg_size : size;
  bg_upsamplings_ = doublings(size) - doublings(bg_size);
  gb_ = register_module("gb", std::make_shared<GenTrunk>(m.z_dim, m.g_width, bg_size, 3, rng));
  if (m.bg_detail_start > 0) {
    LS_CHECK(bg_upsamplings_ > 0, "lite: model.bg_detail_start needs model.bg_size ({}) below the image size ({})",
             bg_size, size);
    gb_detail_ = register_module("gb_detail", std::make_shared<DetailBranch>(gb_->out_width, bg_upsamplings_, rng));
    detail_alpha_ = register_buffer("bg_detail_alpha", Tensor::zeros({1}));
  }
  embed_ = register_module("embed", std::make_shared<Linear>(m.c_dim, m.embed_dim, rng));
  gf_ = register_module("gf", std::make_shared<GenTrunk>(m.z_dim + m.embed_dim, m.g_width, size, 4, rng));
  // The mask channel's bias sets the initial coverage: an all-background start leaves E_π nothing to read.
  std::vector<float> b = gf_->out->bias.to_vector();
  b[3] = m.mask_bias;
  gf_->out->bias.copy_from(Tensor::from_vector({4}, b));
}

Layers LiteGenerator::generate(const Tensor& z, const Tensor& c) {
  Layers l;
  const Tensor features = gb_->features(z);
  Tensor b = gb_->out->forward(features);
  for (int i = 0; i < bg_upsamplings_; ++i) b = upsample_bilinear2x(b);
  if (gb_detail_) b = b + gb_detail_->forward(features) * detail_alpha_;
  l.x_b = tanh(b);
  const Tensor f = gf_->forward(concat({z, embed_->forward(c)}, 1));
  l.x_f = tanh(slice(f, 1, 0, 3));
  l.pi_logit = slice(f, 1, 3, 4);
  l.pi = sigmoid(l.pi_logit);
  return l;
}

void LiteGenerator::set_background_detail(float alpha) {
  LS_CHECK(gb_detail_, "lite: this generator has no background detail branch (model.bg_detail_start = 0)");
  LS_CHECK(alpha >= 0.f && alpha <= 1.f, "lite: background detail weight {} outside [0, 1]", alpha);
  detail_alpha_.copy_from(Tensor::full({1}, alpha));
}

DownStack::DownStack(int in_channels, int width, int size, bool spectral_norm, Rng& rng) {
  int c = in_channels;
  for (int i = 0; i < doublings(size); ++i) {
    const int next = width << i;
    convs_.push_back(
        register_module("conv" + std::to_string(i),
                        std::make_shared<Conv2d>(c, next, 4, 2, 1, rng, LayerOptions{.spectral_norm = spectral_norm})));
    c = next;
  }
  out_channels = c;
}

Tensor DownStack::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& conv : convs_) h = leaky_relu(conv->forward(h), 0.2f);
  return h;
}

LiteCritic::LiteCritic(const ModelConfig& m, int size, Rng& rng) {
  const LayerOptions sn{.spectral_norm = m.d_spectral_norm};
  trunk_ = register_module("trunk", std::make_shared<DownStack>(3, m.d_width, size, m.d_spectral_norm, rng));
  const int c = trunk_->out_channels;
  d_head_ = register_module("d_head", std::make_shared<Conv2d>(c, 1, 4, 1, 0, rng, sn));
  // [choice] the E_x conv halves the width: at full width it cost as much as a trunk block.
  e_x_conv_ = register_module("e_x_conv", std::make_shared<Conv2d>(c, c / 2, 3, 1, 1, rng, sn));
  e_x_fc_ = register_module("e_x_fc", std::make_shared<Linear>(c / 2 * 16, m.c_dim, rng, sn));
  e_pi_trunk_ = register_module("e_pi", std::make_shared<DownStack>(1, m.e_pi_width, size, false, rng));
  e_pi_fc_ = register_module("e_pi_fc", std::make_shared<Linear>(e_pi_trunk_->out_channels * 16, m.c_dim, rng));
}

CriticOutput LiteCritic::discriminate(const Tensor& x) {
  const Tensor h = trunk_->forward(x);
  CriticOutput o;
  o.d_logit = reshape(d_head_->forward(h), {x.size(0), 1});
  o.e_x = e_x_fc_->forward(flatten(leaky_relu(e_x_conv_->forward(h), 0.2f)));
  return o;
}

Tensor LiteCritic::encode_mask(const Tensor& pi) {
  // Centred input: a mask in (0, 1) shifted to (−1, 1), like the images D sees.
  return e_pi_fc_->forward(flatten(e_pi_trunk_->forward(add_scalar(mul_scalar(pi, 2.f), -1.f))));
}

}  // namespace ls::models
