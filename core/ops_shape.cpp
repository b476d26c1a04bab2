// core/ops_shape.cpp — reductions (sum, mean) and shape ops (reshape, flatten, concat, slice) of core/ops.h.
// Conventions as PyTorch: sum/mean over the listed axes (negative from the end, all when empty, giving shape []),
// keepdim keeps reduced axes as size 1; reshape and flatten are views sharing storage (as torch.reshape on a
// contiguous tensor); concat is torch.cat, slice is x.narrow(axis, start, end − start) copied.
// Kernels: kernels/cpu/reduce.h, kernels/cpu/shape.h.
// Tests: build/layerseg_tests --gtest_filter='OpsShape*:*GradCheck*'
#include <algorithm>

#include "core/autograd.h"
#include "core/dispatch.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cpu/shape.h"
#include "kernels/error.h"
#ifdef LAYERSEG_WITH_CUDA
#include "kernels/cuda/reduce.h"
#include "kernels/cuda/shape.h"
#endif

namespace ls {

static int normalize_axis(const char* op, int axis, int rank) {
  const int a = axis < 0 ? axis + rank : axis;
  LS_CHECK(a >= 0 && a < rank, "{}: axis {} out of range for a {}-D tensor", op, axis, rank);
  return a;
}

// ---- reductions -----------------------------------------------------------------------------------------------

static Tensor reduce(OpKind kind, const char* name, const Tensor& x, const std::vector<int>& axes, bool keepdim) {
  const int rank = x.dim();
  // Bit k of the mask is dim k of x right-aligned into four dims (see kernels/cpu/shape.h).
  unsigned mask = 0;
  for (int a : axes) mask |= 1u << (4 - rank + normalize_axis(name, a, rank));
  if (axes.empty()) mask = 0xFu;
  Dims4 dims{{1, 1, 1, 1}};
  for (int k = 0; k < rank; ++k) dims.d[4 - rank + k] = x.shape()[size_t(k)];
  Shape out;
  int64_t count = 1;
  for (int k = 0; k < rank; ++k) {
    const bool reduced = mask & (1u << (4 - rank + k));
    if (reduced) count *= x.shape()[size_t(k)];
    if (!reduced || keepdim) out.push_back(reduced ? 1 : x.shape()[size_t(k)]);
  }
  const float scale = kind == OpKind::Mean ? 1.f / float(count) : 1.f;
  LS_CHECK(count > 0 || kind == OpKind::Sum, "{}: mean over an empty axis of shape {}", name, shape_str(x.shape()));
  Tensor y = Tensor::empty(out, x.device());
  LS_DISPATCH(x.device(), reduce_sum, x.data(), y.data(), dims, mask, scale);
  const Shape xs = x.shape();
  autograd::record(kind, {x}, {y}, [xs, dims, mask, scale](const TensorList& g) -> TensorList {
    Tensor gx = Tensor::empty(xs, g[0].device());
    LS_DISPATCH(g[0].device(), expand, g[0].data(), gx.data(), dims, mask, scale);
    return {gx};
  });
  return y;
}

Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepdim) {
  return reduce(OpKind::Sum, "sum", x, axes, keepdim);
}
Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdim) {
  return reduce(OpKind::Mean, "mean", x, axes, keepdim);
}

// ---- views ----------------------------------------------------------------------------------------------------

Tensor reshape(const Tensor& x, const Shape& shape) {
  Shape s = shape;
  int64_t known = 1;
  int infer = -1;
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] == -1) {
      LS_CHECK(infer < 0, "reshape: more than one −1 in {}", shape_str(shape));
      infer = int(k);
    } else {
      LS_CHECK(s[k] >= 0, "reshape: negative size in {}", shape_str(shape));
      known *= s[k];
    }
  }
  if (infer >= 0) {
    LS_CHECK(known > 0 && x.numel() % known == 0, "reshape: cannot view {} as {}", shape_str(x.shape()),
             shape_str(shape));
    s[size_t(infer)] = x.numel() / known;
  }
  LS_CHECK(shape_numel(s) == x.numel(), "reshape: cannot view {} as {}", shape_str(x.shape()), shape_str(shape));
  LS_CHECK(s.size() <= 4, "reshape: tensors have at most 4 dimensions, got {}", shape_str(shape));
  Tensor y = x.detach();  // shares storage; the new impl takes the new shape
  y.impl()->shape = s;
  const Shape xs = x.shape();
  autograd::record(OpKind::Reshape, {x}, {y}, [xs](const TensorList& g) -> TensorList { return {reshape(g[0], xs)}; });
  return y;
}

Tensor flatten(const Tensor& x) {
  LS_CHECK(x.dim() >= 1, "flatten: needs at least one dimension, got shape {}", shape_str(x.shape()));
  return reshape(x, {x.size(0), -1});
}

// ---- concat and slice -----------------------------------------------------------------------------------------
// Both view a tensor as [outer, size(axis)·inner] and copy column blocks of that matrix (kernels/cpu/shape.h).

static int64_t outer_size(const Shape& s, int axis) {
  int64_t n = 1;
  for (int k = 0; k < axis; ++k) n *= s[size_t(k)];
  return n;
}
static int64_t inner_size(const Shape& s, int axis) {
  int64_t n = 1;
  for (size_t k = size_t(axis) + 1; k < s.size(); ++k) n *= s[k];
  return n;
}

Tensor concat(const std::vector<Tensor>& xs, int axis) {
  LS_CHECK(!xs.empty(), "concat: no tensors");
  const Tensor& x0 = xs[0];
  const int ax = normalize_axis("concat", axis, x0.dim());
  Shape out = x0.shape();
  out[size_t(ax)] = 0;
  for (const Tensor& x : xs) {
    check_same_device("concat", x0, x);
    Shape a = x.shape(), b = x0.shape();
    LS_CHECK(a.size() == b.size(), "concat: shape mismatch: {} vs {}", shape_str(x0.shape()), shape_str(x.shape()));
    a[size_t(ax)] = b[size_t(ax)] = 0;
    LS_CHECK(a == b, "concat: shape mismatch along axes other than {}: {} vs {}", ax, shape_str(x0.shape()),
             shape_str(x.shape()));
    out[size_t(ax)] += x.size(ax);
  }
  Tensor y = Tensor::empty(out, x0.device());
  const int64_t outer = outer_size(out, ax), inner = inner_size(out, ax), row = out[size_t(ax)] * inner;
  int64_t offset = 0;
  for (const Tensor& x : xs) {
    const int64_t cols = x.size(ax) * inner;
    LS_DISPATCH(x.device(), copy_rows, x.data(), cols, y.data() + offset, row, outer, cols);
    offset += cols;
  }
  std::vector<bool> need;
  std::vector<int64_t> sizes;
  for (const Tensor& x : xs) need.push_back(x.requires_grad()), sizes.push_back(x.size(ax));
  autograd::record(OpKind::Concat, xs, {y}, [ax, need, sizes](const TensorList& g) -> TensorList {
    TensorList gs;
    int64_t start = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      gs.push_back(need[i] ? slice(g[0], ax, start, start + sizes[i]) : Tensor());
      start += sizes[i];
    }
    return gs;
  });
  return y;
}

Tensor slice(const Tensor& x, int axis, int64_t start, int64_t end) {
  const int ax = normalize_axis("slice", axis, x.dim());
  const int64_t n = x.size(ax);
  LS_CHECK(0 <= start && start <= end && end <= n, "slice: range [{}, {}) out of bounds for axis {} of shape {}", start,
           end, ax, shape_str(x.shape()));
  Shape out = x.shape();
  out[size_t(ax)] = end - start;
  Tensor y = Tensor::empty(out, x.device());
  const int64_t outer = outer_size(out, ax), inner = inner_size(out, ax);
  LS_DISPATCH(x.device(), copy_rows, x.data() + start * inner, n * inner, y.data(), (end - start) * inner, outer,
              (end - start) * inner);
  const Shape xs = x.shape();
  autograd::record(OpKind::Slice, {x}, {y}, [xs, ax, start, end, outer, inner](const TensorList& g) -> TensorList {
    Tensor gx = Tensor::zeros(xs, g[0].device());
    const int64_t cols = (end - start) * inner;
    LS_DISPATCH(g[0].device(), copy_rows, g[0].data(), cols, gx.data() + start * inner, xs[size_t(ax)] * inner, outer,
                cols);
    return {gx};
  });
  return y;
}

}  // namespace ls
