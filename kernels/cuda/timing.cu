// kernels/cuda/timing.cu — kernels/cuda/timing.h. Events are recorded on the compute stream around each run, so the
// time is the GPU's (launch gaps included, host overhead outside the stream excluded).
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/timing.h"

namespace ls::cuda {

double median_ms(const std::function<void(int)>& run, int warmup, int repeats) {
  for (int i = 0; i < warmup; ++i) run(i);
  std::vector<cudaEvent_t> events(static_cast<size_t>(repeats) + 1);
  for (cudaEvent_t& e : events) LS_CUDA_CHECK(cudaEventCreate(&e));
  LS_CUDA_CHECK(cudaEventRecord(events[0], stream()));
  for (int i = 0; i < repeats; ++i) {
    run(warmup + i);
    LS_CUDA_CHECK(cudaEventRecord(events[size_t(i) + 1], stream()));
  }
  LS_CUDA_CHECK(cudaEventSynchronize(events.back()));
  std::vector<double> ms(static_cast<size_t>(repeats));
  for (size_t i = 0; i < ms.size(); ++i) {
    float t = 0;
    LS_CUDA_CHECK(cudaEventElapsedTime(&t, events[i], events[i + 1]));
    ms[i] = t;
  }
  for (cudaEvent_t& e : events) LS_CUDA_CHECK(cudaEventDestroy(e));
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

double copy_bandwidth_gbs(size_t bytes, int repeats) {
  void* src = device_alloc(bytes);
  void* dst = device_alloc(bytes);
  zero(src, bytes);
  const double ms = median_ms(
      [&](int) { LS_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream())); }, 3, repeats);
  device_free(src);
  device_free(dst);
  return 2.0 * double(bytes) / (ms * 1e6);
}

std::string device_summary() {
  int dev = 0;
  LS_CUDA_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp p{};
  LS_CUDA_CHECK(cudaGetDeviceProperties(&p, dev));
  return fmt::format("{}, {} SMs, {:.1f} GiB, sm_{}{}", p.name, p.multiProcessorCount,
                     double(p.totalGlobalMem) / double(1 << 30), p.major, p.minor);
}

}  // namespace ls::cuda
