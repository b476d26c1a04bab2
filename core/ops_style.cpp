// core/ops_style.cpp — StyleGAN2's layer ops of core/ops.h: FIR up/down-sampling, bias + activation with gain, the
// modulated convolution's demodulation coefficients, and the minibatch standard deviation. Kernels:
// kernels/cpu/fir.h and kernels/cpu/style.h (CUDA twins in kernels/cuda/, same arguments plus a stream).
// Tests: build/layerseg_tests --gtest_filter='*GradCheck*:OpsStyle*'
#include <algorithm>

#include "core/autograd.h"
#include "core/dispatch.h"
#include "core/ops.h"
#include "kernels/cpu/fir.h"
#include "kernels/cpu/style.h"
#include "kernels/error.h"

namespace ls {

static int dim_of(const Tensor& t, int d) { return int(t.size(d)); }

Tensor upfirdn2d(const Tensor& x, const std::vector<float>& taps, int up, int down, int pad0, int pad1, float gain) {
  const char* op = "upfirdn2d";
  check_dim(op, x, 4);
  LS_CHECK(!taps.empty() && int(taps.size()) <= FirSpec::kMaxTaps, "{}: 1 to {} filter taps, got {}", op,
           FirSpec::kMaxTaps, taps.size());
  LS_CHECK(up >= 1 && down >= 1 && pad0 >= 0 && pad1 >= 0,
           "{}: need up ≥ 1, down ≥ 1 and non-negative padding; got up {}, down {}, pad {} {}", op, up, down, pad0,
           pad1);
  FirSpec f;
  std::copy(taps.begin(), taps.end(), f.taps);
  f.k = int(taps.size()), f.up = up, f.down = down, f.pad0 = pad0, f.pad1 = pad1, f.gain = gain;
  const int N = dim_of(x, 0), C = dim_of(x, 1), H = dim_of(x, 2), W = dim_of(x, 3);
  LS_CHECK(H * up + pad0 + pad1 >= f.k && W * up + pad0 + pad1 >= f.k,
           "{}: input {} upsampled by {} and padded by {}+{} is smaller than the {} taps", op, shape_str(x.shape()), up,
           pad0, pad1, f.k);
  const Device dev = x.device();
  Tensor y = Tensor::empty({N, C, f.out_size(H), f.out_size(W)}, dev);
  LS_DISPATCH(dev, upfirdn2d_forward, x.data(), y.data(), N * C, H, W, f);
  autograd::record(OpKind::Upfirdn2d, {x}, {y}, [=](const TensorList& g) -> TensorList {
    Tensor gx = Tensor::empty({N, C, H, W}, dev);
    LS_DISPATCH(dev, upfirdn2d_backward, g[0].data(), gx.data(), N * C, H, W, f);
    return {gx};
  });
  return y;
}

Tensor bias_act(const Tensor& x, const Tensor& b, float slope, float gain) {
  const char* op = "bias_act";
  LS_CHECK(x.dim() >= 2, "{}: x needs a channel axis, got {}", op, shape_str(x.shape()));
  LS_CHECK(gain > 0, "{}: the gain must be positive, got {}", op, gain);
  const int N = dim_of(x, 0), C = dim_of(x, 1);
  const int64_t HW = x.numel() / std::max<int64_t>(1, int64_t(N) * C);
  if (b.defined()) {
    LS_CHECK(b.dim() == 1 && b.size(0) == C, "{}: bias {} for input {} (needs [{}])", op, shape_str(b.shape()),
             shape_str(x.shape()), C);
    check_same_device(op, x, b);
  }
  const Device dev = x.device();
  Tensor y = Tensor::empty(x.shape(), dev);
  LS_DISPATCH(dev, bias_act_forward, x.data(), b.defined() ? b.data() : nullptr, y.data(), N, C, HW, slope, gain);
  const Tensor y_saved = y.detach();
  std::vector<int> not_channel = {0};
  for (int a = 2; a < x.dim(); ++a) not_channel.push_back(a);
  autograd::record(OpKind::BiasAct, {x, b}, {y}, [=](const TensorList& g) -> TensorList {
    Tensor gx = Tensor::empty(y_saved.shape(), dev);
    LS_DISPATCH(dev, bias_act_backward, g[0].data(), y_saved.data(), gx.data(), gx.numel(), slope, gain);
    return {gx, b.defined() ? sum(gx, not_channel) : Tensor()};
  });
  return y;
}

Tensor demodulation(const Tensor& w, const Tensor& s, float eps) {
  const char* op = "demodulation";
  LS_CHECK(w.dim() >= 2, "{}: weight [O, C, ...] expected, got {}", op, shape_str(w.shape()));
  check_dim(op, s, 2);
  const int O = dim_of(w, 0), C = dim_of(w, 1), N = dim_of(s, 0), K = int(w.numel() / (int64_t(O) * C));
  LS_CHECK(s.size(1) == C, "{}: styles {} for weight {} (needs [N, {}])", op, shape_str(s.shape()),
           shape_str(w.shape()), C);
  LS_CHECK(eps > 0, "{}: eps must be positive, got {}", op, eps);
  check_same_device(op, w, s);
  const Device dev = w.device();
  Tensor d = Tensor::empty({N, O}, dev);
  LS_DISPATCH(dev, demodulation_forward, w.data(), s.data(), d.data(), N, O, C, K, eps);
  const Tensor d_saved = d.detach();
  autograd::record(OpKind::Demodulation, {w, s}, {d}, [=](const TensorList& g) -> TensorList {
    Tensor gw = Tensor::empty(w.shape(), dev), gs = Tensor::empty(s.shape(), dev);
    LS_DISPATCH(dev, demodulation_backward, w.data(), s.data(), d_saved.data(), g[0].data(), gw.data(), gs.data(), N, O,
                C, K);
    return {gw, gs};
  });
  return d;
}

// The statistic [M, F] is the op (its kernel and backward); broadcasting it to feature maps and appending them to x
// are ops of their own (add, reshape, concat).
Tensor minibatch_stddev(const Tensor& x, int group, int features, float eps) {
  const char* op = "minibatch_stddev";
  check_dim(op, x, 4);
  const int N = dim_of(x, 0), C = dim_of(x, 1), H = dim_of(x, 2), W = dim_of(x, 3);
  const int G = std::min(group, N);
  LS_CHECK(G >= 1 && N % G == 0, "{}: a batch of {} does not split into groups of {}", op, N, G);
  LS_CHECK(features >= 1 && C % features == 0, "{}: {} channels do not split into {} feature groups", op, C, features);
  LS_CHECK(eps > 0, "{}: eps must be positive, got {}", op, eps);
  const int M = N / G;
  const int64_t HW = int64_t(H) * W;
  const Device dev = x.device();
  Tensor stat = Tensor::empty({M, features}, dev);
  LS_DISPATCH(dev, minibatch_stddev_forward, x.data(), stat.data(), N, C, HW, G, features, eps);
  autograd::record(OpKind::MinibatchStddev, {x}, {stat}, [=](const TensorList& g) -> TensorList {
    Tensor gx = Tensor::empty(x.shape(), dev);
    LS_DISPATCH(dev, minibatch_stddev_backward, x.data(), g[0].data(), gx.data(), N, C, HW, G, features, eps);
    return {gx};
  });
  const Tensor maps =
      reshape(reshape(stat, {M, 1, features, 1}) + Tensor::zeros({M, G, features, HW}, dev), {N, features, H, W});
  return concat({x, maps}, 1);
}

}  // namespace ls
