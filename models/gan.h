// models/gan.h — the layered GAN behind one interface, so an architecture family (SPEC §4: `lite` today,
// `stylegan2` later) is a pair of classes and a line in make_generator / make_critic; the trainer, the apps and the
// tests only see these types.
//   Generator: (z, c) -> background x_b, foreground x_f and the mask π (logit and probability).
//   Critic:    D and E_x on the composite image (shared trunk), and E_π on a mask.
//   auto g = ls::models::make_generator(cfg.model, cfg.data.size, rng);
//   ls::models::Layers l = g->generate(z, c);   // x_b, x_f [N,3,S,S] in [-1,1]; pi [N,1,S,S] in (0,1)
#pragma once
#include <memory>

#include "core/module.h"
#include "core/rng.h"
#include "models/config.h"

namespace ls::models {

struct Layers {
  Tensor x_b;       // background [N,3,S,S], tanh
  Tensor x_f;       // foreground appearance [N,3,S,S], tanh
  Tensor pi_logit;  // mask logit [N,1,S,S]
  Tensor pi;        // sigmoid(pi_logit)
};

struct CriticOutput {
  Tensor d_logit;  // [N,1] real/fake
  Tensor e_x;      // [N,c_dim]: class logits (categorical c) or the predicted mean (normal c)
};

class Generator : public Module {
 public:
  virtual Layers generate(const Tensor& z, const Tensor& c) = 0;  // z [N,z_dim], c [N,c_dim] (one-hot or normal)
  // Weight α in [0, 1] of G_b's full-resolution detail (model.bg_detail_start); the trainer sets it every G step.
  virtual void set_background_detail(float alpha);
};

class Critic : public Module {
 public:
  virtual CriticOutput discriminate(const Tensor& x) = 0;  // x [N,3,S,S]
  virtual Tensor encode_mask(const Tensor& pi) = 0;        // pi [N,1,S,S] -> [N,c_dim]
};

std::shared_ptr<Generator> make_generator(const ModelConfig& m, int size, Rng& rng);
std::shared_ptr<Critic> make_critic(const ModelConfig& m, int size, Rng& rng);

}  // namespace ls::models
