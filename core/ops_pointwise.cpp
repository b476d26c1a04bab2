// core/ops_pointwise.cpp — the element-wise ops of core/ops.h: activations, the broadcasting binary ops, and the
// scalar ops. Kernels: kernels/cpu/pointwise.h, the gradient fold-back onto broadcast operands: kernels/cpu/reduce.h.
// Broadcasting follows NumPy/PyTorch: shapes right-aligned, each dim equal or 1 in one operand; the gradient of a
// broadcast operand is the output gradient summed over the dims it was stretched along.
// Tests: build/layerseg_tests --gtest_filter='OpsPointwise*:*GradCheck*'
#include "core/autograd.h"
#include "core/dispatch.h"
#include "kernels/cpu/pointwise.h"
#include "kernels/cpu/reduce.h"
#include "kernels/error.h"
#ifdef LAYERSEG_WITH_CUDA
#include "kernels/cuda/pointwise.h"
#include "kernels/cuda/reduce.h"
#endif

namespace ls {

// ---- activations ----------------------------------------------------------------------------------------------

static Tensor activation(OpKind kind, Activation f, const Tensor& x, float slope = 0.f) {
  Tensor y = Tensor::empty(x.shape(), x.device());
  LS_DISPATCH(x.device(), activation_forward, f, x.data(), y.data(), x.numel(), slope);
  // Tanh, Sigmoid and Rsqrt differentiate through their output; the others through their input.
  const bool from_output = f == Activation::Tanh || f == Activation::Sigmoid || f == Activation::Rsqrt;
  const Tensor saved = from_output ? y.detach() : x;
  autograd::record(kind, {x}, {y}, [f, saved, from_output, slope](const TensorList& g) -> TensorList {
    Tensor gx = Tensor::empty(saved.shape(), saved.device());
    LS_DISPATCH(saved.device(), activation_backward, f, from_output ? nullptr : saved.data(),
                from_output ? saved.data() : nullptr, g[0].data(), gx.data(), saved.numel(), slope);
    return {gx};
  });
  return y;
}

Tensor relu(const Tensor& x) { return activation(OpKind::Relu, Activation::Relu, x); }
Tensor leaky_relu(const Tensor& x, float slope) {
  return activation(OpKind::LeakyRelu, Activation::LeakyRelu, x, slope);
}
Tensor tanh(const Tensor& x) { return activation(OpKind::Tanh, Activation::Tanh, x); }
Tensor sigmoid(const Tensor& x) { return activation(OpKind::Sigmoid, Activation::Sigmoid, x); }
Tensor softplus(const Tensor& x) { return activation(OpKind::Softplus, Activation::Softplus, x); }
Tensor rsqrt(const Tensor& x) { return activation(OpKind::Rsqrt, Activation::Rsqrt, x); }

// ---- broadcasting binary ops ------------------------------------------------------------------------------------

static Dims4 right_aligned(const Shape& s) {
  Dims4 d{{1, 1, 1, 1}};
  for (size_t k = 0; k < s.size(); ++k) d.d[4 - s.size() + k] = s[k];
  return d;
}

// Element strides of `s` along the four right-aligned output dims; 0 where s has size 1 (broadcast).
static Dims4 broadcast_strides(const Shape& s, const Dims4& out) {
  const Dims4 d = right_aligned(s);
  Dims4 st{};
  int64_t stride = 1;
  for (int k = 3; k >= 0; --k) {
    st.d[k] = (d.d[k] == 1 && out.d[k] != 1) ? 0 : stride;
    stride *= d.d[k];
  }
  return st;
}

// Output-shaped gradient g_full folded back onto an operand of shape s: summed over the dims s broadcasts along.
static Tensor sum_to_shape(const Tensor& g_full, const Shape& s) {
  const Dims4 out = right_aligned(g_full.shape()), d = right_aligned(s);
  unsigned mask = 0;
  for (int k = 0; k < 4; ++k)
    if (d.d[k] != out.d[k]) mask |= 1u << k;
  if (mask == 0) return reshape(g_full, s);  // same numel and order: a view
  Tensor r = Tensor::empty(s, g_full.device());
  LS_DISPATCH(g_full.device(), reduce_sum, g_full.data(), r.data(), out, mask, 1.f);
  return r;
}

static Tensor binary(OpKind kind, BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  check_same_device(name, a, b);
  const Shape &sa = a.shape(), &sb = b.shape();
  const size_t rank = std::max(sa.size(), sb.size());
  Shape out(rank);
  for (size_t k = 0; k < rank; ++k) {
    // Right-aligned: dim k of the output meets dim k − (rank − size) of each operand, 1 where it has none.
    const int64_t da = k + sa.size() >= rank ? sa[k + sa.size() - rank] : 1;
    const int64_t db = k + sb.size() >= rank ? sb[k + sb.size() - rank] : 1;
    LS_CHECK(da == db || da == 1 || db == 1, "{}: shapes {} and {} do not broadcast", name, shape_str(sa),
             shape_str(sb));
    out[k] = da == 1 ? db : da;
  }
  Tensor y = Tensor::empty(out, a.device());
  const Dims4 od = right_aligned(out);
  const Broadcast4 bc{od, broadcast_strides(sa, od), broadcast_strides(sb, od)};
  LS_DISPATCH(a.device(), binary_forward, op, a.data(), b.data(), y.data(), bc);
  // Only Mul and Div read the operands in their backward; Add and Sub keep nothing alive.
  const bool keep = op == BinaryOp::Mul || op == BinaryOp::Div;
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  autograd::record(kind, {a, b}, {y},
                   [op, bc, need_a, need_b, sa, sb, a = keep ? a : Tensor(),
                    b = keep ? b : Tensor()](const TensorList& g) -> TensorList {
                     const Device dev = g[0].device();
                     Tensor ga = need_a ? Tensor::empty(g[0].shape(), dev) : Tensor();
                     Tensor gb = need_b ? Tensor::empty(g[0].shape(), dev) : Tensor();
                     LS_DISPATCH(dev, binary_backward, op, a.defined() ? a.data() : nullptr,
                                 b.defined() ? b.data() : nullptr, g[0].data(), need_a ? ga.data() : nullptr,
                                 need_b ? gb.data() : nullptr, bc);
                     return {need_a ? sum_to_shape(ga, sa) : Tensor(), need_b ? sum_to_shape(gb, sb) : Tensor()};
                   });
  return y;
}

Tensor add(const Tensor& a, const Tensor& b) { return binary(OpKind::Add, BinaryOp::Add, "add", a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(OpKind::Sub, BinaryOp::Sub, "sub", a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(OpKind::Mul, BinaryOp::Mul, "mul", a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(OpKind::Div, BinaryOp::Div, "div", a, b); }

// ---- scalar ops -----------------------------------------------------------------------------------------------

static Tensor scale_shift(const Tensor& x, float scale, float shift) {
  Tensor y = Tensor::empty(x.shape(), x.device());
  LS_DISPATCH(x.device(), scale_shift, x.data(), y.data(), x.numel(), scale, shift);
  return y;
}

Tensor add_scalar(const Tensor& x, float s) {
  Tensor y = scale_shift(x, 1.f, s);
  autograd::record(OpKind::AddScalar, {x}, {y}, [](const TensorList& g) -> TensorList { return {g[0]}; });
  return y;
}

Tensor mul_scalar(const Tensor& x, float s) {
  Tensor y = scale_shift(x, s, 0.f);
  autograd::record(OpKind::MulScalar, {x}, {y},
                   [s](const TensorList& g) -> TensorList { return {scale_shift(g[0], s, 0.f)}; });
  return y;
}

}  // namespace ls
