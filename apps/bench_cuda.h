// apps/bench_cuda.h — the options of `layerseg bench`, parsed once by apps/cmd_bench.cpp for either device, and the
// CUDA half of the command, defined in apps/cmd_bench_cuda.cpp:
//   layerseg bench --device cuda [--repeats 50] [--warmup 5] [--tf32] [--filter compose]
#pragma once
#include <string>

namespace ls::app {

struct BenchOptions {
  int repeats = 0;     // timed runs per row; the median is reported
  int warmup = 0;      // untimed runs first
  bool tf32 = false;   // TF32 tensor cores in convolutions and GEMMs (CUDA only)
  std::string filter;  // only rows whose name contains this

  bool selects(const std::string& row) const { return filter.empty() || row.find(filter) != std::string::npos; }
};

// The CUDA kernel table, then a steady-state training step of a tiny layered GAN with the allocator's statistics.
// Fails with a clear message in a build without CUDA or on a machine without a device.
void run_cuda_bench(const BenchOptions& o);

}  // namespace ls::app
