// core/module.cpp — the Module tree of core/module.h (names, freezing, modes, devices) and the init:: functions.
// Names are the checkpoint's contract, so registration rejects empty, dotted or duplicate names up front rather than
// letting two tensors collide under one checkpoint key later.
#include "core/module.h"

#include <cmath>

#include "core/rng.h"
#include "kernels/error.h"

namespace ls {

void Module::check_new_name(const std::string& name) const {
  LS_CHECK(!name.empty() && name.find('.') == std::string::npos,
           "module: invalid name '{}' (names are non-empty and contain no '.')", name);
  auto taken = [&](const auto& list) {
    for (const auto& entry : list)
      if (entry.first == name) return true;
    return false;
  };
  LS_CHECK(!taken(params_) && !taken(buffers_) && !taken(children_), "module: duplicate name '{}'", name);
}

Tensor& Module::register_parameter(const std::string& name, Tensor t) {
  check_new_name(name);
  LS_CHECK(t.defined(), "module: parameter '{}' is undefined", name);
  t.set_requires_grad(true);
  params_.emplace_back(name, std::move(t));
  return params_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor t) {
  check_new_name(name);
  LS_CHECK(t.defined(), "module: buffer '{}' is undefined", name);
  buffers_.emplace_back(name, std::move(t));
  return buffers_.back().second;
}

void Module::collect(const std::string& prefix, NamedTensors& out, bool buffers) const {
  for (const auto& [name, t] : buffers ? buffers_ : params_) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out, buffers);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", out, false);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", out, true);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

void Module::set_requires_grad(bool on) {
  for (Tensor& t : parameters()) t.set_requires_grad(on);
}

void Module::zero_grad() {
  for (Tensor& t : parameters()) t.zero_grad();
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::to(Device d) {
  // move_to swaps the storage inside the shared TensorImpl, so the handles layers keep as members follow along.
  for (Tensor& t : parameters()) {
    t.move_to(d);
    Tensor g = t.grad();
    if (g.defined()) g.move_to(d);
  }
  for (auto& [name, t] : named_buffers()) t.move_to(d);
}

int64_t Module::parameter_count() const {
  int64_t n = 0;
  for (const Tensor& t : parameters()) n += t.numel();
  return n;
}

namespace init {

// Values are drawn on the host and copied, so an initialisation is identical on every device for a seed.
void normal(Tensor& t, Rng& rng, float std) { t.copy_from(Tensor::normal(t.shape(), rng, 0.f, std)); }

void uniform(Tensor& t, Rng& rng, float lo, float hi) { t.copy_from(Tensor::uniform(t.shape(), rng, lo, hi)); }

// PyTorch's _calculate_fan_in_and_fan_out: fan_in = size(1)·receptive field, fan_out = size(0)·receptive field.
static std::pair<double, double> fans(const Tensor& t) {
  LS_CHECK(t.dim() >= 2, "init: fan in/out needs a tensor with at least 2 dimensions, got shape {}",
           shape_str(t.shape()));
  double receptive = 1;
  for (int d = 2; d < t.dim(); ++d) receptive *= double(t.size(d));
  return {double(t.size(1)) * receptive, double(t.size(0)) * receptive};
}

void xavier_uniform(Tensor& t, Rng& rng, float gain) {
  const auto [fan_in, fan_out] = fans(t);
  const double a = gain * std::sqrt(6.0 / (fan_in + fan_out));  // sqrt(3) · gain · sqrt(2 / (fan_in + fan_out))
  uniform(t, rng, float(-a), float(a));
}

void kaiming_normal(Tensor& t, Rng& rng, float negative_slope) {
  const double gain = std::sqrt(2.0 / (1.0 + double(negative_slope) * negative_slope));  // leaky_relu gain
  normal(t, rng, float(gain / std::sqrt(fans(t).first)));
}

void zeros(Tensor& t) { t.fill_zero(); }

void constant(Tensor& t, float v) { t.copy_from(Tensor::full(t.shape(), v)); }

}  // namespace init
}  // namespace ls
