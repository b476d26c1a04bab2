// core/optim.h — Adam over named parameters, and the EMA of generator weights.
// The optimizer addresses its state (exp_avg, exp_avg_sq per parameter, and the step count) by parameter name, so
// core/checkpoint.h can save it next to the model and a resumed run continues bit-identically:
//   Adam opt(model.named_parameters(), AdamOptions{/*lr*/ 2e-4f, /*beta1*/ 0.f, /*beta2*/ 0.99f});
//   loss.backward(); opt.step(); opt.zero_grad();
//   save_checkpoint(path, with_prefix("adam_g.", opt.state()), meta);                  // core/checkpoint.h
//   opt.load_state(strip_prefix("adam_g.", load_checkpoint(path).tensors));
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/module.h"

namespace ls {

struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.f;  // L2 added to the gradient, as torch.optim.Adam (not AdamW)
};

class Adam {
 public:
  // The state lives on each parameter's device: move the module (Module::to) before building the optimizer.
  Adam(const NamedTensors& params, AdamOptions opt = {});

  void step();       // one update of every parameter that has a gradient; the others keep their state untouched
  void zero_grad();  // drops every parameter's gradient

  AdamOptions& options() { return opt_; }  // e.g. a learning-rate schedule
  int64_t step_count() const { return steps_; }

  // "<name>.exp_avg", "<name>.exp_avg_sq" per parameter, and "step" (a float scalar: exact up to 2^24 steps).
  // The moment tensors are the live state, not copies: save them, do not modify them.
  NamedTensors state() const;
  // Copies a state() (from any device) back in. Every key must be present with the right shape, and no other key,
  // so an optimizer state from a different model fails loudly instead of resuming silently.
  void load_state(const NamedTensors& state);

 private:
  struct Slot {
    std::string name;
    Tensor param, exp_avg, exp_avg_sq;
  };
  std::vector<Slot> slots_;
  AdamOptions opt_;
  int64_t steps_ = 0;
};

// ema ← decay·ema + (1 − decay)·params, element-wise; both lists have the same names, in the same order, and shapes
// (named_parameters() of two copies of one architecture).
void ema_update(const NamedTensors& ema, const NamedTensors& params, float decay);

}  // namespace ls
