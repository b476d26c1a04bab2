// apps/cmd_bench.cpp — `layerseg bench`: times the compute kernels on this machine and puts each next to a plain
// SGEMM measured in the same run, so a kernel's efficiency reads as a fraction of what the BLAS itself reaches.
//   layerseg bench [--device cpu|cuda] [--repeats 7]
// The table is data: a row is a name, its floating-point operations, and a closure that runs it once on tensors
// allocated up front; add a kernel by adding a row to bench_rows(). Each row runs once to warm up (scratch buffers,
// thread pools), then `repeats` times; the median is reported. Results for this project: docs/BENCHMARKS.md.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "apps/command.h"
#include "core/error.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "kernels/cpu/conv.h"
#include "kernels/cpu/gemm.h"
#include "kernels/dispatch.h"

namespace {

using ls::Device;
using ls::Tensor;

struct BenchRow {
  std::string name;
  double flops;               // per run
  std::function<void()> run;  // one run; the bench synchronises the device after it
  bool is_reference = false;  // the SGEMM the other rows are compared with
};

// SGEMM on square n×n matrices: the machine's attainable FP32 rate through the BLAS.
BenchRow sgemm_row(Device dev, int n, ls::Rng& rng) {
  auto a = std::make_shared<Tensor>(Tensor::uniform({n, n}, rng, -1, 1, dev));
  auto b = std::make_shared<Tensor>(Tensor::uniform({n, n}, rng, -1, 1, dev));
  auto c = std::make_shared<Tensor>(Tensor::empty({n, n}, dev));
  return {fmt::format("sgemm {0}x{0}x{0}", n), 2.0 * n * n * n,
          [=] { LS_DISPATCH(dev, gemm, false, false, n, n, n, 1.f, a->data(), n, b->data(), n, 0.f, c->data(), n); },
          true};
}

// The three convolution kernels, and the three together (one training step's worth), for one stride-1 geometry.
std::vector<BenchRow> conv_rows(Device dev, int N, int C, int K, int H, int W, int R, int pad, ls::Rng& rng) {
  const int P = H + 2 * pad - R + 1, Q = W + 2 * pad - R + 1;
  auto x = std::make_shared<Tensor>(Tensor::uniform({N, C, H, W}, rng, -1, 1, dev));
  auto w = std::make_shared<Tensor>(Tensor::uniform({K, C, R, R}, rng, -1, 1, dev));
  auto y = std::make_shared<Tensor>(Tensor::uniform({N, K, P, Q}, rng, -1, 1, dev));  // also dy
  auto dx = std::make_shared<Tensor>(Tensor::empty(x->shape(), dev));
  auto dw = std::make_shared<Tensor>(Tensor::empty(w->shape(), dev));
  const double flops = 2.0 * N * K * P * Q * C * R * R;
  const std::string shape = fmt::format("N{} C{}->{} {}x{} k{} p{}", N, C, K, H, W, R, pad);
  auto fwd = [=] { LS_DISPATCH(dev, conv2d_forward, x->data(), w->data(), y->data(), N, C, H, W, K, R, R, 1, pad, 1); };
  auto bwd_data = [=] {
    LS_DISPATCH(dev, conv2d_backward_data, y->data(), w->data(), dx->data(), N, C, H, W, K, R, R, 1, pad, 1);
  };
  auto bwd_weight = [=] {
    LS_DISPATCH(dev, conv2d_backward_weight, x->data(), y->data(), dw->data(), N, C, H, W, K, R, R, 1, pad, 1);
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

std::vector<BenchRow> bench_rows(Device dev) {
  ls::Rng rng(1);
  std::vector<BenchRow> rows{sgemm_row(dev, 2048, rng)};
  for (BenchRow& r : conv_rows(dev, 32, 64, 64, 32, 32, 3, 1, rng)) rows.push_back(std::move(r));
  return rows;
}

double median_seconds(const BenchRow& row, Device dev, int repeats) {
  row.run();  // warm-up
  ls::device_synchronize(dev);
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    row.run();
    ls::device_synchronize(dev);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return repeats % 2 ? t[size_t(repeats / 2)] : 0.5 * (t[size_t(repeats / 2 - 1)] + t[size_t(repeats / 2)]);
}

void setup(CLI::App& app) {
  auto device = std::make_shared<std::string>("cpu");
  auto repeats = std::make_shared<int>(7);
  app.add_option("--device", *device, "cpu or cuda")->capture_default_str();
  app.add_option("--repeats", *repeats, "timed runs per row (the median is reported)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.callback([device, repeats] {
    const Device dev = ls::parse_device(device->c_str());
    if (dev == Device::CPU) fmt::print("BLAS: {} ({} threads)\n", ls::cpu::blas_config(), ls::cpu::blas_threads());
    fmt::print("device {}, median of {} runs\n\n", ls::device_name(dev), *repeats);
    fmt::print("| {:<42} | {:>10} | {:>8} | {:>9} |\n", "kernel", "median ms", "GFLOP/s", "vs sgemm");
    fmt::print("| {:-<42} | {:->10} | {:->8} | {:->9} |\n", "", "", "", "");
    double reference = 0;
    for (const BenchRow& row : bench_rows(dev)) {
      const double s = median_seconds(row, dev, *repeats), rate = row.flops / s / 1e9;
      if (row.is_reference) reference = rate;
      fmt::print("| {:<42} | {:>10.2f} | {:>8.1f} | {:>8.0f}% |\n", row.name, 1e3 * s, rate, 100 * rate / reference);
    }
  });
}

LS_COMMAND("bench", "time the compute kernels against the BLAS's own SGEMM rate", setup);

}  // namespace
