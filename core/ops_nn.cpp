// core/ops_nn.cpp — the neural-network ops of core/ops.h: convolution, transposed convolution, linear, batch-norm,
// spectral normalisation, ×2 upsampling and k×k pooling, forward and backward.
// Kernels: kernels/cpu/{conv,gemm,batchnorm,spectral,resample,pool}.h (CUDA twins in kernels/cuda/, same arguments plus
// a stream). Conventions are PyTorch's and are spelled out in the kernel headers:
//  - conv2d output (H + 2p_h − R)/s + 1 (floor), rows and columns padded apart; conv_transpose2d output (H − 1)s − 2p +
//  R + output_pad, with
//    output_pad < stride; it is conv2d's backward-data with x and y swapped (weight [C_in, C_out, R, S]);
//  - batch-norm normalises with the biased batch variance, updates running_var with the unbiased one, momentum 0.1
//    meaning running = 0.9·running + 0.1·batch; eps 1e-5;
//  - bilinear ×2 with align_corners=false; pooling floors odd sizes; max-pool's gradient goes to the first maximum;
//  - spectral_normalize views W as [out, rest] and treats u, v as constants in the backward.
// Tests: build/layerseg_tests --gtest_filter='OpsNn*:GradCheck*'
#include <cmath>

#include "core/autograd.h"
#include "core/dispatch.h"
#include "core/distributed.h"
#include "kernels/cpu/batchnorm.h"
#include "kernels/cpu/conv.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/pool.h"
#include "kernels/cpu/resample.h"
#include "kernels/cpu/spectral.h"
#include "kernels/error.h"

namespace ls {

static int dim_of(const Tensor& t, int d) { return int(t.size(d)); }

// An optional bias must be [n] on x's device.
static void check_bias(const char* op, const Tensor& b, int64_t n, const Tensor& x) {
  if (!b.defined()) return;
  LS_CHECK(b.dim() == 1 && b.size(0) == n, "{}: bias {} does not match {} output channels (input {})", op,
           shape_str(b.shape()), n, shape_str(x.shape()));
  check_same_device(op, x, b);
}

// ---- convolution ------------------------------------------------------------------------------------------------

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, int stride, Padding pad, int groups) {
  const char* op = "conv2d";
  check_dim(op, x, 4);
  check_dim(op, w, 4);
  check_same_device(op, x, w);
  LS_CHECK(stride >= 1 && pad.h >= 0 && pad.w >= 0 && groups >= 1,
           "conv2d: need stride ≥ 1, pad ≥ 0, groups ≥ 1; got {}, ({}, {}), {}", stride, pad.h, pad.w, groups);
  const int N = dim_of(x, 0), C = dim_of(x, 1), H = dim_of(x, 2), W = dim_of(x, 3);
  const int K = dim_of(w, 0), R = dim_of(w, 2), S = dim_of(w, 3);
  LS_CHECK(
      w.size(1) * groups == C && K % groups == 0,
      "conv2d: input {} and weight {} do not match with groups={} (need weight [K, C/groups, R, S], K % groups = 0)",
      shape_str(x.shape()), shape_str(w.shape()), groups);
  LS_CHECK(H + 2 * pad.h >= R && W + 2 * pad.w >= S,
           "conv2d: weight {} is larger than the padded input {} (pad ({}, {}))", shape_str(w.shape()),
           shape_str(x.shape()), pad.h, pad.w);
  check_bias(op, b, K, x);
  const int P = (H + 2 * pad.h - R) / stride + 1, Q = (W + 2 * pad.w - S) / stride + 1;
  const Device dev = x.device();
  Tensor y = Tensor::empty({N, K, P, Q}, dev);
  LS_DISPATCH(dev, conv2d_forward, x.data(), w.data(), y.data(), N, C, H, W, K, R, S, stride, pad.h, pad.w, groups);
  if (b.defined()) LS_DISPATCH(dev, add_bias, y.data(), b.data(), N, K, P * Q);
  autograd::record(OpKind::Conv2d, {x, w, b}, {y}, [=](const TensorList& g) -> TensorList {
    Tensor gx, gw, gb;
    if (x.requires_grad()) {
      gx = Tensor::empty(x.shape(), dev);
      LS_DISPATCH(dev, conv2d_backward_data, g[0].data(), w.data(), gx.data(), N, C, H, W, K, R, S, stride, pad.h,
                  pad.w, groups);
    }
    if (w.requires_grad()) {
      gw = Tensor::empty(w.shape(), dev);
      LS_DISPATCH(dev, conv2d_backward_weight, x.data(), g[0].data(), gw.data(), N, C, H, W, K, R, S, stride, pad.h,
                  pad.w, groups);
    }
    if (b.requires_grad()) {
      gb = Tensor::empty(b.shape(), dev);
      LS_DISPATCH(dev, bias_backward, g[0].data(), gb.data(), N, K, P * Q);
    }
    return {gx, gw, gb};
  });
  return y;
}

// The transposed convolution is the adjoint of conv2d in its input: its output y plays conv2d's x and its input x
// plays conv2d's y, with the same weight [C_in (= conv K), C_out (= conv C), R, S]. So the forward is conv2d's
// backward-data, the input gradient is conv2d's forward, and the weight gradient is conv2d's backward-weight with
// the roles swapped.
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, int stride, int pad, int output_pad) {
  const char* op = "conv_transpose2d";
  check_dim(op, x, 4);
  check_dim(op, w, 4);
  check_same_device(op, x, w);
  LS_CHECK(stride >= 1 && pad >= 0 && output_pad >= 0 && output_pad < stride,
           "conv_transpose2d: need stride ≥ 1, pad ≥ 0, 0 ≤ output_pad < stride; got {}, {}, {}", stride, pad,
           output_pad);
  const int N = dim_of(x, 0), Cin = dim_of(x, 1), Hin = dim_of(x, 2), Win = dim_of(x, 3);
  const int Cout = dim_of(w, 1), R = dim_of(w, 2), S = dim_of(w, 3);
  LS_CHECK(w.size(0) == Cin,
           "conv_transpose2d: input {} has {} channels but weight {} expects {} (weight [C_in, C_out, R, S])",
           shape_str(x.shape()), Cin, shape_str(w.shape()), w.size(0));
  const int H = (Hin - 1) * stride - 2 * pad + R + output_pad, W = (Win - 1) * stride - 2 * pad + S + output_pad;
  LS_CHECK(H >= 1 && W >= 1, "conv_transpose2d: input {} with weight {}, stride {}, pad {} gives an empty output",
           shape_str(x.shape()), shape_str(w.shape()), stride, pad);
  check_bias(op, b, Cout, x);
  const Device dev = x.device();
  Tensor y = Tensor::empty({N, Cout, H, W}, dev);
  LS_DISPATCH(dev, conv2d_backward_data, x.data(), w.data(), y.data(), N, Cout, H, W, Cin, R, S, stride, pad, pad, 1);
  if (b.defined()) LS_DISPATCH(dev, add_bias, y.data(), b.data(), N, Cout, H * W);
  autograd::record(OpKind::ConvTranspose2d, {x, w, b}, {y}, [=](const TensorList& g) -> TensorList {
    Tensor gx, gw, gb;
    if (x.requires_grad()) {
      gx = Tensor::empty(x.shape(), dev);
      LS_DISPATCH(dev, conv2d_forward, g[0].data(), w.data(), gx.data(), N, Cout, H, W, Cin, R, S, stride, pad, pad, 1);
    }
    if (w.requires_grad()) {
      gw = Tensor::empty(w.shape(), dev);
      LS_DISPATCH(dev, conv2d_backward_weight, g[0].data(), x.data(), gw.data(), N, Cout, H, W, Cin, R, S, stride, pad,
                  pad, 1);
    }
    if (b.requires_grad()) {
      gb = Tensor::empty(b.shape(), dev);
      LS_DISPATCH(dev, bias_backward, g[0].data(), gb.data(), N, Cout, H * W);
    }
    return {gx, gw, gb};
  });
  return y;
}

// ---- linear -----------------------------------------------------------------------------------------------------

// y [N, out] = x [N, in] · wᵀ + b; dx = dy·w, dw = dyᵀ·x, db = Σ_n dy.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  const char* op = "linear";
  check_dim(op, x, 2);
  check_dim(op, w, 2);
  check_same_device(op, x, w);
  const int N = dim_of(x, 0), in = dim_of(x, 1), out = dim_of(w, 0);
  LS_CHECK(w.size(1) == in, "linear: input {} does not match weight {} (need weight [out, {}])", shape_str(x.shape()),
           shape_str(w.shape()), in);
  check_bias(op, b, out, x);
  const Device dev = x.device();
  Tensor y = Tensor::empty({N, out}, dev);
  LS_DISPATCH(dev, gemm, false, true, N, out, in, 1.f, x.data(), in, w.data(), in, 0.f, y.data(), out);
  if (b.defined()) LS_DISPATCH(dev, add_bias, y.data(), b.data(), N, out, 1);
  autograd::record(OpKind::Linear, {x, w, b}, {y}, [=](const TensorList& g) -> TensorList {
    Tensor gx, gw, gb;
    if (x.requires_grad()) {
      gx = Tensor::empty(x.shape(), dev);
      LS_DISPATCH(dev, gemm, false, false, N, in, out, 1.f, g[0].data(), out, w.data(), in, 0.f, gx.data(), in);
    }
    if (w.requires_grad()) {
      gw = Tensor::empty(w.shape(), dev);
      LS_DISPATCH(dev, gemm, true, false, out, in, N, 1.f, g[0].data(), out, x.data(), in, 0.f, gw.data(), in);
    }
    if (b.requires_grad()) {
      gb = Tensor::empty(b.shape(), dev);
      LS_DISPATCH(dev, bias_backward, g[0].data(), gb.data(), N, out, 1);
    }
    return {gx, gw, gb};
  });
  return y;
}

// ---- batch-norm -------------------------------------------------------------------------------------------------

// Batch-norm over the global batch of a data-parallel job (core/distributed.h): the per-channel sums of the forward
// (mean, then the centred squares: the same two passes as the fused kernel) and of the backward (Σdy, Σdy·x̂) are
// summed across ranks; the rest is the kernel's math, written with ops, on this rank's rows. γ and β get this rank's
// share, which the gradient averaging completes. The statistics are the batch's over every rank, so N ranks
// normalise exactly as one process does, up to the order of the sums. Three all-reduces per layer and step, each of a
// few dozen floats: [Σx, count] and Σ(x − μ)² forward, [Σdy, Σdy·x̂] backward.
static Tensor sync_batch_norm2d(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                                Tensor& running_var, float momentum, float eps) {
  const int C = dim_of(x, 1);
  const Device dev = x.device();
  const Shape per_channel = {1, C, 1, 1};
  Tensor xhat, scale;  // x̂ = (x − μ)·invstd and γ·invstd, kept for the backward
  double count = 0;
  {
    autograd::NoGradGuard no_grad;
    Tensor sum_and_count = concat({sum(x.detach(), {0, 2, 3}), Tensor::full({1}, float(x.numel() / C), dev)}, 0);
    dist::allreduce_sum(sum_and_count);
    count = double(slice(sum_and_count, 0, C, C + 1).item());
    const Tensor s = slice(sum_and_count, 0, 0, C);
    const Tensor centred = x.detach() - reshape(s * float(1.0 / count), per_channel);
    Tensor sq = sum(centred * centred, {0, 2, 3});
    dist::allreduce_sum(sq);
    const std::vector<float> mean_h = (s * float(1.0 / count)).to_vector(), sq_h = sq.to_vector();
    std::vector<float> invstd_h(static_cast<size_t>(C)), rm = running_mean.to_vector(), rv = running_var.to_vector();
    for (size_t c = 0; c < size_t(C); ++c) {
      const double var = double(sq_h[c]) / count;
      invstd_h[c] = float(1.0 / std::sqrt(var + double(eps)));
      rm[c] = (1.f - momentum) * rm[c] + momentum * mean_h[c];
      rv[c] = (1.f - momentum) * rv[c] + momentum * float(double(sq_h[c]) / (count - 1));
    }
    running_mean.copy_from(Tensor::from_vector({C}, rm, dev));
    running_var.copy_from(Tensor::from_vector({C}, rv, dev));
    const Tensor invstd = Tensor::from_vector(per_channel, invstd_h, dev);
    xhat = centred * invstd;
    scale = reshape(gamma.detach(), per_channel) * invstd;
  }
  const Tensor y = Tensor(xhat * reshape(gamma.detach(), per_channel) + reshape(beta.detach(), per_channel)).detach();
  autograd::record(OpKind::BatchNorm2d, {x, gamma, beta}, {y}, [=](const TensorList& g) -> TensorList {
    autograd::NoGradGuard no_grad;
    const Tensor dy_sum = sum(g[0], {0, 2, 3}), dy_xhat_sum = sum(g[0] * xhat, {0, 2, 3});
    Tensor both = concat({dy_sum, dy_xhat_sum}, 0);
    dist::allreduce_sum(both);
    const Tensor all_dy = slice(both, 0, 0, C), all_dy_xhat = slice(both, 0, C, 2 * C);
    const float inv_count = float(1.0 / count);
    const Tensor gx =
        (g[0] - reshape(all_dy * inv_count, per_channel) - xhat * reshape(all_dy_xhat * inv_count, per_channel)) *
        scale;
    return {gx, dy_xhat_sum, dy_sum};
  });
  return y;
}

Tensor batch_norm2d(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean, Tensor& running_var,
                    bool training, float momentum, float eps) {
  const char* op = "batch_norm2d";
  check_dim(op, x, 4);
  const int N = dim_of(x, 0), C = dim_of(x, 1), HW = dim_of(x, 2) * dim_of(x, 3);
  for (const Tensor* t : std::initializer_list<const Tensor*>{&gamma, &beta, &running_mean, &running_var}) {
    LS_CHECK(t->defined() && t->dim() == 1 && t->size(0) == C,
             "batch_norm2d: input {} needs per-channel tensors of shape [{}], got {}", shape_str(x.shape()), C,
             t->defined() ? shape_str(t->shape()) : "undefined");
    check_same_device(op, x, *t);
  }
  LS_CHECK(!training || int64_t(N) * HW > 1, "batch_norm2d: training needs more than one value per channel, input {}",
           shape_str(x.shape()));
  if (training && dist::batch_norm_synchronized())
    return sync_batch_norm2d(x, gamma, beta, running_mean, running_var, momentum, eps);
  const Device dev = x.device();
  Tensor y = Tensor::empty(x.shape(), dev), mean = Tensor::empty({C}, dev), invstd = Tensor::empty({C}, dev);
  LS_DISPATCH(dev, batchnorm_forward, x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(),
              running_mean.data(), running_var.data(), N, C, HW, training, momentum, eps);
  autograd::record(OpKind::BatchNorm2d, {x, gamma, beta}, {y}, [=](const TensorList& g) -> TensorList {
    // One pass yields all three gradients; the engine ignores those of inputs that do not require grad.
    Tensor gx = Tensor::empty(x.shape(), dev), gg = Tensor::empty({C}, dev), gb = Tensor::empty({C}, dev);
    LS_DISPATCH(dev, batchnorm_backward, x.data(), g[0].data(), gamma.data(), mean.data(), invstd.data(), gx.data(),
                gg.data(), gb.data(), N, C, HW, training);
    return {gx, gg, gb};
  });
  return y;
}

// ---- spectral normalisation -------------------------------------------------------------------------------------

Tensor spectral_normalize(const Tensor& w, Tensor& u, bool update, int n_iter, float eps) {
  const char* op = "spectral_normalize";
  LS_CHECK(w.dim() >= 2, "spectral_normalize: weight must be at least 2-D, got {}", shape_str(w.shape()));
  const int rows = dim_of(w, 0), cols = int(w.numel() / rows);
  LS_CHECK(u.defined() && u.dim() == 1 && u.size(0) == rows,
           "spectral_normalize: weight {} needs u of shape [{}], got {}", shape_str(w.shape()), rows,
           u.defined() ? shape_str(u.shape()) : "undefined");
  LS_CHECK(!update || n_iter >= 1, "spectral_normalize: update needs n_iter ≥ 1, got {}", n_iter);
  check_same_device(op, w, u);
  const Device dev = w.device();
  Tensor v = Tensor::empty({cols}, dev), sigma = Tensor::empty({1}, dev), w_sn = Tensor::empty(w.shape(), dev);
  LS_DISPATCH(dev, spectral_sigma, w.data(), u.data(), v.data(), sigma.data(), rows, cols, update ? n_iter : 0, eps);
  LS_DISPATCH(dev, spectral_scale, w.data(), sigma.data(), w_sn.data(), rows, cols);
  // The backward needs this call's u: a snapshot, since another forward (D on real, then on fake images) may update
  // the buffer before this backward runs.
  const Tensor u_used = u.clone(), w_sn_saved = w_sn.detach();
  autograd::record(OpKind::SpectralNormalize, {w}, {w_sn}, [=](const TensorList& g) -> TensorList {
    Tensor gw = Tensor::empty(w_sn_saved.shape(), dev);
    LS_DISPATCH(dev, spectral_backward, g[0].data(), w_sn_saved.data(), u_used.data(), v.data(), sigma.data(),
                gw.data(), rows, cols);
    return {gw};
  });
  return w_sn;
}

// ---- resampling -------------------------------------------------------------------------------------------------

// The shared body of the resampling and pooling ops on x [N, C, H, W]: output [N, C, P, Q]; forward(dev, x, y, NC, H,
// W) and backward(dev, x, dy, dx, NC, H, W) call the kernels of kernels/cpu/resample.h or kernels/cpu/pool.h.
template <class Forward, class Backward>
static Tensor planewise(OpKind kind, const Tensor& x, int P, int Q, Forward forward, Backward backward) {
  const int N = dim_of(x, 0), C = dim_of(x, 1), H = dim_of(x, 2), W = dim_of(x, 3), NC = N * C;
  const Device dev = x.device();
  Tensor y = Tensor::empty({N, C, P, Q}, dev);
  forward(dev, x.data(), y.data(), NC, H, W);
  autograd::record(kind, {x}, {y}, [=](const TensorList& g) -> TensorList {
    Tensor gx = Tensor::empty(x.shape(), dev);
    backward(dev, x.data(), g[0].data(), gx.data(), NC, H, W);
    return {gx};
  });
  return y;
}

template <class Forward, class Backward>
static Tensor upsample2x(OpKind kind, const Tensor& x, Forward forward, Backward backward) {
  check_dim(op_name(kind), x, 4);
  return planewise(kind, x, 2 * dim_of(x, 2), 2 * dim_of(x, 3), forward, backward);
}

Tensor upsample_nearest2x(const Tensor& x) {
  return upsample2x(
      OpKind::UpsampleNearest2x, x,
      [](Device d, const float* x, float* y, int NC, int H, int W) {
        LS_DISPATCH(d, upsample_nearest2x_forward, x, y, NC, H, W);
      },
      [](Device d, const float*, const float* dy, float* dx, int NC, int H, int W) {
        LS_DISPATCH(d, upsample_nearest2x_backward, dy, dx, NC, H, W);
      });
}

Tensor upsample_bilinear2x(const Tensor& x) {
  return upsample2x(
      OpKind::UpsampleBilinear2x, x,
      [](Device d, const float* x, float* y, int NC, int H, int W) {
        LS_DISPATCH(d, upsample_bilinear2x_forward, x, y, NC, H, W);
      },
      [](Device d, const float*, const float* dy, float* dx, int NC, int H, int W) {
        LS_DISPATCH(d, upsample_bilinear2x_backward, dy, dx, NC, H, W);
      });
}

// ---- general pooling ----------------------------------------------------------------------------------------------

// The checks shared by max_pool2d and avg_pool2d; forward and backward as for planewise.
template <class Forward, class Backward>
static Tensor pool2d(OpKind kind, const Tensor& x, int k, int stride, int pad, Forward forward, Backward backward) {
  const char* op = op_name(kind);
  check_dim(op, x, 4);
  LS_CHECK(k >= 1 && stride >= 1 && pad >= 0 && 2 * pad <= k,
           "{}: need kernel ≥ 1, stride ≥ 1 and 0 ≤ pad ≤ kernel/2; got kernel {}, stride {}, pad {}", op, k, stride,
           pad);
  const int H = dim_of(x, 2), W = dim_of(x, 3);
  LS_CHECK(H + 2 * pad >= k && W + 2 * pad >= k, "{}: input {} is smaller than the {}×{} window (pad {})", op,
           shape_str(x.shape()), k, k, pad);
  return planewise(kind, x, (H + 2 * pad - k) / stride + 1, (W + 2 * pad - k) / stride + 1, forward, backward);
}

// The backward recomputes each window's first maximum from x.
Tensor max_pool2d(const Tensor& x, int k, int stride, int pad) {
  return pool2d(
      OpKind::MaxPool2d, x, k, stride, pad,
      [=](Device d, const float* x, float* y, int NC, int H, int W) {
        LS_DISPATCH(d, max_pool2d_forward, x, y, NC, H, W, k, stride, pad);
      },
      [=](Device d, const float* x, const float* dy, float* dx, int NC, int H, int W) {
        LS_DISPATCH(d, max_pool2d_backward, x, dy, dx, NC, H, W, k, stride, pad);
      });
}

Tensor avg_pool2d(const Tensor& x, int k, int stride, int pad, bool count_include_pad) {
  return pool2d(
      OpKind::AvgPool2d, x, k, stride, pad,
      [=](Device d, const float* x, float* y, int NC, int H, int W) {
        LS_DISPATCH(d, avg_pool2d_forward, x, y, NC, H, W, k, stride, pad, count_include_pad);
      },
      [=](Device d, const float*, const float* dy, float* dx, int NC, int H, int W) {
        LS_DISPATCH(d, avg_pool2d_backward, dy, dx, NC, H, W, k, stride, pad, count_include_pad);
      });
}

}  // namespace ls
