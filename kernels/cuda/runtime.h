// kernels/cuda/runtime.h — the CUDA backend's plumbing: error checks with file and line, the one compute stream,
// the caching allocator, cuBLAS/cuDNN handles created once, the math and determinism modes.
// Plain C++ header (no CUDA types leak into core/): streams are passed as cudaStream_t, declared below.
// Tested by tests/test_cuda_kernels.cpp: build/layerseg_tests --gtest_filter='CudaKernels*' (skips without a GPU).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

struct CUstream_st;
using cudaStream_t = CUstream_st*;

namespace ls::cuda {

// The CUDA devices present (never throws). 0 when there is none; a failing GPU is not "no GPU": when
// cudaGetDeviceCount fails for any reason but cudaErrorNoDevice (driver too old, no libcuda, a busy device) the count
// is 0, the error goes to *error, and the first such call prints it on stderr.
int device_count(std::string* error = nullptr);
// Makes `ordinal` this process's device (one per rank of a data-parallel job); before any other CUDA call.
void set_device(int ordinal);
cudaStream_t stream();  // the compute stream every op runs on
void synchronize();     // waits for the compute stream

// Caching allocator: blocks are kept in per-size free lists and reused on the one compute stream (stream order makes
// reuse safe without events), so a training step in steady state makes no cudaMalloc call. Sizes round up to 512 B
// (≤ 1 MiB) or 2 MiB granules.
void* device_alloc(size_t bytes);
void device_free(void* p);
struct AllocatorStats {
  uint64_t malloc_calls = 0;    // cudaMalloc calls so far
  uint64_t alloc_requests = 0;  // device_alloc calls so far
  uint64_t cache_hits = 0;
  size_t bytes_in_use = 0, bytes_cached = 0, peak_bytes_in_use = 0;
};
AllocatorStats allocator_stats();
std::string allocator_report();
void release_cached_memory();
// Test switch: every block handed out (fresh or reused) is first filled with 0xFF bytes, a NaN in every float, so a
// kernel that forgets to write part of its output is caught by the NaN check of the comparison suite.
void set_poison_fill(bool on);

// Copies between host and device or device and device; host-side results are complete on return.
void copy(void* dst, bool dst_on_device, const void* src, bool src_on_device, size_t bytes);
void zero(void* p, size_t bytes);

// Math mode for cuDNN/cuBLAS: FP32 (the default, and what the tests use) or TF32 tensor cores (allowed for speed;
// changes convolution and GEMM results at the 1e-3 level).
void set_allow_tf32(bool on);
bool allow_tf32();
// Deterministic mode: cuDNN algorithms that accumulate with atomics are excluded, so two runs give identical bits.
void set_deterministic(bool on);
bool deterministic();

[[noreturn]] void fail_cuda(const char* file, int line, const char* expr, const std::string& what);

}  // namespace ls::cuda
