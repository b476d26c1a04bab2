// core/ops_compose.cpp — compose_perturbed (core/ops.h, SPEC §3): the fused warp-and-blend of the layered GAN.
// Forward: one kernel writes the composite and T(π); backward: one kernel writes the gradients of x_b, x_f and π
// (kernels/cpu/compose.h). theta is a constant: it gets no gradient and may live on either device (it is [N,6]).
// Tests: build/layerseg_tests --gtest_filter='Compose*:*GradCheck*'
#include "core/autograd.h"
#include "core/dispatch.h"
#include "kernels/cpu/compose.h"
#include "kernels/error.h"
#ifdef LAYERSEG_WITH_CUDA
#include "kernels/cuda/compose.h"
#endif

namespace ls {

Composite compose_perturbed(const Tensor& x_b, const Tensor& x_f, const Tensor& pi, const Tensor& theta_in) {
  const char* op = "compose_perturbed";
  check_dim(op, x_b, 4);
  check_same_shape(op, x_b, x_f);
  check_same_device(op, x_b, x_f);
  check_same_device(op, x_b, pi);
  const int64_t n = x_b.size(0), c = x_b.size(1), h = x_b.size(2), w = x_b.size(3);
  LS_CHECK(pi.shape() == Shape({n, 1, h, w}), "{}: pi has shape {}, expected [{}, 1, {}, {}] for x_b {}", op,
           shape_str(pi.shape()), n, h, w, shape_str(x_b.shape()));
  LS_CHECK(theta_in.shape() == Shape({n, 6}), "{}: theta has shape {}, expected [{}, 6]", op,
           shape_str(theta_in.shape()), n);
  const Tensor theta = theta_in.detach().to(x_b.device());
  Composite out{Tensor::empty(x_b.shape(), x_b.device()), Tensor::empty(pi.shape(), x_b.device())};
  LS_DISPATCH(x_b.device(), compose_perturbed_forward, x_b.data(), x_f.data(), pi.data(), theta.data(),
              out.image.data(), out.mask.data(), n, c, h, w);
  autograd::record(OpKind::ComposePerturbed, {x_b, x_f, pi}, {out.image, out.mask},
                   [x_b, x_f, pi, theta](const TensorList& g) -> TensorList {
                     const Device dev = x_b.device();
                     Tensor g_xb = Tensor::empty(x_b.shape(), dev), g_xf = Tensor::empty(x_f.shape(), dev),
                            g_pi = Tensor::empty(pi.shape(), dev);
                     LS_DISPATCH(dev, compose_perturbed_backward, x_b.data(), x_f.data(), pi.data(), theta.data(),
                                 g[0].data(), g[1].data(), g_xb.data(), g_xf.data(), g_pi.data(), x_b.size(0),
                                 x_b.size(1), x_b.size(2), x_b.size(3));
                     return {g_xb, g_xf, g_pi};
                   });
  return out;
}

}  // namespace ls
