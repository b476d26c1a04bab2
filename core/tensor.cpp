// core/tensor.cpp — storage, construction, copies and the accessors of core/tensor.h.
#include "core/tensor.h"

#include <fmt/format.h>

#include "core/autograd.h"
#include "core/rng.h"
#include "kernels/error.h"

namespace ls {

std::string shape_str(const Shape& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

Storage::Storage(Device d, size_t nbytes) : ptr(device_alloc(d, nbytes)), bytes(nbytes), device(d) {}
Storage::~Storage() { device_free(device, ptr); }

Tensor Tensor::empty(const Shape& shape, Device d) {
  LS_CHECK(shape.size() <= 4, "tensors have at most 4 dimensions, got {}", shape_str(shape));
  for (int64_t x : shape) LS_CHECK(x >= 0, "negative dimension in shape {}", shape_str(shape));
  Tensor t;
  t.impl_ = std::make_shared<TensorImpl>();
  t.impl_->shape = shape;
  t.impl_->storage = std::make_shared<Storage>(d, size_t(shape_numel(shape)) * sizeof(float));
  return t;
}

Tensor Tensor::zeros(const Shape& shape, Device d) {
  Tensor t = empty(shape, d);
  t.fill_zero();
  return t;
}

Tensor Tensor::full(const Shape& shape, float value, Device d) {
  return from_vector(shape, std::vector<float>(size_t(shape_numel(shape)), value), d);
}

Tensor Tensor::from_vector(const Shape& shape, const std::vector<float>& values, Device d) {
  LS_CHECK(int64_t(values.size()) == shape_numel(shape), "from_vector: {} values for shape {}", values.size(),
           shape_str(shape));
  Tensor t = empty(shape, d);
  device_copy(t.data(), d, values.data(), Device::CPU, values.size() * sizeof(float));
  return t;
}

Tensor Tensor::uniform(const Shape& shape, Rng& rng, float lo, float hi, Device d) {
  std::vector<float> v(size_t(shape_numel(shape)));
  rng.fill_uniform(v.data(), v.size(), lo, hi);
  return from_vector(shape, v, d);
}

Tensor Tensor::normal(const Shape& shape, Rng& rng, float mean, float std, Device d) {
  std::vector<float> v(size_t(shape_numel(shape)));
  rng.fill_normal(v.data(), v.size(), mean, std);
  return from_vector(shape, v, d);
}

static TensorImpl& need(const std::shared_ptr<TensorImpl>& p) {
  LS_CHECK(p != nullptr, "use of an undefined tensor");
  return *p;
}

const Shape& Tensor::shape() const { return need(impl_).shape; }
int64_t Tensor::numel() const { return shape_numel(shape()); }
Device Tensor::device() const { return need(impl_).storage->device; }

int64_t Tensor::size(int d) const {
  const int n = dim();
  const int k = d < 0 ? d + n : d;
  LS_CHECK(k >= 0 && k < n, "size({}) of a tensor of shape {}", d, shape_str(shape()));
  return shape()[size_t(k)];
}

float* Tensor::data() { return static_cast<float*>(need(impl_).storage->ptr); }
const float* Tensor::data() const { return static_cast<const float*>(need(impl_).storage->ptr); }

Tensor Tensor::to(Device d) const {
  if (d == device()) return *this;
  Tensor t = empty(shape(), d);
  t.copy_from(*this);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape(), device());
  t.copy_from(*this);
  return t;
}

void Tensor::move_to(Device d) {
  if (d == device()) return;
  need(impl_).storage = to(d).impl_->storage;
}

std::vector<float> Tensor::to_vector() const {
  std::vector<float> v(static_cast<size_t>(numel()));
  device_copy(v.data(), Device::CPU, data(), device(), v.size() * sizeof(float));
  return v;
}

float Tensor::item() const {
  LS_CHECK(numel() == 1, "item() of a tensor of shape {}", shape_str(shape()));
  return to_vector()[0];
}

void Tensor::copy_from(const Tensor& src) {
  check_same_shape("copy_from", *this, src);
  device_copy(data(), device(), src.data(), src.device(), size_t(numel()) * sizeof(float));
}

void Tensor::fill_zero() { device_zero(device(), data(), size_t(numel()) * sizeof(float)); }

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }

Tensor& Tensor::set_requires_grad(bool on) {
  LS_CHECK(!on || !need(impl_).grad_fn, "set_requires_grad on a non-leaf tensor (detach() it first)");
  need(impl_).requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return need(impl_).grad; }
void Tensor::set_grad(const Tensor& g) {
  if (g.defined()) check_same_shape("set_grad", *this, g);
  need(impl_).grad = g;
}
void Tensor::zero_grad() { need(impl_).grad = Tensor(); }

Tensor Tensor::detach() const {
  Tensor t;
  t.impl_ = std::make_shared<TensorImpl>();
  t.impl_->storage = need(impl_).storage;
  t.impl_->shape = impl_->shape;
  return t;
}

void Tensor::backward() const { autograd::backward(*this); }
const std::shared_ptr<Node>& Tensor::grad_fn() const { return need(impl_).grad_fn; }
int Tensor::output_index() const { return need(impl_).output_index; }

void Tensor::set_history(std::shared_ptr<Node> node, int index) {
  need(impl_).grad_fn = std::move(node);
  impl_->output_index = index;
  impl_->requires_grad = impl_->grad_fn != nullptr;
}

void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  LS_CHECK(a.shape() == b.shape(), "{}: shape mismatch: {} vs {}", op, shape_str(a.shape()), shape_str(b.shape()));
}

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  LS_CHECK(a.device() == b.device(), "{}: device mismatch: {} vs {}", op, device_name(a.device()),
           device_name(b.device()));
}

void check_dim(const char* op, const Tensor& t, int d) {
  LS_CHECK(t.dim() == d, "{}: expected a {}-D tensor, got shape {}", op, d, shape_str(t.shape()));
}

}  // namespace ls
