// core/tensor.h — the tensor: float32, up to 4-D (NCHW), contiguous, reference-counted storage, a device tag, and
// the autograd fields (requires_grad, grad, the node that produced it).
// Copies of a Tensor share storage and autograd identity (like a shared_ptr); detach() shares storage only.
// dtype is always F32 today; the enum leaves room for bf16/fp16 storage without changing the API.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"

namespace ls {

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);  // "[2, 3, 4]"
int64_t shape_numel(const Shape& s);    // product; 1 for the scalar shape []

enum class DType : uint8_t { F32 };

struct Storage {
  Storage(Device d, size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* ptr = nullptr;
  size_t bytes = 0;
  Device device = Device::CPU;
};

class Rng;
struct Node;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;  // undefined: an absent optional input (a conv without bias, a missing gradient)

  static Tensor empty(const Shape& shape, Device d = Device::CPU);
  static Tensor zeros(const Shape& shape, Device d = Device::CPU);
  static Tensor full(const Shape& shape, float value, Device d = Device::CPU);
  static Tensor scalar(float value, Device d = Device::CPU) { return full({}, value, d); }
  static Tensor from_vector(const Shape& shape, const std::vector<float>& values, Device d = Device::CPU);
  static Tensor uniform(const Shape& shape, Rng& rng, float lo = 0.f, float hi = 1.f, Device d = Device::CPU);
  static Tensor normal(const Shape& shape, Rng& rng, float mean = 0.f, float std = 1.f, Device d = Device::CPU);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int dim() const { return int(shape().size()); }
  int64_t size(int d) const;  // negative d counts from the end
  int64_t numel() const;
  Device device() const;
  bool is_cuda() const { return device() == Device::CUDA; }
  DType dtype() const { return DType::F32; }

  float* data();
  const float* data() const;
  Tensor to(Device d) const;  // a copy on d (shares nothing); same device returns *this
  Tensor clone() const;       // a fresh copy on the same device, no autograd history
  void move_to(Device d);     // in place: every handle sharing this tensor sees the new device (modules' to())
  std::vector<float> to_vector() const;
  float item() const;                 // the value of a one-element tensor
  void copy_from(const Tensor& src);  // same shape; any devices; no autograd
  void fill_zero();

  // Autograd.
  bool requires_grad() const;
  Tensor& set_requires_grad(bool on);
  Tensor grad() const;  // undefined until a backward reaches this leaf
  void set_grad(const Tensor& g);
  void zero_grad();       // drops the gradient
  Tensor detach() const;  // same storage, no history, requires_grad false
  void backward() const;  // from a one-element tensor; accumulates into leaves' grad
  const std::shared_ptr<Node>& grad_fn() const;
  int output_index() const;
  void set_history(std::shared_ptr<Node> node, int output_index);

  bool same_as(const Tensor& other) const { return impl_ == other.impl_; }
  TensorImpl* impl() const { return impl_.get(); }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  int output_index = 0;
};

// Throws "op: shape mismatch: a [..] vs b [..]" naming the op and both shapes.
void check_same_shape(const char* op, const Tensor& a, const Tensor& b);
void check_same_device(const char* op, const Tensor& a, const Tensor& b);
void check_dim(const char* op, const Tensor& t, int dim);

}  // namespace ls
