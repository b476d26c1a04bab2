// core/module.h — modules own named parameters, buffers and sub-modules, so checkpoints, optimizers and EMA copies
// address every tensor by a hierarchical name such as "gf.block2.conv.weight".
// Register everything in the constructor, in a fixed order: names and order are the checkpoint's contract.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ls {

class Rng;
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;

  NamedTensors named_parameters() const;  // depth-first, registration order, names joined with '.'
  NamedTensors named_buffers() const;     // batch-norm running stats, spectral-norm u vectors, ...
  std::vector<Tensor> parameters() const;

  // Freezing: a frozen module's parameters do not require grad, yet gradients still flow through it to its inputs
  // (train G through a frozen D; use a frozen U-Net inside the G loss).
  void set_requires_grad(bool on);
  void zero_grad();
  void train(bool on = true);  // batch-norm uses batch stats and spectral norm iterates only in training mode
  bool is_training() const { return training_; }
  void to(Device d);  // moves parameters and buffers in place (do this before building an optimizer)
  int64_t parameter_count() const;

 protected:
  Tensor& register_parameter(const std::string& name, Tensor t);
  Tensor& register_buffer(const std::string& name, Tensor t);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    check_new_name(name);
    children_.emplace_back(name, m);
    return m;
  }

 private:
  void check_new_name(const std::string& name) const;  // unique among this module's parameters, buffers, children
  void collect(const std::string& prefix, NamedTensors& out, bool buffers) const;
  NamedTensors params_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// Eval mode for a scope (batch-norm on running statistics, spectral norm without power iterations); the previous
// mode comes back when the scope ends, also when it throws.
class EvalModeGuard {
 public:
  explicit EvalModeGuard(Module& m) : module_(m), was_training_(m.is_training()) { m.train(false); }
  ~EvalModeGuard() { module_.train(was_training_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  Module& module_;
  bool was_training_;
};

// Initializers, in place, from the engine's Philox RNG (deterministic for a seed).
namespace init {
void normal(Tensor& t, Rng& rng, float std);
void uniform(Tensor& t, Rng& rng, float lo, float hi);
void xavier_uniform(Tensor& t, Rng& rng, float gain = 1.f);  // fan_in/fan_out as PyTorch (dim 1 / dim 0 × kernel)
void kaiming_normal(Tensor& t, Rng& rng, float negative_slope = 0.f);  // fan_in mode
void zeros(Tensor& t);
void constant(Tensor& t, float v);
}  // namespace init

}  // namespace ls
