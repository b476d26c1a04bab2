// models/stylegan2.cpp — the `stylegan2` networks of models/stylegan2.h.
#include "models/stylegan2.h"

#include <cmath>

#include "core/hash.h"
#include "core/ops.h"
#include "kernels/error.h"

namespace ls::models {
namespace {

const std::vector<float> kBlur = {0.125f, 0.375f, 0.375f, 0.125f};  // StyleGAN2's [1,3,3,1], normalised
constexpr float kSqrt2 = 1.41421356f, kSqrtHalf = 0.70710678f;

Tensor upsample2x(const Tensor& x) { return upfirdn2d(x, kBlur, 2, 1, 2, 1, 4.f); }

// x·rsqrt(mean(x²) + 1e-8) over the features of each row.
Tensor normalize_2nd_moment(const Tensor& x) { return x * rsqrt(add_scalar(mean(x * x, {1}, true), 1e-8f)); }

int log2_exact(int size, const char* what) {
  int k = 0;
  while ((4 << k) < size) ++k;
  LS_CHECK((4 << k) == size, "stylegan2: {} {} is not a power of two ≥ 4", what, size);
  return k;
}

// One key per sample: the hash of its row of z (salted per generator), which seeds its noise maps.
std::vector<uint64_t> noise_keys(const std::vector<float>& z, int64_t n, uint64_t salt) {
  const int64_t d = int64_t(z.size()) / std::max<int64_t>(1, n);
  std::vector<uint64_t> keys;
  for (int64_t i = 0; i < n; ++i) keys.push_back(hash_floats(z.data() + i * d, d, salt));
  return keys;
}

// Sample n's noise map for layer `layer` at res×res: N(0, 1) from a stream keyed by (its key, the layer).
Tensor noise_maps(const std::vector<uint64_t>& keys, int layer, int res, Device dev) {
  std::vector<float> v(keys.size() * size_t(res) * res);
  for (size_t n = 0; n < keys.size(); ++n) {
    Rng rng(keys[n] + 0x9E3779B97F4A7C15ull * uint64_t(layer + 1));
    rng.fill_normal(v.data() + n * size_t(res) * res, uint64_t(res) * res);
  }
  return Tensor::from_vector({int64_t(keys.size()), 1, res, res}, v, dev);
}

}  // namespace

int stylegan2_channels(const ModelConfig& m, int res) { return std::min(m.channel_base / res, m.channel_max); }

EqualizedLinear::EqualizedLinear(int in, int out, Rng& rng, bool lrelu, float lr_mul, float bias_init)
    : weight_gain_(lr_mul / std::sqrt(float(in))),
      bias_gain_(lr_mul),
      slope_(lrelu ? 0.2f : 1.f),
      gain_(lrelu ? kSqrt2 : 1.f) {
  weight = register_parameter("weight", mul_scalar(Tensor::normal({out, in}, rng), 1.f / lr_mul));
  bias = register_parameter("bias", Tensor::full({out}, bias_init));
}

Tensor EqualizedLinear::forward(const Tensor& x) {
  return bias_act(linear(x, weight * weight_gain_, Tensor()), bias * bias_gain_, slope_, gain_);
}

EqualizedConv2d::EqualizedConv2d(int in, int out, int kernel, Rng& rng, bool lrelu, bool bias, bool down, float gain)
    : kernel_(kernel),
      down_(down),
      weight_gain_(1.f / std::sqrt(float(in * kernel * kernel))),
      slope_(lrelu ? 0.2f : 1.f),
      gain_(gain * (lrelu ? kSqrt2 : 1.f)) {
  weight_ = register_parameter("weight", Tensor::normal({out, in, kernel, kernel}, rng));
  if (bias) bias_ = register_parameter("bias", Tensor::zeros({out}));
}

Tensor EqualizedConv2d::forward(const Tensor& x) {
  const Tensor w = weight_ * weight_gain_;
  Tensor y;
  if (!down_)
    y = conv2d(x, w, Tensor(), 1, kernel_ / 2);
  else if (kernel_ == 1)  // FIR ×½, then the 1×1 convolution
    y = conv2d(upfirdn2d(x, kBlur, 1, 2, 1, 1), w, Tensor());
  else  // FIR blur padded for the kernel, then the convolution with stride 2 (StyleGAN2-ADA's conv2d_resample)
    y = conv2d(upfirdn2d(x, kBlur, 1, 1, 2, 2), w, Tensor(), 2, 0);
  return bias_act(y, bias_, slope_, gain_);
}

MappingNetwork::MappingNetwork(int z_dim, int c_dim, const ModelConfig& m, Rng& rng) {
  int in = z_dim;
  if (c_dim > 0) {
    embed_ = register_module("embed", std::make_shared<EqualizedLinear>(c_dim, m.w_dim, rng, false));
    in += m.w_dim;
  }
  for (int i = 0; i < m.mapping_layers; ++i) {
    layers_.push_back(register_module("fc" + std::to_string(i),
                                      std::make_shared<EqualizedLinear>(in, m.w_dim, rng, true, m.mapping_lr_mul)));
    in = m.w_dim;
  }
}

Tensor MappingNetwork::forward(const Tensor& z, const Tensor& c) {
  Tensor x = normalize_2nd_moment(z);
  if (embed_) x = concat({x, normalize_2nd_moment(embed_->forward(c))}, 1);
  for (auto& layer : layers_) x = layer->forward(x);
  return x;
}

ModulatedConv2d::ModulatedConv2d(int in, int out, int kernel, int w_dim, bool up, bool demodulate, Rng& rng)
    : kernel_(kernel), up_(up), demodulate_(demodulate), weight_gain_(1.f / std::sqrt(float(in * kernel * kernel))) {
  affine_ = register_module("affine", std::make_shared<EqualizedLinear>(w_dim, in, rng, false, 1.f, 1.f));
  weight_ = register_parameter("weight", Tensor::normal({out, in, kernel, kernel}, rng));
  bias_ = register_parameter("bias", Tensor::zeros({out}));
  if (demodulate) noise_strength_ = register_parameter("noise_strength", Tensor::zeros({1}));
}

Tensor ModulatedConv2d::forward(const Tensor& x, const Tensor& w, const Tensor& noise) {
  const int64_t n = x.size(0), in = x.size(1), out = weight_.size(0);
  const Tensor styles = affine_->forward(w);  // [N, in]
  const Tensor weight = weight_ * weight_gain_;
  // Modulating the input channels is modulating the weight's (both are per (sample, input channel)), and commutes
  // with the per-channel FIR upsampling.
  Tensor h = x * reshape(styles, {n, in, 1, 1});
  if (up_) h = upsample2x(h);
  Tensor y = conv2d(h, weight, Tensor(), 1, kernel_ / 2);
  if (demodulate_) y = y * reshape(demodulation(weight, styles), {n, out, 1, 1});
  if (noise.defined()) y = y + noise * noise_strength_;
  return demodulate_ ? bias_act(y, bias_) : bias_act(y, bias_, 1.f, 1.f);
}

SynthesisNetwork::SynthesisNetwork(int size, int out_channels, const ModelConfig& m, Rng& rng) {
  const int levels = log2_exact(size, "data.size");
  const int c4 = stylegan2_channels(m, 4);
  const_ = register_parameter("const", Tensor::normal({c4, 4, 4}, rng));
  int in = c4;
  for (int k = 0; k <= levels; ++k) {
    const int res = 4 << k, ch = stylegan2_channels(m, res);
    const std::string name = "b" + std::to_string(res);
    Block b;
    b.res = res;
    if (k > 0)
      b.conv0 =
          register_module(name + "_conv0", std::make_shared<ModulatedConv2d>(in, ch, 3, m.w_dim, true, true, rng));
    b.conv1 = register_module(name + "_conv1", std::make_shared<ModulatedConv2d>(ch, ch, 3, m.w_dim, false, true, rng));
    b.to_rgb = register_module(name + "_torgb",
                               std::make_shared<ModulatedConv2d>(ch, out_channels, 1, m.w_dim, false, false, rng));
    blocks_.push_back(b);
    in = ch;
  }
}

Tensor SynthesisNetwork::forward(const Tensor& w, const std::vector<uint64_t>& keys) {
  const int64_t n = w.size(0);
  const Device dev = w.device();
  Tensor x = reshape(const_, {1, const_.size(0), 4, 4}) + Tensor::zeros({n, const_.size(0), 4, 4}, dev);
  Tensor img;
  int layer = 0;
  for (const Block& b : blocks_) {
    if (b.conv0) x = b.conv0->forward(x, w, noise_maps(keys, layer++, b.res, dev));
    x = b.conv1->forward(x, w, noise_maps(keys, layer++, b.res, dev));
    const Tensor rgb = b.to_rgb->forward(x, w, Tensor());
    img = img.defined() ? upsample2x(img) + rgb : rgb;
  }
  return img;
}

Tensor& SynthesisNetwork::rgb_bias() { return blocks_.back().to_rgb->bias(); }

StyleGan2Generator::StyleGan2Generator(const ModelConfig& m, int size, Rng& rng) {
  map_b_ = register_module("map_b", std::make_shared<MappingNetwork>(m.z_dim, 0, m, rng));
  syn_b_ = register_module("syn_b", std::make_shared<SynthesisNetwork>(size, 3, m, rng));
  map_f_ = register_module("map_f", std::make_shared<MappingNetwork>(m.z_dim, m.c_dim, m, rng));
  syn_f_ = register_module("syn_f", std::make_shared<SynthesisNetwork>(size, 4, m, rng));
  // The mask logit starts at mask_bias: coverage near sigmoid(mask_bias), as the lite family.
  std::vector<float> b = syn_f_->rgb_bias().to_vector();
  b[3] = m.mask_bias;
  syn_f_->rgb_bias().copy_from(Tensor::from_vector({4}, b));
}

Layers StyleGan2Generator::generate(const Tensor& z, const Tensor& c) {
  Layers l;
  const std::vector<float> z_host = z.to_vector();  // one copy (one device sync) keys both generators' noise
  l.x_b = syn_b_->forward(map_b_->forward(z), noise_keys(z_host, z.size(0), 0xB));
  const Tensor f = syn_f_->forward(map_f_->forward(z, c), noise_keys(z_host, z.size(0), 0xF));
  l.x_f = slice(f, 1, 0, 3);
  l.pi_logit = slice(f, 1, 3, 4);
  l.pi = sigmoid(l.pi_logit);
  return l;
}

StyleGan2Critic::StyleGan2Critic(const ModelConfig& m, int size, Rng& rng) {
  const int levels = log2_exact(size, "data.size");
  from_rgb_ =
      register_module("fromrgb", std::make_shared<EqualizedConv2d>(3, stylegan2_channels(m, size), 1, rng, true));
  for (int k = levels; k > 0; --k) {
    const int res = 4 << k, in = stylegan2_channels(m, res), out = stylegan2_channels(m, res / 2);
    const std::string name = "b" + std::to_string(res);
    Block b;
    b.conv0 = register_module(name + "_conv0", std::make_shared<EqualizedConv2d>(in, in, 3, rng, true));
    b.conv1 = register_module(name + "_conv1",
                              std::make_shared<EqualizedConv2d>(in, out, 3, rng, true, true, true, kSqrtHalf));
    b.skip = register_module(name + "_skip",
                             std::make_shared<EqualizedConv2d>(in, out, 1, rng, false, false, true, kSqrtHalf));
    blocks_.push_back(b);
  }
  const int c4 = stylegan2_channels(m, 4);
  d_conv_ = register_module("epilogue_conv", std::make_shared<EqualizedConv2d>(c4 + 1, c4, 3, rng, true));
  d_fc_ = register_module("epilogue_fc", std::make_shared<EqualizedLinear>(c4 * 16, c4, rng, true));
  d_out_ = register_module("epilogue_out", std::make_shared<EqualizedLinear>(c4, 1, rng, false));
  e_x_conv_ = register_module("e_x_conv", std::make_shared<EqualizedConv2d>(c4, c4, 3, rng, true));
  e_x_fc_ = register_module("e_x_fc", std::make_shared<EqualizedLinear>(c4 * 16, c4, rng, true));
  e_x_out_ = register_module("e_x_out", std::make_shared<EqualizedLinear>(c4, m.c_dim, rng, false));
  e_pi_trunk_ = register_module("e_pi", std::make_shared<DownStack>(1, m.e_pi_width, size, false, rng));
  e_pi_fc_ = register_module("e_pi_fc", std::make_shared<Linear>(e_pi_trunk_->out_channels * 16, m.c_dim, rng));
}

CriticOutput StyleGan2Critic::discriminate(const Tensor& x) {
  Tensor h = from_rgb_->forward(x);
  for (const Block& b : blocks_) h = b.skip->forward(h) + b.conv1->forward(b.conv0->forward(h));
  // Groups of up to 4 consecutive samples: the largest size ≤ 4 that divides the batch (the trainer's [real; fake]
  // batch halves are multiples of 4 for this family, so no group mixes the two).
  const int64_t n = x.size(0);
  const int group = n % 4 == 0 ? 4 : n % 2 == 0 ? 2 : 1;
  CriticOutput o;
  o.d_logit = d_out_->forward(d_fc_->forward(flatten(d_conv_->forward(minibatch_stddev(h, group, 1)))));
  o.e_x = e_x_out_->forward(e_x_fc_->forward(flatten(e_x_conv_->forward(h))));
  return o;
}

Tensor StyleGan2Critic::encode_mask(const Tensor& pi) {
  return e_pi_fc_->forward(flatten(e_pi_trunk_->forward(add_scalar(mul_scalar(pi, 2.f), -1.f))));
}

}  // namespace ls::models
