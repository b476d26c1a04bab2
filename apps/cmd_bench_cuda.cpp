// apps/cmd_bench_cuda.cpp — the CUDA half of `layerseg bench` (apps/cmd_bench.cpp owns the command and options):
// times the CUDA kernels with CUDA events and judges each against what this device can do, measured in the same run,
// then runs a steady-state training step and reports the allocator's statistics.
//   layerseg bench --device cuda [--repeats 50] [--warmup 5] [--tf32] [--filter compose]
//   nsys profile --trace=cuda,nvtx layerseg bench --device cuda     (every row is an NVTX range)
// A row is data: a name, the bytes it must move (compulsory reads + writes), its floating-point operations, and a
// closure that enqueues one run on input set i. Inputs are rotated across enough copies that one pass over them
// exceeds the L2 cache several times, so no run finds its inputs cached by the previous one. Columns: median time,
// GB/s and its fraction of the device-to-device copy bandwidth (the achievable 100 % for bandwidth-bound kernels),
// and GFLOP/s for convolutions and GEMMs. Targets: compose fwd+bwd ≥ 70 % of copy bandwidth at
// 64×3×128×128, binarization and hinge ≥ 60 %.
// The training step is the D step + G step of the tiny layered GAN (core/testing/tiny_layered_gan.h) with Adam; after
// warm-up it must make no cudaMalloc call (the caching allocator serves every request). Without CUDA in the build,
// run_cuda_bench fails with a message saying so.
#include <fmt/core.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "apps/bench_cuda.h"
#include "kernels/error.h"
#ifdef LAYERSEG_WITH_CUDA
#include "core/optim.h"
#include "core/perturb.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "core/testing/tiny_layered_gan.h"
#include "kernels/cuda/all.h"
#include "kernels/cuda/nvtx.h"
#include "kernels/cuda/timing.h"
#endif

#ifdef LAYERSEG_WITH_CUDA
namespace {

using ls::Device;
using ls::Shape;
using ls::Tensor;

// One pass over a row's rotated inputs touches at least this much memory (the H100's L2 is 50 MiB).
constexpr double kRotationBytes = 256.0 * (1 << 20);

// `copies` independent sets of a row's tensors; set(i) is the one run i uses.
class Rotation {
 public:
  Rotation(const std::vector<Shape>& shapes, ls::Rng& rng) {
    double bytes = 0;
    for (const Shape& s : shapes) bytes += 4.0 * double(ls::shape_numel(s));
    const int copies = std::max(2, std::min(64, int(kRotationBytes / bytes) + 1));
    for (int c = 0; c < copies; ++c) {
      sets_.emplace_back();
      for (const Shape& s : shapes) sets_.back().push_back(Tensor::uniform(s, rng, 0.f, 1.f, Device::CUDA));
    }
  }
  // Tensor k of the set run i uses.
  float* at(int i, size_t k) { return sets_[size_t(i) % sets_.size()][k].data(); }
  void set_all(size_t k, const Tensor& value) {
    for (auto& set : sets_) set[k].copy_from(value);
  }

 private:
  std::vector<std::vector<Tensor>> sets_;
};

struct Row {
  std::string name, shape;
  double bytes, flops;
  std::function<void(int)> run;
};

cudaStream_t st() { return ls::cuda::stream(); }

// ---- the project's fused kernels -----------------------------------------------------------------------------------

void compose_rows(std::vector<Row>& rows, int64_t n, int64_t c, int64_t h, int64_t w, ls::Rng& rng) {
  // x_b, x_f, pi, theta, image, mask, g_image, g_mask, g_x_b, g_x_f, g_pi
  auto r = std::make_shared<Rotation>(std::vector<Shape>{{n, c, h, w},
                                                         {n, c, h, w},
                                                         {n, 1, h, w},
                                                         {n, 6},
                                                         {n, c, h, w},
                                                         {n, 1, h, w},
                                                         {n, c, h, w},
                                                         {n, 1, h, w},
                                                         {n, c, h, w},
                                                         {n, c, h, w},
                                                         {n, 1, h, w}},
                                      rng);
  r->set_all(3, ls::perturbation_theta(rng, int(n)));
  const double px = double(n * h * w), fwd_bytes = 4 * px * (3 * c + 2), bwd_bytes = 4 * px * (5 * c + 3);
  auto fwd = [=](int i) {
    ls::cuda::compose_perturbed_forward(r->at(i, 0), r->at(i, 1), r->at(i, 2), r->at(i, 3), r->at(i, 4), r->at(i, 5), n,
                                        c, h, w, st());
  };
  auto bwd = [=](int i) {
    ls::cuda::compose_perturbed_backward(r->at(i, 0), r->at(i, 1), r->at(i, 2), r->at(i, 3), r->at(i, 6), r->at(i, 7),
                                         r->at(i, 8), r->at(i, 9), r->at(i, 10), n, c, h, w, st());
  };
  const std::string shape = fmt::format("{}x{}x{}x{}", n, c, h, w);
  rows.push_back({"compose fwd", shape, fwd_bytes, 0, fwd});
  rows.push_back({"compose bwd", shape, bwd_bytes, 0, bwd});
  rows.push_back({"compose fwd+bwd", shape, fwd_bytes + bwd_bytes, 0, [=](int i) {
                    fwd(i);
                    bwd(i);
                  }});
}

// Fused loss forward + backward: reads n, writes the n-element gradient and one float.
void loss_rows(std::vector<Row>& rows, int64_t n, ls::Rng& rng) {
  auto r = std::make_shared<Rotation>(std::vector<Shape>{{n}, {n}, {1}}, rng);
  const std::string shape = fmt::format("{}", n);
  rows.push_back({"binarization fwd+bwd", shape, 8.0 * double(n), 0,
                  [=](int i) { ls::cuda::binarization(r->at(i, 0), r->at(i, 2), r->at(i, 1), n, st()); }});
  rows.push_back({"hinge D fwd+bwd", shape, 8.0 * double(n), 0,
                  [=](int i) { ls::cuda::hinge_loss(r->at(i, 0), r->at(i, 2), r->at(i, 1), n, -1.f, st()); }});
  // The G form is −mean: a reduction forward, a broadcast backward.
  const ls::Dims4 dims{{1, 1, 1, n}};
  rows.push_back({"hinge G fwd+bwd", shape, 8.0 * double(n), 0, [=](int i) {
                    ls::cuda::reduce_sum(r->at(i, 0), r->at(i, 2), dims, 0xFu, -1.f / float(n), st());
                    ls::cuda::expand(r->at(i, 2), r->at(i, 1), dims, 0xFu, -1.f / float(n), st());
                  }});
}

// ---- element-wise, reductions, normalisation, resampling, optimizer -------------------------------------------------

void engine_rows(std::vector<Row>& rows, ls::Rng& rng) {
  const int64_t n = int64_t(1) << 24;
  const std::string flat = fmt::format("{}", n);
  {
    auto r = std::make_shared<Rotation>(std::vector<Shape>{{n}, {n}, {n}}, rng);
    rows.push_back({"leaky_relu fwd", flat, 8.0 * double(n), 0, [=](int i) {
                      ls::cuda::activation_forward(ls::Activation::LeakyRelu, r->at(i, 0), r->at(i, 1), n, 0.2f, st());
                    }});
    const ls::Broadcast4 same{{{1, 1, 1, n}}, {{0, 0, 0, 1}}, {{0, 0, 0, 1}}};
    rows.push_back({"add same shape", flat, 12.0 * double(n), 0, [=](int i) {
                      ls::cuda::binary_forward(ls::BinaryOp::Add, r->at(i, 0), r->at(i, 1), r->at(i, 2), same, st());
                    }});
    rows.push_back({"sum all", flat, 4.0 * double(n), 0, [=](int i) {
                      ls::cuda::reduce_sum(r->at(i, 0), r->at(i, 1), ls::Dims4{{1, 1, 1, n}}, 0xFu, 1.f, st());
                    }});
  }
  const int N = 64, C = 64, H = 64, W = 64;
  const int64_t e = int64_t(N) * C * H * W;
  const std::string nchw = fmt::format("{}x{}x{}x{}", N, C, H, W);
  {
    // x, y/dy, dx, gamma, beta, mean, invstd, running mean, running var, dgamma, dbeta
    auto r = std::make_shared<Rotation>(
        std::vector<Shape>{{N, C, H, W}, {N, C, H, W}, {N, C, H, W}, {C}, {C}, {C}, {C}, {C}, {C}, {C}, {C}}, rng);
    rows.push_back({"batch_norm fwd train", nchw, 8.0 * double(e), 0, [=](int i) {
                      ls::cuda::batchnorm_forward(r->at(i, 0), r->at(i, 3), r->at(i, 4), r->at(i, 1), r->at(i, 5),
                                                  r->at(i, 6), r->at(i, 7), r->at(i, 8), N, C, H * W, true, 0.1f, 1e-5f,
                                                  st());
                    }});
    rows.push_back({"batch_norm bwd train", nchw, 12.0 * double(e), 0, [=](int i) {
                      ls::cuda::batchnorm_backward(r->at(i, 0), r->at(i, 1), r->at(i, 3), r->at(i, 5), r->at(i, 6),
                                                   r->at(i, 2), r->at(i, 9), r->at(i, 10), N, C, H * W, true, st());
                    }});
  }
  {
    auto r = std::make_shared<Rotation>(std::vector<Shape>{{N, C, H, W}, {N, C, 2 * H, 2 * W}}, rng);
    rows.push_back({"upsample_bilinear2x fwd", nchw, 20.0 * double(e), 0, [=](int i) {
                      ls::cuda::upsample_bilinear2x_forward(r->at(i, 0), r->at(i, 1), N * C, H, W, st());
                    }});
    rows.push_back({"upsample_bilinear2x bwd", nchw, 20.0 * double(e), 0, [=](int i) {
                      ls::cuda::upsample_bilinear2x_backward(r->at(i, 1), r->at(i, 0), N * C, H, W, st());
                    }});
    rows.push_back(
        {"max_pool2d 2x2 fwd", fmt::format("{}x{}x{}x{}", N, C, 2 * H, 2 * W), 20.0 * double(e), 0,
         [=](int i) { ls::cuda::max_pool2d_forward(r->at(i, 1), r->at(i, 0), N * C, 2 * H, 2 * W, 2, 2, 0, st()); }});
  }
  {
    // Adam over 10 M parameters in 40 tensors: reads param, grad, m, v; writes param, m, v.
    const int tensors = 40;
    const int64_t each = 250000;
    auto r = std::make_shared<Rotation>(std::vector<Shape>(4 * tensors, Shape{each}), rng);
    rows.push_back(
        {"adam multi-tensor", fmt::format("{}x{}", tensors, each), 28.0 * double(tensors * each), 0, [=](int i) {
           std::vector<ls::cuda::AdamTensor> list;
           for (int k = 0; k < tensors; ++k)
             list.push_back({r->at(i, 4 * k), r->at(i, 4 * k + 1), r->at(i, 4 * k + 2), r->at(i, 4 * k + 3), each});
           ls::cuda::adam_update_multi(list.data(), tensors, 2e-4f, 0.f, 0.99f, 1e-8f, 1.f, 0.01f, 0.f, st());
         }});
  }
}

// ---- StyleGAN2's layer kernels (kernels/cuda/fir.h, kernels/cuda/style.h) at a 64×64 generator block's sizes -------

void style_rows(std::vector<Row>& rows, ls::Rng& rng) {
  const int N = 32, C = 128, H = 32, W = 32;
  const int64_t small = int64_t(N) * C * H * W, large = 4 * small;
  ls::FirSpec up, down;
  const float taps[4] = {0.125f, 0.375f, 0.375f, 0.125f};
  for (ls::FirSpec* f : {&up, &down}) std::copy(taps, taps + 4, f->taps), f->k = 4;
  up.up = 2, up.pad0 = 2, up.pad1 = 1, up.gain = 4.f;
  down.down = 2, down.pad0 = 1, down.pad1 = 1;
  const std::string at32 = fmt::format("{}x{}x{}x{}", N, C, H, W),
                    at64 = fmt::format("{}x{}x{}x{}", N, C, 2 * H, 2 * W);
  {
    auto r = std::make_shared<Rotation>(std::vector<Shape>{{N, C, H, W}, {N, C, 2 * H, 2 * W}}, rng);
    rows.push_back({"upfirdn2d up2 fwd", at32, 4.0 * double(small + large), 32.0 * double(large),
                    [=](int i) { ls::cuda::upfirdn2d_forward(r->at(i, 0), r->at(i, 1), N * C, H, W, up, st()); }});
    rows.push_back({"upfirdn2d up2 bwd", at32, 4.0 * double(small + large), 32.0 * double(large),
                    [=](int i) { ls::cuda::upfirdn2d_backward(r->at(i, 1), r->at(i, 0), N * C, H, W, up, st()); }});
    rows.push_back({"upfirdn2d down2 fwd", at64, 4.0 * double(small + large), 32.0 * double(small), [=](int i) {
                      ls::cuda::upfirdn2d_forward(r->at(i, 1), r->at(i, 0), N * C, 2 * H, 2 * W, down, st());
                    }});
  }
  {
    auto r = std::make_shared<Rotation>(
        std::vector<Shape>{{N, C, 2 * H, 2 * W}, {C}, {N, C, 2 * H, 2 * W}, {N, C, 2 * H, 2 * W}}, rng);
    rows.push_back({"bias_act lrelu fwd", at64, 8.0 * double(large), 3.0 * double(large), [=](int i) {
                      ls::cuda::bias_act_forward(r->at(i, 0), r->at(i, 1), r->at(i, 2), N, C, 4 * H * W, 0.2f,
                                                 1.4142135f, st());
                    }});
    rows.push_back({"bias_act lrelu bwd", at64, 12.0 * double(large), 2.0 * double(large), [=](int i) {
                      ls::cuda::bias_act_backward(r->at(i, 3), r->at(i, 2), r->at(i, 0), large, 0.2f, 1.4142135f, st());
                    }});
  }
  {
    const int O = 512, I = 512, K = 9;
    auto r =
        std::make_shared<Rotation>(std::vector<Shape>{{O, I, 3, 3}, {N, I}, {N, O}, {N, O}, {O, I, 3, 3}, {N, I}}, rng);
    const std::string shape = fmt::format("N{} {}x{}x3x3", N, O, I);
    const double w_bytes = 4.0 * O * I * K;
    rows.push_back({"demodulation fwd", shape, w_bytes, 3.0 * N * O * I * K, [=](int i) {
                      ls::cuda::demodulation_forward(r->at(i, 0), r->at(i, 1), r->at(i, 2), N, O, I, K, 1e-8f, st());
                    }});
    rows.push_back({"demodulation bwd", shape, 2.0 * w_bytes, 6.0 * N * O * I * K, [=](int i) {
                      ls::cuda::demodulation_backward(r->at(i, 0), r->at(i, 1), r->at(i, 2), r->at(i, 3), r->at(i, 4),
                                                      r->at(i, 5), N, O, I, K, st());
                    }});
  }
  {
    const int D = 512, S = 4, G = 4;
    const int64_t n = int64_t(N) * D * S * S;
    auto r = std::make_shared<Rotation>(std::vector<Shape>{{N, D, S, S}, {N / G, 1}, {N, D, S, S}}, rng);
    const std::string shape = fmt::format("{}x{}x{}x{} group {}", N, D, S, S, G);
    rows.push_back({"minibatch_stddev fwd", shape, 4.0 * double(n), 4.0 * double(n), [=](int i) {
                      ls::cuda::minibatch_stddev_forward(r->at(i, 0), r->at(i, 1), N, D, S * S, G, 1, 1e-8f, st());
                    }});
    rows.push_back({"minibatch_stddev bwd", shape, 8.0 * double(n), 8.0 * double(n), [=](int i) {
                      ls::cuda::minibatch_stddev_backward(r->at(i, 0), r->at(i, 1), r->at(i, 2), N, D, S * S, G, 1,
                                                          1e-8f, st());
                    }});
  }
}

// ---- cuDNN and cuBLAS ---------------------------------------------------------------------------------------------

void conv_rows(std::vector<Row>& rows, int N, int C, int K, int H, int W, int R, int stride, int pad, ls::Rng& rng) {
  const int P = (H + 2 * pad - R) / stride + 1, Q = (W + 2 * pad - R) / stride + 1;
  auto r = std::make_shared<Rotation>(std::vector<Shape>{{N, C, H, W}, {K, C, R, R}, {N, K, P, Q}}, rng);
  const double flops = 2.0 * N * K * P * Q * C * R * R;
  const double bytes = 4.0 * (double(N) * C * H * W + double(K) * C * R * R + double(N) * K * P * Q);
  const std::string shape = fmt::format("N{} C{}->{} {}x{} k{} s{}", N, C, K, H, W, R, stride);
  rows.push_back({"conv2d fwd", shape, bytes, flops, [=](int i) {
                    ls::cuda::conv2d_forward(r->at(i, 0), r->at(i, 1), r->at(i, 2), N, C, H, W, K, R, R, stride, pad,
                                             pad, 1, st());
                  }});
  rows.push_back({"conv2d bwd-data", shape, bytes, flops, [=](int i) {
                    ls::cuda::conv2d_backward_data(r->at(i, 2), r->at(i, 1), r->at(i, 0), N, C, H, W, K, R, R, stride,
                                                   pad, pad, 1, st());
                  }});
  rows.push_back({"conv2d bwd-weight", shape, bytes, flops, [=](int i) {
                    ls::cuda::conv2d_backward_weight(r->at(i, 0), r->at(i, 2), r->at(i, 1), N, C, H, W, K, R, R, stride,
                                                     pad, pad, 1, st());
                  }});
}

void gemm_row(std::vector<Row>& rows, int n, ls::Rng& rng) {
  auto r = std::make_shared<Rotation>(std::vector<Shape>{{n, n}, {n, n}, {n, n}}, rng);
  rows.push_back({"sgemm", fmt::format("{0}x{0}x{0}", n), 12.0 * n * n, 2.0 * n * n * n, [=](int i) {
                    ls::cuda::gemm(false, false, n, n, n, 1.f, r->at(i, 0), n, r->at(i, 1), n, 0.f, r->at(i, 2), n,
                                   st());
                  }});
}

std::vector<Row> bench_rows() {
  ls::Rng rng(1);
  std::vector<Row> rows;
  compose_rows(rows, 64, 3, 128, 128, rng);
  loss_rows(rows, 64 * 128 * 128, rng);
  loss_rows(rows, int64_t(1) << 24, rng);
  engine_rows(rows, rng);
  style_rows(rows, rng);
  conv_rows(rows, 64, 64, 64, 64, 64, 3, 1, 1, rng);
  conv_rows(rows, 64, 128, 256, 32, 32, 4, 2, 1, rng);  // the discriminator's stride-2 4×4 downsampling
  gemm_row(rows, 4096, rng);
  return rows;
}

// "train step": the D step and G step of a tiny layered GAN (batch 64, 8×8 images), timed like a row, with the
// allocator's statistics before and after the timed steps: a steady-state step must make no cudaMalloc call.
void train_step_report(const ls::app::BenchOptions& o) {
  namespace t = ls::fixtures;
  const t::TinyGanSizes sizes{/*batch*/ 64, /*z_dim*/ 32, /*codes*/ 10, /*width*/ 64};
  ls::Rng rng(1);
  t::TinyLayeredGan gan(sizes, rng);
  gan.to(Device::CUDA);
  ls::Adam opt_d(gan.discriminator_parameters(), t::tiny_gan_adam()),
      opt_g(gan.generator_parameters(), t::tiny_gan_adam());
  std::vector<t::TinyGanBatch> batches;  // drawn up front, so a step has no host-to-device copy
  for (int i = 0; i < 4; ++i) batches.push_back(t::TinyGanBatch::sample(sizes, rng).to(Device::CUDA));
  auto step = [&](int i) {
    ls::cuda::NvtxRange range("train step");
    const t::TinyGanBatch& b = batches[size_t(i) % batches.size()];
    opt_d.zero_grad();
    gan.d_backward(b);
    opt_d.step();
    opt_g.zero_grad();
    gan.g_backward(b);
    opt_g.step();
  };
  // Two steps at least: the first allocates gradients and cuDNN workspaces, the second may still find blocks of the
  // first not yet freed (the AllocatorReachesSteadyState test's warm-up, tests/test_cuda_kernels.cpp).
  const int warmup = std::max(o.warmup, 2);
  for (int i = 0; i < warmup; ++i) step(i);
  ls::cuda::synchronize();
  const ls::cuda::AllocatorStats before = ls::cuda::allocator_stats();
  const double ms = ls::cuda::median_ms(step, 0, o.repeats);
  ls::cuda::synchronize();
  const ls::cuda::AllocatorStats after = ls::cuda::allocator_stats();
  fmt::print("\ntraining step (tiny layered GAN {0}x3x8x8, D step + G step, Adam): median {1:.3f} ms over {2} steps\n",
             sizes.batch, ms, o.repeats);
  fmt::print("cudaMalloc calls: {} after {} warm-up steps, {} after {} more steps ({})\n", before.malloc_calls, warmup,
             after.malloc_calls, o.repeats,
             after.malloc_calls == before.malloc_calls ? "steady state: none" : "NOT steady: the step allocates");
}

}  // namespace

namespace ls::app {

void run_cuda_bench(const BenchOptions& o) {
  LS_CHECK(ls::cuda_available(), "bench --device cuda: no CUDA device is present");
  ls::cuda::set_allow_tf32(o.tf32);
  const double copy_gbs = ls::cuda::copy_bandwidth_gbs(size_t(1) << 28, 20);
  fmt::print("device {}\nmath {}, median of {} runs after {} warm-up runs, inputs rotated over ≥ {:.0f} MiB\n",
             ls::cuda::device_summary(), o.tf32 ? "TF32" : "FP32", o.repeats, o.warmup, kRotationBytes / (1 << 20));
  fmt::print("device-to-device copy (256 MiB): {:.0f} GB/s = 100 %\n\n", copy_gbs);
  fmt::print("| {:<24} | {:<26} | {:>10} | {:>8} | {:>7} | {:>9} |\n", "kernel", "shape", "median µs", "GB/s", "% copy",
             "GFLOP/s");
  fmt::print("| {:-<24} | {:-<26} | {:->10} | {:->8} | {:->7} | {:->9} |\n", "", "", "", "", "", "");
  for (const Row& row : bench_rows()) {
    if (!o.selects(row.name)) continue;
    const double ms = ls::cuda::median_ms(
        [&](int i) {
          ls::cuda::NvtxRange range(row.name.c_str());
          row.run(i);
        },
        o.warmup, o.repeats);
    const double gbs = row.bytes / (ms * 1e6);
    fmt::print("| {:<24} | {:<26} | {:>10.1f} | {:>8.0f} | {:>6.0f}% | {:>9} |\n", row.name, row.shape, 1e3 * ms, gbs,
               100 * gbs / copy_gbs, row.flops > 0 ? fmt::format("{:.0f}", row.flops / (ms * 1e6)) : "");
  }
  if (o.selects("train step")) train_step_report(o);
  fmt::print("\n{}\n{}", ls::cuda::allocator_report(), ls::cuda::conv_algorithm_report());
}

}  // namespace ls::app
#else
void ls::app::run_cuda_bench(const BenchOptions&) {
  LS_FAIL(
      "bench --device cuda: built without CUDA (configure with -DLAYERSEG_CUDA=ON on a machine with nvcc and cuDNN)");
}
#endif
