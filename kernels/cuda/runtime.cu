// kernels/cuda/runtime.cu — the CUDA backend's plumbing (kernels/cuda/runtime.h): stream, handles, caching
// allocator, copies, math and determinism modes, error reporting.
// Tested by tests/test_cuda_kernels.cpp (CudaKernels.Allocator*): build/layerseg_tests --gtest_filter='CudaKernels*'
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "kernels/cuda/check.cuh"
#include "kernels/error.h"

namespace ls::cuda {

void fail_cuda(const char* file, int line, const char* expr, const std::string& what) {
  throw ls::Error(fmt::format("{}:{}: {} failed: {}", file, line, expr, what));
}

int device_count(std::string* error) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e == cudaSuccess) return n;
  const std::string what = fmt::format("cudaGetDeviceCount failed: {}", cudaGetErrorString(e));
  cudaGetLastError();  // clear the error so that later calls start clean
  if (e == cudaErrorNoDevice) return 0;
  static std::once_flag reported;
  std::call_once(reported, [&] { fmt::print(stderr, "layerseg: the CUDA device is unusable: {}\n", what); });
  if (error) *error = what;
  return 0;
}

void set_device(int ordinal) { LS_CUDA_CHECK(cudaSetDevice(ordinal)); }

bool sync_after_launch() {
  static const bool on = [] {
    const char* s = std::getenv("LAYERSEG_CUDA_SYNC");
    return s != nullptr && std::strcmp(s, "0") != 0;
  }();
  return on;
}

cudaStream_t stream() {
  static cudaStream_t s = [] {
    cudaStream_t created;
    LS_CUDA_CHECK(cudaStreamCreateWithFlags(&created, cudaStreamNonBlocking));
    return created;
  }();
  return s;
}

void synchronize() { LS_CUDA_CHECK(cudaStreamSynchronize(stream())); }

// The modes are plain flags: the GEMM and convolution launchers read them at each call, so they can be set before
// any device exists (and in CPU-only runs).
static bool g_allow_tf32 = false, g_deterministic = false;
void set_allow_tf32(bool on) { g_allow_tf32 = on; }
bool allow_tf32() { return g_allow_tf32; }
void set_deterministic(bool on) { g_deterministic = on; }
bool deterministic() { return g_deterministic; }

// cuBLAS would otherwise cudaMalloc its own workspace on first use; 32 MiB is NVIDIA's recommendation for Hopper.
constexpr size_t kCublasWorkspaceBytes = size_t(32) << 20;

cublasHandle_t cublas_on(cudaStream_t s) {
  static std::mutex mu;
  static cublasHandle_t h = nullptr;
  static cudaStream_t bound = nullptr;
  static void* workspace = nullptr;  // held for the life of the process
  std::lock_guard<std::mutex> lock(mu);
  const bool created = h == nullptr;
  if (created) {
    LS_CUBLAS_CHECK(cublasCreate(&h));
    workspace = device_alloc(kCublasWorkspaceBytes);
  }
  if (created || bound != s) {
    // cublasSetStream resets the workspace to cuBLAS's own pool, so the workspace is attached again after it.
    LS_CUBLAS_CHECK(cublasSetStream(h, s));
    LS_CUBLAS_CHECK(cublasSetWorkspace(h, workspace, kCublasWorkspaceBytes));
    bound = s;
  }
  return h;
}

cudnnHandle_t cudnn() {
  static cudnnHandle_t h = [] {
    cudnnHandle_t created;
    LS_CUDNN_CHECK(cudnnCreate(&created));
    LS_CUDNN_CHECK(cudnnSetStream(created, stream()));
    return created;
  }();
  return h;
}

// ---- caching allocator -------------------------------------------------------------------------------------------
namespace {
struct CachingAllocator {
  std::mutex mu;
  std::map<size_t, std::vector<void*>> free_blocks;  // by block size; best fit = lower_bound
  std::unordered_map<void*, size_t> live;            // block → its size
  AllocatorStats stats;
  bool poison = false;

  static size_t round_up(size_t bytes) {
    const size_t small = 512, large = size_t(2) << 20;
    return bytes <= (size_t(1) << 20) ? (bytes + small - 1) / small * small : (bytes + large - 1) / large * large;
  }

  void* alloc(size_t bytes) {
    const size_t want = round_up(bytes);
    std::lock_guard<std::mutex> lock(mu);
    ++stats.alloc_requests;
    void* p = nullptr;
    size_t size = want;
    // Reuse the smallest cached block that fits, if it wastes at most half of itself.
    auto it = free_blocks.lower_bound(want);
    if (it != free_blocks.end() && it->first <= 2 * want) {
      size = it->first;
      p = it->second.back();
      it->second.pop_back();
      if (it->second.empty()) free_blocks.erase(it);
      ++stats.cache_hits;
      stats.bytes_cached -= size;
    } else {
      if (cudaMalloc(&p, size) != cudaSuccess) {  // out of memory: give back what is cached, then try once more
        cudaGetLastError();
        release_locked();
        LS_CUDA_CHECK(cudaMalloc(&p, size));
      }
      ++stats.malloc_calls;
    }
    if (poison) LS_CUDA_CHECK(cudaMemsetAsync(p, 0xFF, size, stream()));
    live[p] = size;
    stats.bytes_in_use += size;
    if (stats.bytes_in_use > stats.peak_bytes_in_use) stats.peak_bytes_in_use = stats.bytes_in_use;
    return p;
  }

  void free(void* p) {
    if (!p) return;
    std::lock_guard<std::mutex> lock(mu);
    auto it = live.find(p);
    // Called from destructors, so it cannot throw: a pointer this allocator never handed out is a double free or a
    // foreign pointer, and continuing would corrupt the free lists.
    if (it == live.end()) {
      fmt::print(stderr, "ls::cuda::device_free: {} was not allocated by the caching allocator (double free?)\n", p);
      std::abort();
    }
    stats.bytes_in_use -= it->second;
    stats.bytes_cached += it->second;
    free_blocks[it->second].push_back(p);  // stream-ordered: later work on the one stream runs after earlier work
    live.erase(it);
  }

  void release_locked() {
    LS_CUDA_CHECK(cudaStreamSynchronize(stream()));
    for (auto& [size, blocks] : free_blocks)
      for (void* b : blocks) LS_CUDA_CHECK(cudaFree(b));
    free_blocks.clear();
    stats.bytes_cached = 0;
  }
};

CachingAllocator& allocator() {
  static CachingAllocator* a = new CachingAllocator;  // never destroyed: tensors may be freed during exit
  return *a;
}
}  // namespace

void* device_alloc(size_t bytes) { return allocator().alloc(bytes); }
void device_free(void* p) { allocator().free(p); }

AllocatorStats allocator_stats() {
  std::lock_guard<std::mutex> lock(allocator().mu);
  return allocator().stats;
}

std::string allocator_report() {
  const AllocatorStats s = allocator_stats();
  return fmt::format(
      "cuda allocator: {} requests, {} cache hits, {} cudaMalloc calls, {:.1f} MiB in use "
      "(peak {:.1f}), {:.1f} MiB cached",
      s.alloc_requests, s.cache_hits, s.malloc_calls, double(s.bytes_in_use) / (1 << 20),
      double(s.peak_bytes_in_use) / (1 << 20), double(s.bytes_cached) / (1 << 20));
}

void release_cached_memory() {
  std::lock_guard<std::mutex> lock(allocator().mu);
  allocator().release_locked();
}

void set_poison_fill(bool on) {
  std::lock_guard<std::mutex> lock(allocator().mu);
  allocator().poison = on;
}

void copy(void* dst, bool dst_on_device, const void* src, bool src_on_device, size_t bytes) {
  const cudaMemcpyKind kind = dst_on_device ? (src_on_device ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                                            : (src_on_device ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  LS_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, stream()));
  if (!dst_on_device || !src_on_device) synchronize();  // host memory is pageable and the caller reads it next
}

void zero(void* p, size_t bytes) { LS_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, stream())); }

}  // namespace ls::cuda
