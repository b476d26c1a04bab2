// apps/cmd_bench.cpp — `layerseg bench`: times the compute kernels of one device against what that device itself
// reaches, measured in the same run.
//   layerseg bench [--device cpu] [--repeats 7] [--warmup 1] [--filter conv]    CPU kernels vs OpenBLAS's SGEMM
//   layerseg bench --device cuda [--repeats 50] [--warmup 5] [--tf32] [--filter compose]
//       CUDA kernels vs the measured copy bandwidth, then a steady-state training step with the allocator's
//       statistics (apps/cmd_bench_cuda.cpp)
//   layerseg bench --step --config configs/weizmann64.toml [--threads 2] [--device cpu] [--repeats 7] [--warmup 2]
//       one JSON line: the median ms of that config's GAN step and U-Net step (what tools/peer_torch.py prints
//       for PyTorch)
// This file owns the command and its options. On the CPU the table is data: a row is a name, its floating-point
// operations, and a closure that runs it once on tensors allocated up front; add a kernel by adding a row to
// bench_rows(). Each row runs `warmup` times (scratch buffers, thread pools), then `repeats` times; the median is
// reported. Results for this project: docs/BENCHMARKS.md.
#include <cblas.h>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "apps/bench_cuda.h"
#include "apps/command.h"
#include "core/comm.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "kernels/cpu/conv.h"
#include "kernels/cpu/fir.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/style.h"
#include "kernels/error.h"
#include "kernels/parallel.h"
#include "models/config.h"
#include "models/trainer.h"

namespace {

using ls::Tensor;

struct BenchRow {
  std::string name;
  double flops;  // per run
  std::function<void()> run;
  bool is_reference = false;  // the SGEMM the other rows are compared with
};

// SGEMM on square n×n matrices: the machine's attainable FP32 rate through the BLAS.
BenchRow sgemm_row(int n, ls::Rng& rng) {
  auto a = std::make_shared<Tensor>(Tensor::uniform({n, n}, rng, -1, 1));
  auto b = std::make_shared<Tensor>(Tensor::uniform({n, n}, rng, -1, 1));
  auto c = std::make_shared<Tensor>(Tensor::empty({n, n}));
  return {fmt::format("sgemm {0}x{0}x{0}", n), 2.0 * n * n * n,
          [=] { ls::cpu::gemm(false, false, n, n, n, 1.f, a->data(), n, b->data(), n, 0.f, c->data(), n); }, true};
}

// One GEMM shape two ways: split over the pool into single-threaded SGEMMs (what the kernels do: the bits do not depend
// on the thread count), and one SGEMM on OpenBLAS's own threads (as many as the pool has). The comparison says what
// determinism costs per shape.
std::vector<BenchRow> gemm_rows(int M, int N, int K, ls::Rng& rng) {
  auto a = std::make_shared<Tensor>(Tensor::uniform({M, K}, rng, -1, 1));
  auto b = std::make_shared<Tensor>(Tensor::uniform({K, N}, rng, -1, 1));
  auto c = std::make_shared<Tensor>(Tensor::empty({M, N}));
  const std::string shape = fmt::format("{}x{}x{}", M, N, K);
  return {{"gemm " + shape + " pool-split", 2.0 * M * N * K,
           [=] { ls::cpu::gemm(false, false, M, N, K, 1.f, a->data(), K, b->data(), N, 0.f, c->data(), N); }},
          {"gemm " + shape + " OpenBLAS threads", 2.0 * M * N * K, [=] {
             openblas_set_num_threads(ls::thread_count());
             cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.f, a->data(), K, b->data(), N, 0.f,
                         c->data(), N);
             openblas_set_num_threads(1);
           }}};
}

// The three convolution kernels, and the three together (one training step's worth), for one geometry.
std::vector<BenchRow> conv_rows(int N, int C, int K, int H, int W, int R, int pad, ls::Rng& rng, int stride = 1) {
  const int P = (H + 2 * pad - R) / stride + 1, Q = (W + 2 * pad - R) / stride + 1;
  auto x = std::make_shared<Tensor>(Tensor::uniform({N, C, H, W}, rng, -1, 1));
  auto w = std::make_shared<Tensor>(Tensor::uniform({K, C, R, R}, rng, -1, 1));
  auto y = std::make_shared<Tensor>(Tensor::uniform({N, K, P, Q}, rng, -1, 1));  // also dy
  auto dx = std::make_shared<Tensor>(Tensor::empty(x->shape()));
  auto dw = std::make_shared<Tensor>(Tensor::empty(w->shape()));
  const double flops = 2.0 * N * K * P * Q * C * R * R;
  const std::string shape =
      fmt::format("N{} C{}->{} {}x{} k{}{} p{}", N, C, K, H, W, R, stride == 1 ? "" : fmt::format(" s{}", stride), pad);
  auto fwd = [=] {
    ls::cpu::conv2d_forward(x->data(), w->data(), y->data(), N, C, H, W, K, R, R, stride, pad, pad, 1);
  };
  auto bwd_data = [=] {
    ls::cpu::conv2d_backward_data(y->data(), w->data(), dx->data(), N, C, H, W, K, R, R, stride, pad, pad, 1);
  };
  auto bwd_weight = [=] {
    ls::cpu::conv2d_backward_weight(x->data(), y->data(), dw->data(), N, C, H, W, K, R, R, stride, pad, pad, 1);
  };
  return {{"conv2d forward  " + shape, flops, fwd},
          {"conv2d bwd-data " + shape, flops, bwd_data},
          {"conv2d bwd-wgt  " + shape, flops, bwd_weight},
          {"conv2d fwd+bwd  " + shape, 3 * flops, [=] {
             fwd();
             bwd_data();
             bwd_weight();
           }}};
}

// StyleGAN2's layer kernels (kernels/cpu/fir.h, kernels/cpu/style.h) at a 64×64 generator block's sizes, batch 16:
// memory-bound but for the demodulation, so their ms matter more than their GFLOP/s.
std::vector<BenchRow> style_rows(ls::Rng& rng) {
  const int N = 16, C = 128, H = 32, W = 32;
  auto small = std::make_shared<Tensor>(Tensor::uniform({N, C, H, W}, rng, -1, 1));
  auto large = std::make_shared<Tensor>(Tensor::uniform({N, C, 2 * H, 2 * W}, rng, -1, 1));
  auto large2 = std::make_shared<Tensor>(Tensor::uniform({N, C, 2 * H, 2 * W}, rng, -1, 1));
  auto bias = std::make_shared<Tensor>(Tensor::uniform({C}, rng, -1, 1));
  ls::FirSpec up, down;
  const float taps[4] = {0.125f, 0.375f, 0.375f, 0.125f};
  for (ls::FirSpec* f : {&up, &down}) std::copy(taps, taps + 4, f->taps), f->k = 4;
  up.up = 2, up.pad0 = 2, up.pad1 = 1, up.gain = 4.f;
  down.down = 2, down.pad0 = 1, down.pad1 = 1;
  const double n_large = double(large->numel());
  const int O = 512, I = 512;
  auto w = std::make_shared<Tensor>(Tensor::uniform({O, I, 3, 3}, rng, -1, 1));
  auto gw = std::make_shared<Tensor>(Tensor::empty({O, I, 3, 3}));
  auto s = std::make_shared<Tensor>(Tensor::uniform({N, I}, rng, 0.5f, 1.5f));
  auto gs = std::make_shared<Tensor>(Tensor::empty({N, I}));
  auto d = std::make_shared<Tensor>(Tensor::empty({N, O}));
  auto dd = std::make_shared<Tensor>(Tensor::uniform({N, O}, rng, -1, 1));
  auto feat = std::make_shared<Tensor>(Tensor::uniform({N, 512, 4, 4}, rng, -1, 1));
  auto gfeat = std::make_shared<Tensor>(Tensor::empty({N, 512, 4, 4}));
  auto stat = std::make_shared<Tensor>(Tensor::uniform({N / 4, 1}, rng, -1, 1));
  const std::string at = fmt::format(" {}x{}x{}x{}", N, C, H, W);
  return {{"upfirdn2d up2 fwd" + at, 32.0 * n_large,
           [=] { ls::cpu::upfirdn2d_forward(small->data(), large->data(), N * C, H, W, up); }},
          {"upfirdn2d up2 bwd" + at, 32.0 * n_large,
           [=] { ls::cpu::upfirdn2d_backward(large->data(), small->data(), N * C, H, W, up); }},
          {"upfirdn2d down2 fwd" + at, 8.0 * n_large,
           [=] { ls::cpu::upfirdn2d_forward(large->data(), small->data(), N * C, 2 * H, 2 * W, down); }},
          {"bias_act lrelu fwd" + at, 3.0 * n_large,
           [=] {
             ls::cpu::bias_act_forward(large->data(), bias->data(), large2->data(), N, C, 4 * H * W, 0.2f, 1.4142135f);
           }},
          {"bias_act lrelu bwd" + at, 2.0 * n_large,
           [=] {
             ls::cpu::bias_act_backward(large->data(), large2->data(), large->data(), int64_t(n_large), 0.2f,
                                        1.4142135f);
           }},
          {fmt::format("demodulation fwd N{} {}x{}x3x3", N, O, I), 3.0 * N * O * I * 9,
           [=] { ls::cpu::demodulation_forward(w->data(), s->data(), d->data(), N, O, I, 9, 1e-8f); }},
          {fmt::format("demodulation bwd N{} {}x{}x3x3", N, O, I), 6.0 * N * O * I * 9,
           [=] {
             ls::cpu::demodulation_backward(w->data(), s->data(), d->data(), dd->data(), gw->data(), gs->data(), N, O,
                                            I, 9);
           }},
          {fmt::format("minibatch_stddev fwd {}x512x4x4", N), 4.0 * double(feat->numel()),
           [=] { ls::cpu::minibatch_stddev_forward(feat->data(), stat->data(), N, 512, 16, 4, 1, 1e-8f); }},
          {fmt::format("minibatch_stddev bwd {}x512x4x4", N), 8.0 * double(feat->numel()), [=] {
             ls::cpu::minibatch_stddev_backward(feat->data(), stat->data(), gfeat->data(), N, 512, 16, 4, 1, 1e-8f);
           }}};
}

std::vector<BenchRow> bench_rows() {
  ls::Rng rng(1);
  std::vector<BenchRow> rows{sgemm_row(2048, rng)};
  // A 32×32 plane, and the 8×8 planes of the discriminator's deeper blocks, where the copies of im2col / col2im
  // work on rows of 8 floats.
  for (BenchRow& r : conv_rows(32, 64, 64, 32, 32, 3, 1, rng)) rows.push_back(std::move(r));
  for (BenchRow& r : conv_rows(32, 96, 96, 8, 8, 3, 1, rng)) rows.push_back(std::move(r));
  // The critic's 4×4 stride-2 blocks at configs/weizmann64.toml's widths (real and generated images: 64).
  for (BenchRow& r : conv_rows(64, 48, 96, 32, 32, 4, 1, rng, 2)) rows.push_back(std::move(r));
  for (BenchRow& r : conv_rows(64, 192, 384, 8, 8, 4, 1, rng, 2)) rows.push_back(std::move(r));
  // The GEMMs of those convolutions' forward passes (one 32×32 image; 16 images of 8×8), and the square one.
  for (const auto& [M, N, K] : {std::tuple{64, 1024, 576}, std::tuple{96, 1024, 864}, std::tuple{2048, 2048, 2048}})
    for (BenchRow& r : gemm_rows(M, N, K, rng)) rows.push_back(std::move(r));
  for (BenchRow& r : style_rows(rng)) rows.push_back(std::move(r));
  return rows;
}

double median_seconds(const BenchRow& row, int warmup, int repeats) {
  for (int i = 0; i < warmup; ++i) row.run();
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    row.run();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return repeats % 2 ? t[size_t(repeats / 2)] : 0.5 * (t[size_t(repeats / 2 - 1)] + t[size_t(repeats / 2)]);
}

void run_cpu_bench(const ls::app::BenchOptions& o) {
  fmt::print("BLAS: {} ({} thread{} per call; the pool's {} threads split the work)\n", ls::cpu::blas_config(),
             ls::cpu::blas_threads(), ls::cpu::blas_threads() == 1 ? "" : "s", ls::thread_count());
  fmt::print("device cpu, median of {} runs after {} warm-up runs\n\n", o.repeats, o.warmup);
  fmt::print("| {:<42} | {:>10} | {:>8} | {:>9} |\n", "kernel", "median ms", "GFLOP/s", "vs sgemm");
  fmt::print("| {:-<42} | {:->10} | {:->8} | {:->9} |\n", "", "", "", "");
  double reference = 0;
  for (const BenchRow& row : bench_rows()) {
    if (!row.is_reference && !o.selects(row.name)) continue;  // the SGEMM always runs: it is the 100 %
    const double s = median_seconds(row, o.warmup, o.repeats), rate = row.flops / s / 1e9;
    if (row.is_reference) reference = rate;
    fmt::print("| {:<42} | {:>10.2f} | {:>8.1f} | {:>8.0f}% |\n", row.name, 1e3 * s, rate, 100 * rate / reference);
  }
}

// Trains the config's networks for warmup + repeats steps of each kind in a scratch run folder (removed afterwards)
// and prints the medians as one JSON line.
void run_step_bench(const std::string& config, const std::vector<std::string>& overrides, ls::Device device, int warmup,
                    int repeats) {
  const ls::models::Config cfg = ls::models::load_config(config, overrides);
  std::string dir = (std::filesystem::temp_directory_path() / "layerseg-bench-XXXXXX").string();
  LS_CHECK(mkdtemp(dir.data()) != nullptr, "bench --step: cannot create a scratch folder in {}",
           std::filesystem::temp_directory_path().string());
  struct Cleanup {
    std::string dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{dir};
  ls::models::TrainOptions opt;
  opt.run_dir = dir;
  opt.device = device;
  opt.progress = false;
  ls::models::Trainer trainer(cfg, opt);
  const ls::models::StepTimes t = trainer.time_steps(warmup, repeats);
  nlohmann::json line = {{"config", config},
                         {"device", ls::device_name(device)},
                         {"threads", ls::thread_count()},
                         {"batch", cfg.train.batch},
                         {"seg_batch", cfg.train.seg_batch},
                         {"size", cfg.data.size},
                         {"warmup", warmup},
                         {"repeats", repeats},
                         {"ms_per_gan_step", t.ms_per_gan_step},
                         {"ms_per_seg_step", t.ms_per_seg_step}};
  if (ls::comm::world().size > 1) {  // a data-parallel job: rank 0's figures, with the collectives' part
    line["ranks"] = ls::comm::world().size;
    line["collective_ms_per_gan_step"] = t.collective_ms_per_gan_step;
    line["collective_ms_per_seg_step"] = t.collective_ms_per_seg_step;
  }
  if (ls::comm::is_root()) fmt::print("{}\n", line.dump());
}

void setup(CLI::App& app) {
  auto device = std::make_shared<std::string>("cpu");
  auto o = std::make_shared<ls::app::BenchOptions>();
  auto step = std::make_shared<bool>(false);
  auto config = std::make_shared<std::string>();
  auto overrides = std::make_shared<std::vector<std::string>>();
  app.add_option("--device", *device, "cpu or cuda")->capture_default_str();
  // The defaults differ by device: a CPU row takes tens of milliseconds, a CUDA row microseconds.
  CLI::Option* repeats = app.add_option("--repeats", o->repeats, "timed runs per row, median reported [7 cpu, 50 cuda]")
                             ->check(CLI::PositiveNumber);
  CLI::Option* warmup =
      app.add_option("--warmup", o->warmup, "untimed runs first [1 cpu, 5 cuda]")->check(CLI::NonNegativeNumber);
  app.add_flag("--tf32", o->tf32, "cuda: allow TF32 tensor cores in convolutions and GEMMs");
  app.add_option("--filter", o->filter, "only rows whose name contains this");
  app.add_flag("--step", *step, "time a training step of --config's networks instead of the kernels");
  app.add_option("--config", *config, "--step: the TOML configuration whose networks to time")
      ->check(CLI::ExistingFile);
  app.add_option("--set", *overrides, "--step: override a config key: section.key=value (repeatable)");
  app.callback([=] {
    const bool cuda = ls::parse_device(device->c_str()) == ls::Device::CUDA;  // fails clearly without CUDA
    if (*step) {
      LS_CHECK(!config->empty(), "bench --step: --config FILE is required");
      LS_CHECK(o->filter.empty() && !o->tf32, "bench --step: --filter and --tf32 apply to the kernel table only");
      return run_step_bench(*config, *overrides, ls::parse_device(device->c_str()), *warmup ? o->warmup : 2,
                            *repeats ? o->repeats : 7);
    }
    LS_CHECK(config->empty() && overrides->empty(), "bench: --config and --set go with --step");
    if (!*repeats) o->repeats = cuda ? 50 : 7;
    if (!*warmup) o->warmup = cuda ? 5 : 1;
    LS_CHECK(cuda || !o->tf32, "bench: --tf32 applies to --device cuda only");
    if (cuda)
      ls::app::run_cuda_bench(*o);
    else
      run_cpu_bench(*o);
  });
}

LS_COMMAND("bench", "time the compute kernels against the device's own SGEMM rate (cpu) or copy bandwidth (cuda)",
           setup);

}  // namespace
