// kernels/cuda/check.cuh — CUDA-side helpers shared by every .cu file: checked calls and the launch helpers.
//   LS_CUDA_CHECK(cudaMemcpyAsync(...));  LS_CUBLAS_CHECK(...);  LS_CUDNN_CHECK(...);
//   launch(kernel, grid, block, stream, args...)  — the one launch site of the backend (cudaLaunchKernel), checked;
//   launch_linear(kernel, n, stream, args...)  — grid from n, kernel(n, args...) loops grid-stride, launch checked;
//   for_each(n, stream, [=] __device__ (int64_t i) {...})  — the same with a device lambda as the loop body.
// Every launch goes through cudaLaunchKernel rather than <<<>>>, so the emulated device (kernels/emu) runs these
// sources unchanged as host C++.
// Set LAYERSEG_CUDA_SYNC=1 to synchronise after every launch, so an asynchronous fault names the launcher that
// caused it instead of a later call.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <utility>

#include "kernels/cuda/runtime.h"

// A failed runtime call also becomes the thread's last error; it is cleared before throwing, or the next launch check
// would report it again as its own.
#define LS_CUDA_CHECK(expr)                                       \
  do {                                                            \
    const cudaError_t ls_err_ = (expr);                           \
    if (ls_err_ != cudaSuccess) {                                 \
      const std::string ls_what_ = cudaGetErrorString(ls_err_);   \
      cudaGetLastError();                                         \
      ::ls::cuda::fail_cuda(__FILE__, __LINE__, #expr, ls_what_); \
    }                                                             \
  } while (0)
#define LS_CUBLAS_CHECK(expr)                                                          \
  do {                                                                                 \
    const cublasStatus_t ls_st_ = (expr);                                              \
    if (ls_st_ != CUBLAS_STATUS_SUCCESS)                                               \
      ::ls::cuda::fail_cuda(__FILE__, __LINE__, #expr, cublasGetStatusString(ls_st_)); \
  } while (0)
#define LS_CUDNN_CHECK(expr)                                                                                           \
  do {                                                                                                                 \
    const cudnnStatus_t ls_st_ = (expr);                                                                               \
    if (ls_st_ != CUDNN_STATUS_SUCCESS) ::ls::cuda::fail_cuda(__FILE__, __LINE__, #expr, cudnnGetErrorString(ls_st_)); \
  } while (0)
// After a launch: the launch itself (bad configuration) and, under LAYERSEG_CUDA_SYNC=1, the kernel's execution.
#define LS_CUDA_CHECK_LAUNCH(stream)                                                   \
  do {                                                                                 \
    LS_CUDA_CHECK(cudaGetLastError());                                                 \
    if (::ls::cuda::sync_after_launch()) LS_CUDA_CHECK(cudaStreamSynchronize(stream)); \
  } while (0)

#define LS_GRID_STRIDE_LOOP(i, n) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(blockDim.x) * gridDim.x)

namespace ls::cuda {

cublasHandle_t cublas_on(cudaStream_t s);  // the one handle, bound to s, its workspace from the caching allocator
cudnnHandle_t cudnn();                     // the one handle; kernels/cuda/conv_cudnn.cu binds its stream per call
bool sync_after_launch();                  // LAYERSEG_CUDA_SYNC=1

constexpr int kThreadsPerBlock = 256;

// Blocks for n threads' worth of work, capped: the kernels loop grid-stride, so any n fits the capped grid.
inline unsigned blocks_for(int64_t n, int threads = kThreadsPerBlock) {
  const int64_t b = (n + threads - 1) / threads;
  return unsigned(b < 1 ? 1 : (b > 65535LL * 32 ? 65535LL * 32 : b));
}

template <class... Params, size_t... I>
void launch_values(void (*kernel)(Params...), dim3 grid, dim3 block, cudaStream_t s, std::tuple<Params...>& values,
                   std::index_sequence<I...>) {
  void* args[] = {static_cast<void*>(&std::get<I>(values))..., nullptr};
  LS_CUDA_CHECK(cudaLaunchKernel(kernel, grid, block, args, 0, s));
  LS_CUDA_CHECK_LAUNCH(s);
}

// kernel<<<grid, block, 0, s>>>(args...): the arguments are converted to the kernel's parameter types first.
template <class... Params, class... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, cudaStream_t s, Args... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "launch: the kernel takes another number of arguments");
  std::tuple<Params...> values(args...);
  launch_values(kernel, grid, block, s, values, std::index_sequence_for<Params...>{});
}

// Kernels launched this way take n first and loop with LS_GRID_STRIDE_LOOP.
template <class... Params, class... Args>
void launch_linear(void (*kernel)(int64_t, Params...), int64_t n, cudaStream_t s, Args... args) {
  if (n <= 0) return;
  launch(kernel, dim3(blocks_for(n)), dim3(kThreadsPerBlock), s, n, args...);
}

template <class F>
__global__ void for_each_kernel(int64_t n, F f) {
  LS_GRID_STRIDE_LOOP(i, n) f(i);
}

// f(i) for every i < n, one thread per element: the shape of every element-wise kernel in this backend.
template <class F>
void for_each(int64_t n, cudaStream_t s, F f) {
  launch_linear(for_each_kernel<F>, n, s, f);
}

}  // namespace ls::cuda
