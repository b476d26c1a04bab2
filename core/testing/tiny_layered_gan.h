// core/testing/tiny_layered_gan.h — a layered GAN shrunk to 8×8 images, built from core/layers.h and core/ops.h
// alone, with the two backward passes of SPEC §2 (the D step and the G step). It is the workload of the CPU-vs-CUDA
// training-step test (tests/test_cuda_train_step.cpp: layerseg_tests --gtest_filter='CudaTrainStep*') and of the
// steady-state training step of `layerseg bench --device cuda` (apps/cmd_bench_cuda.cpp).
//   TinyLayeredGan gan(TinyGanSizes{}, rng);  gan.to(Device::CUDA);
//   Adam opt_d(gan.discriminator_parameters(), tiny_gan_adam()), opt_g(gan.generator_parameters(), tiny_gan_adam());
//   const TinyGanBatch b = TinyGanBatch::sample(sizes, data).to(Device::CUDA);
//   opt_d.zero_grad(); gan.d_backward(b); opt_d.step();   opt_g.zero_grad(); gan.g_backward(b); opt_g.step();
// Why here: a test and an app both need it, and tests/ is not visible to apps/; it needs nothing but the core
// library, so it compiles in CPU-only builds; header-only, so it adds nothing to the library itself. It is not in
// models/ on purpose: it checks the engine (ops, kernels, modules, Adam) on a layered-GAN-shaped graph with fixed
// tiny sizes, independent of the real models and their tuning.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/layers.h"
#include "core/ops.h"
#include "core/optim.h"
#include "core/perturb.h"
#include "core/rng.h"

namespace ls::fixtures {

struct TinyGanSizes {
  int batch = 4;  // batch-norm needs more than one sample
  int z_dim = 8;
  int codes = 3;   // K, the categorical code's classes
  int width = 16;  // generator channels at 4×4 (halved at 8×8), discriminator channels at 4×4
};

// The loss weights of SPEC §2 (γ_mi, γ_b, γ_bg) and the `lite` Adam settings of SPEC §5.
constexpr float kTinyGammaMi = 1.f, kTinyGammaB = 2.f, kTinyGammaBg = 1.f;
inline AdamOptions tiny_gan_adam() { return AdamOptions{/*lr*/ 2e-4f, /*beta1*/ 0.5f, /*beta2*/ 0.999f}; }

// One step's inputs, drawn on the CPU so that every device sees the same numbers.
struct TinyGanBatch {
  Tensor real;   // [N,3,8,8] in [−1,1] (noise: the graph, not the data, is what is being exercised)
  Tensor z;      // [N,z_dim] standard normal
  Tensor code;   // [N,K] one-hot
  Tensor label;  // [N] the code's class index, as a float
  Tensor theta;  // [N,6] the perturbation T

  static TinyGanBatch sample(const TinyGanSizes& s, Rng& rng) {
    std::vector<float> code(size_t(s.batch) * size_t(s.codes), 0.f), label(size_t(s.batch));
    for (int i = 0; i < s.batch; ++i) {
      label[size_t(i)] = float(rng.randint(s.codes));
      code[size_t(i) * size_t(s.codes) + size_t(label[size_t(i)])] = 1.f;
    }
    return {Tensor::uniform({s.batch, 3, 8, 8}, rng, -1.f, 1.f), Tensor::normal({s.batch, s.z_dim}, rng),
            Tensor::from_vector({s.batch, s.codes}, code), Tensor::from_vector({s.batch}, label),
            perturbation_theta(rng, s.batch)};
  }
  TinyGanBatch to(Device d) const { return {real.to(d), z.to(d), code.to(d), label.to(d), theta.to(d)}; }
};

// The lite generator trunk of SPEC §4 with one doubling: linear → [C,4,4] → nearest ×2 → conv3×3 → batch-norm → ReLU
// → conv3×3 → `out` raw channels (the caller applies tanh / sigmoid).
class TinyGenerator : public Module {
 public:
  TinyGenerator(int in, int width, int out, Rng& rng) : width_(width) {
    fc = register_module("fc", std::make_shared<Linear>(in, width * 16, rng));
    // No bias before batch-norm: it would be removed by the normalisation, and its gradient, zero in exact
    // arithmetic, would be rounding noise that the Adam step (≈ lr·sign(g) on a first step) turns into ±lr.
    conv = register_module("conv", std::make_shared<Conv2d>(width, width / 2, 3, 1, 1, rng, LayerOptions{false}));
    bn = register_module("bn", std::make_shared<BatchNorm2d>(width / 2));
    head = register_module("head", std::make_shared<Conv2d>(width / 2, out, 3, 1, 1, rng));
  }
  Tensor forward(const Tensor& in) {
    const Tensor h = reshape(fc->forward(in), {in.size(0), width_, 4, 4});
    return head->forward(relu(bn->forward(conv->forward(upsample_nearest2x(h)))));
  }
  std::shared_ptr<Linear> fc;
  std::shared_ptr<Conv2d> conv, head;
  std::shared_ptr<BatchNorm2d> bn;

 private:
  int width_;
};

// conv4×4 stride 2 (8×8 → 4×4) + leaky ReLU(0.2), flattened, then a linear head. D (`heads` = 1, the real/fake logit)
// and E_x (`heads` = K) share the trunk in TinyDiscriminator; E_π is one of these on the 1-channel mask.
struct TinyEncoderOut {
  Tensor logit, code_logits;
};

class TinyDiscriminator : public Module {
 public:
  TinyDiscriminator(int in, int width, int codes, bool with_d_head, bool spectral_norm, Rng& rng) {
    const LayerOptions opt{/*bias*/ true, spectral_norm};
    trunk = register_module("trunk", std::make_shared<Conv2d>(in, width, 4, 2, 1, rng, opt));
    if (with_d_head) d_head = register_module("d_head", std::make_shared<Linear>(width * 16, 1, rng, opt));
    e_head = register_module("e_head", std::make_shared<Linear>(width * 16, codes, rng, opt));
  }
  TinyEncoderOut forward(const Tensor& x) {
    const Tensor h = flatten(leaky_relu(trunk->forward(x), 0.2f));
    return {d_head ? d_head->forward(h) : Tensor(), e_head->forward(h)};
  }
  std::shared_ptr<Conv2d> trunk;
  std::shared_ptr<Linear> d_head, e_head;
};

// The frozen segmenter F of L_bg: conv3×3 → ReLU → conv3×3 → one logit per pixel.
class TinySegmenter : public Module {
 public:
  TinySegmenter(int width, Rng& rng) {
    conv = register_module("conv", std::make_shared<Conv2d>(3, width, 3, 1, 1, rng));
    head = register_module("head", std::make_shared<Conv2d>(width, 1, 3, 1, 1, rng));
  }
  Tensor forward(const Tensor& x) { return head->forward(relu(conv->forward(x))); }
  std::shared_ptr<Conv2d> conv, head;
};

// Every loss of one step, each a scalar tensor on the model's device; `total` is what was backpropagated.
struct TinyGanLosses {
  std::vector<std::pair<std::string, Tensor>> parts;
  Tensor total;
};

class TinyLayeredGan : public Module {
 public:
  TinyLayeredGan(const TinyGanSizes& s, Rng& rng) {
    gb = register_module("gb", std::make_shared<TinyGenerator>(s.z_dim, s.width, 3, rng));
    gf = register_module("gf", std::make_shared<TinyGenerator>(s.z_dim + s.codes, s.width, 4, rng));
    // Spectral norm on every weight of D and E_x (SPEC §4); E_π is a plain encoder.
    d = register_module("d", std::make_shared<TinyDiscriminator>(3, s.width, s.codes, true, true, rng));
    e_pi = register_module("e_pi", std::make_shared<TinyDiscriminator>(1, s.width, s.codes, false, false, rng));
    f = register_module("f", std::make_shared<TinySegmenter>(s.width / 2, rng));
    f->set_requires_grad(false);  // F is trained elsewhere; here it only regularises G_b (SPEC §2, L_bg)
  }

  NamedTensors generator_parameters() const { return select({"gb.", "gf."}); }
  NamedTensors discriminator_parameters() const { return select({"d.", "e_pi."}); }  // D, E_x and E_π

  // x = (1 − T(π))·x_b + T(π)·T(x_f) with x_b = tanh G_b(z), [x_f, π logit] = G_f(z, c).
  struct Generated {
    Tensor x_b;
    Composite composite;
  };
  Generated generate(const TinyGanBatch& b) {
    const Tensor x_b = tanh(gb->forward(b.z)), fg = gf->forward(concat({b.z, b.code}, 1));
    return {x_b, compose_perturbed(x_b, tanh(slice(fg, 1, 0, 3)), sigmoid(slice(fg, 1, 3, 4)), b.theta)};
  }

  // D step: L_adv^D + γ_mi·L_mi on a composite generated without a graph (G is not updated by this step); gradients
  // reach D, E_x and E_π.
  TinyGanLosses d_backward(const TinyGanBatch& b) {
    Generated fake;
    {
      autograd::NoGradGuard no_grad;
      fake = generate(b);
    }
    const TinyEncoderOut on_real = d->forward(b.real), on_fake = d->forward(fake.composite.image);
    const Tensor adv = hinge_d_loss(on_real.logit, true) + hinge_d_loss(on_fake.logit, false);
    const Tensor mi = mutual_information(on_fake, fake.composite.mask, b.label);
    return backward({{"d_adv", adv}, {"d_mi", mi}}, adv + kTinyGammaMi * mi);
  }

  // G step: L_adv^G + γ_mi·L_mi + γ_b·L_b + γ_bg·L_bg, with D and E_π frozen so that only G_b and G_f get gradients.
  TinyGanLosses g_backward(const TinyGanBatch& b) {
    d->set_requires_grad(false);
    e_pi->set_requires_grad(false);
    const Generated g = generate(b);
    const TinyEncoderOut on_fake = d->forward(g.composite.image);
    const Tensor adv = hinge_g_loss(on_fake.logit);
    const Tensor mi = mutual_information(on_fake, g.composite.mask, b.label);
    const Tensor bin = binarization_loss(g.composite.mask);
    // L_bg = mean −log(1 − σ(F(x_b))): BCE of F's logits against an all-background target.
    const Tensor logits = f->forward(g.x_b);
    const Tensor bg = bce_with_logits(logits, Tensor::zeros(logits.shape(), logits.device()));
    TinyGanLosses out = backward({{"g_adv", adv}, {"g_mi", mi}, {"g_bin", bin}, {"g_bg", bg}},
                                 adv + kTinyGammaMi * mi + kTinyGammaB * bin + kTinyGammaBg * bg);
    d->set_requires_grad(true);
    e_pi->set_requires_grad(true);
    return out;
  }

  std::shared_ptr<TinyGenerator> gb, gf;
  std::shared_ptr<TinyDiscriminator> d, e_pi;
  std::shared_ptr<TinySegmenter> f;

 private:
  // L_mi = NLL(c | E_x(x̃)) + NLL(c | E_π(T(π))), softmax cross-entropy against the sampled class.
  Tensor mutual_information(const TinyEncoderOut& on_image, const Tensor& mask, const Tensor& label) {
    return softmax_cross_entropy(on_image.code_logits, label) +
           softmax_cross_entropy(e_pi->forward(mask).code_logits, label);
  }
  static TinyGanLosses backward(std::vector<std::pair<std::string, Tensor>> parts, const Tensor& total) {
    total.backward();
    parts.emplace_back("total", total);
    return {std::move(parts), total};
  }
  NamedTensors select(const std::vector<std::string>& prefixes) const {
    NamedTensors out;
    for (auto& [name, t] : named_parameters())
      for (const std::string& p : prefixes)
        if (name.compare(0, p.size(), p) == 0) out.emplace_back(name, t);
    return out;
  }
};

}  // namespace ls::fixtures
