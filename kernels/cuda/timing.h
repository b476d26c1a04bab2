// kernels/cuda/timing.h — what `layerseg bench --device cuda` (apps/cmd_bench_cuda.cpp) measures with: CUDA-event
// timing of work enqueued on the compute stream, the device's copy bandwidth measured the same way, and a device
// summary.
#pragma once
#include <functional>
#include <string>

namespace ls::cuda {

// Runs run(i) for i = 0 … warmup − 1 untimed, then `repeats` times each bracketed by CUDA events on stream();
// returns the median in milliseconds. run(i) only enqueues work (rotate inputs by i so caches do not flatter).
double median_ms(const std::function<void(int)>& run, int warmup, int repeats);

// Device-to-device copy bandwidth in GB/s (bytes read + bytes written per second) for a copy of `bytes`, median of
// `repeats` copies: the 100 % against which bandwidth-bound kernels are judged.
double copy_bandwidth_gbs(size_t bytes, int repeats);

// "NVIDIA H100 80GB HBM3, 132 SMs, 79.1 GiB, sm_90".
std::string device_summary();

}  // namespace ls::cuda
