// kernels/emu/include/cuda_runtime.h — the emulated CUDA device's runtime header. In the emulated build
// (-DLAYERSEG_CUDA_EMULATION=ON) this folder comes first on the include path, so kernels/cuda/*.cu compile as host
// C++ against it, unchanged: the code nvcc compiles is the code that runs.
// What it provides is exactly what kernels/cuda uses, with the documented CUDA semantics:
//  - the runtime API subset (memory, copies, streams, events, errors, device queries) over the emulated device memory
//    of kernels/emu/memory.cpp: guarded allocations the host cannot dereference;
//  - cudaLaunchKernel(kernel, grid, block, args, ...), the C++ template of the real header: every GPU thread runs the
//    kernel body as a fiber (kernels/emu/engine.cpp) with its own threadIdx, blocks and threads in a seeded shuffled
//    order, __syncthreads() and warp shuffles as real barriers;
//  - the device builtins: __global__/__device__ qualifiers, threadIdx & co., __shared__, atomicAdd, the __f*_rn /
//    __d*_rn intrinsics rounded once per operation (never fused), and the integer min/max of CUDA's math library.
// Kernel arguments are scanned for host pointers before a launch; memory faults name the kernel (kernels/emu/README
// in docs/CUDA.md tells the whole story).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

// ---- qualifiers -------------------------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
// One block runs at a time (kernels/emu/engine.cpp), so a function-local static is exactly one block's shared memory.
#define __shared__ static

// ---- vector types and launch geometry ----------------------------------------------------------------------------
struct uint3 {
  unsigned int x, y, z;
};
struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
};

// ---- runtime types -------------------------------------------------------------------------------------------------
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInitializationError = 3,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorInsufficientDriver = 35,
  cudaErrorDevicesUnavailable = 46,
  cudaErrorInvalidDevice = 101,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorIllegalAddress = 700,
  cudaErrorLaunchFailure = 719,
};
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
struct CUstream_st;
struct CUevent_st;
typedef CUstream_st* cudaStream_t;
typedef CUevent_st* cudaEvent_t;
constexpr unsigned int cudaStreamNonBlocking = 0x01;

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  int multiProcessorCount, major, minor, warpSize, maxThreadsPerBlock;
  size_t sharedMemPerBlock;
};

// ---- runtime API ---------------------------------------------------------------------------------------------------
cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaSetDevice(int device);  // the one emulated device: 0
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device);
cudaError_t cudaGetLastError();
const char* cudaGetErrorString(cudaError_t error);
cudaError_t cudaMalloc(void** ptr, size_t bytes);
cudaError_t cudaFree(void* ptr);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream = 0);
cudaError_t cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t height,
                              cudaMemcpyKind kind, cudaStream_t stream = 0);
cudaError_t cudaMemsetAsync(void* ptr, int value, size_t bytes, cudaStream_t stream = 0);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaEventCreate(cudaEvent_t* event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = 0);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end);
cudaError_t cudaEventDestroy(cudaEvent_t event);

// ---- the engine's interface to device code (kernels/emu/engine.cpp) ------------------------------------------------
namespace ls::emu {

// The GPU thread running now and its block; set by the scheduler before it resumes a thread.
extern uint3 g_thread_idx, g_block_idx;
extern dim3 g_block_dim, g_grid_dim;

// Waits for every thread of the block at this barrier; `file`/`line` identify the call site (threads at different
// barriers are a divergence error).
void block_barrier(const char* file, int line);
// A warp shuffle: every lane of `mask` deposits `bytes` of `in`, waits for the others, and reads the deposit of lane
// (own lane + delta), or its own when that is past the warp.
void warp_shuffle_down(unsigned mask, const void* in, void* out, size_t bytes, unsigned delta, int width);
// Aborts with a message naming the kernel when p is not inside live device memory (atomics go through this).
void check_device_address(const void* p, size_t bytes, const char* what);

// One argument of a launch, as the bytes the kernel receives (scanned for pointers, host ones replaced by traps).
struct ArgBytes {
  void* data;
  size_t size;
};
// The type-erased launch: `run_thread(body)` executes the kernel body once for the current GPU thread.
cudaError_t launch(int kernel_id, const void* kernel, dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream,
                   const ArgBytes* args, int n_args, void (*run_thread)(const void* body), const void* body);
// Records a kernel (by its mangled function type) as compiled into this program; returns its id.
int register_kernel(const char* mangled_type);

// Every kernel type is registered during static initialisation, so the emulator knows the kernels that exist
// before any runs (tests check each ran: tests/test_cuda_emulation.cpp).
template <class Kernel>
struct KernelRegistration {
  static const int id;
};
template <class Kernel>
const int KernelRegistration<Kernel>::id = register_kernel(typeid(Kernel).name());

template <class Params, class Fn, size_t... I>
void apply_to(const void* body) {
  const auto& b = *static_cast<const std::pair<Fn, Params>*>(body);
  b.first(std::get<I>(b.second)...);  // parameters by value: each GPU thread gets its own copies
}
template <class Fn, class Params, size_t... I>
cudaError_t launch_typed(int id, Fn fn, dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream, void** args,
                         std::index_sequence<I...>) {
  std::pair<Fn, Params> body{fn, Params(*static_cast<std::tuple_element_t<I, Params>*>(args[I])...)};
  const ArgBytes bytes[sizeof...(I) + 1] = {{&std::get<I>(body.second), sizeof(std::get<I>(body.second))}...,
                                            {nullptr, 0}};
  return launch(id, reinterpret_cast<const void*>(fn), grid, block, shared_bytes, stream, bytes, int(sizeof...(I)),
                &apply_to<Params, Fn, I...>, &body);
}

}  // namespace ls::emu

// The C++ launch API of the real cuda_runtime.h: args[i] points at the i-th parameter's value.
template <class... P>
cudaError_t cudaLaunchKernel(void (*func)(P...), dim3 grid, dim3 block, void** args, size_t shared_bytes = 0,
                             cudaStream_t stream = 0) {
  using Params = std::tuple<std::decay_t<P>...>;
  return ls::emu::launch_typed<void (*)(P...), Params>(ls::emu::KernelRegistration<void(P...)>::id, func, grid, block,
                                                       shared_bytes, stream, args, std::index_sequence_for<P...>{});
}

// ---- device builtins -----------------------------------------------------------------------------------------------
#define threadIdx (static_cast<const uint3&>(::ls::emu::g_thread_idx))
#define blockIdx (static_cast<const uint3&>(::ls::emu::g_block_idx))
#define blockDim (static_cast<const dim3&>(::ls::emu::g_block_dim))
#define gridDim (static_cast<const dim3&>(::ls::emu::g_grid_dim))
constexpr int warpSize = 32;
#define __syncthreads() ::ls::emu::block_barrier(__FILE__, __LINE__)

template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  static_assert(std::is_trivially_copyable<T>::value && sizeof(T) <= 8, "shuffles move 4- or 8-byte values");
  T out;
  ls::emu::warp_shuffle_down(mask, &var, &out, sizeof(T), delta, width);
  return out;
}

// One block runs at a time and its threads are fibers of one OS thread, so a read-modify-write is atomic; the order
// of a block's atomics follows the shuffled schedule, as unspecified as on a GPU.
template <class T>
T emulated_atomic_add(T* address, T value) {
  ls::emu::check_device_address(address, sizeof(T), "atomicAdd");
  const T old = *address;
  *address = old + value;
  return old;
}
inline float atomicAdd(float* address, float value) { return emulated_atomic_add(address, value); }
inline double atomicAdd(double* address, double value) { return emulated_atomic_add(address, value); }
inline int atomicAdd(int* address, int value) { return emulated_atomic_add(address, value); }
inline unsigned atomicAdd(unsigned* address, unsigned value) { return emulated_atomic_add(address, value); }

// Round-to-nearest single operations: the empty asm makes the rounded result opaque, so the host compiler cannot fuse
// it into a multiply-add (the emulated kernels are compiled with contraction on, as nvcc's --fmad=true).
#if defined(__x86_64__)
#define LS_EMU_ROUNDED(T, expr) \
  T r = (expr);                 \
  __asm__("" : "+x"(r));        \
  return r
#else
#define LS_EMU_ROUNDED(T, expr) \
  volatile T r = (expr);        \
  return r
#endif
inline float __fadd_rn(float a, float b) { LS_EMU_ROUNDED(float, a + b); }
inline float __fsub_rn(float a, float b) { LS_EMU_ROUNDED(float, a - b); }
inline float __fmul_rn(float a, float b) { LS_EMU_ROUNDED(float, a* b); }
inline float __fdiv_rn(float a, float b) { LS_EMU_ROUNDED(float, a / b); }
inline double __dadd_rn(double a, double b) { LS_EMU_ROUNDED(double, a + b); }
inline double __dsub_rn(double a, double b) { LS_EMU_ROUNDED(double, a - b); }
inline double __dmul_rn(double a, double b) { LS_EMU_ROUNDED(double, a* b); }
#undef LS_EMU_ROUNDED

// CUDA's math library has same-type integer min/max in the global namespace.
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline long min(long a, long b) { return a < b ? a : b; }
inline long max(long a, long b) { return a > b ? a : b; }
