// tests/emu/test_emulator.cpp — the emulated CUDA device checks itself: toy kernels with the bugs it exists to catch
// (an out-of-bounds write, a kernel reading host memory, a host dereference of device memory, a shared-memory
// reduction missing one __syncthreads(), divergent barriers, a shuffle with an exited lane), a GEMM with a wrong
// transpose flag, a copy in the wrong direction, and a GPU that fails to come up. A harness that missed one of these
// would let the same bug through in kernels/cuda. Built only with -DLAYERSEG_CUDA_EMULATION=ON (label cuda-emu):
//   build-emu/layerseg_tests --gtest_filter='EmuHarness*'
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/rng.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cuda/check.cuh"
#include "kernels/error.h"
#include "tests/emu/shell.h"
#include "tests/error_message.h"
#include "tests/test_cuda_util.h"

// Toy kernels: outside any namespace that kernels/cuda uses, so the launch-coverage test does not count them, and with
// external linkage, so the emulator can name them.
namespace ls::emu_test {

__global__ void write_one_past_the_end(float* p, int n) {
  if (blockIdx.x == 0 && threadIdx.x == 0) p[n] = 1.f;  // the bug: index n of an n-element array
}

__global__ void read_through_pointer(const float* p, float* out) {
  if (threadIdx.x == 0) *out = *p;
}

// Sum of 256 values by a shared-memory tree; with_barrier = false drops the __syncthreads() between the levels.
template <bool with_barrier>
__global__ void tree_sum(const float* x, float* out) {
  __shared__ float partial[256];
  const unsigned t = threadIdx.x;
  partial[t] = x[t];
  __syncthreads();
  for (unsigned half = 128; half > 0; half /= 2) {
    if (t < half) partial[t] += partial[t + half];
    if (with_barrier) __syncthreads();
  }
  if (t == 0) *out = partial[0];
}

__global__ void divergent_barriers(float* out) {
  if (threadIdx.x < 32) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 0.f;
}

__global__ void shuffle_after_lane_exit(float* out) {
  if (threadIdx.x == 5) return;
  out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.f, 1);
}

}  // namespace ls::emu_test

namespace ls::test {
namespace {

float* device_floats(size_t n) {
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, n * sizeof(float)), cudaSuccess);
  return static_cast<float*>(p);
}

void upload(float* dst, const std::vector<float>& src) {
  ASSERT_EQ(cudaMemcpyAsync(dst, src.data(), src.size() * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
}

std::vector<float> download(const float* src, size_t n) {
  std::vector<float> v(n);
  EXPECT_EQ(cudaMemcpyAsync(v.data(), src, n * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
  return v;
}

// A write one element past a block whose size is a multiple of 256 hits the guard page at once; past any other size it
// lands in the alignment slack, whose pattern is checked after the launch. Both name the kernel.
TEST(EmuHarness, OutOfBoundsWriteNamesTheKernel) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        float* p = device_floats(64);
        cuda::launch(emu_test::write_one_past_the_end, dim3(1), dim3(32), nullptr, p, 64);
      },
      "invalid access by kernel .*write_one_past_the_end.*0 bytes past the end of a 256-byte allocation");
  EXPECT_DEATH(
      {
        float* p = device_floats(10);
        cuda::launch(emu_test::write_one_past_the_end, dim3(1), dim3(32), nullptr, p, 10);
      },
      "out-of-bounds a write to .*0 bytes past the end of a 40-byte allocation.* by kernel "
      ".*write_one_past_the_end");
}

// A kernel that dereferences a host pointer it was given dies naming the kernel, the pointer and the argument.
TEST(EmuHarness, KernelReadingHostMemoryNamesTheKernel) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::vector<float> host(4, 1.f);
  EXPECT_DEATH(cuda::launch(emu_test::read_through_pointer, dim3(1), dim3(32), nullptr,
                            static_cast<const float*>(host.data()), device_floats(1)),
               "kernel .*read_through_pointer.* dereferenced the host pointer 0x[0-9a-f]+ passed in its argument 0");
  // The same kernel on device memory runs.
  float* in = device_floats(1);
  float* out = device_floats(1);
  upload(in, {2.5f});
  cuda::launch(emu_test::read_through_pointer, dim3(1), dim3(32), nullptr, static_cast<const float*>(in), out);
  EXPECT_EQ(download(out, 1)[0], 2.5f);
}

TEST(EmuHarness, HostDereferenceOfDeviceMemoryFaults) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        float* p = device_floats(16);
        std::printf("%f\n", double(p[3]));
      },
      "invalid access by host code .*offset 12 of a 64-byte allocation");
}

// The shuffled schedule runs the threads of a block one after another between barriers in a random order: without the
// barrier a thread reads partial[t + half] before its owner has added into it, and the sum comes out wrong.
TEST(EmuHarness, MissingBarrierInSharedMemoryReductionGivesWrongSums) {
  std::vector<float> x(256);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7 + 1);  // small integers: every order sums exactly
  float expected = 0.f;
  for (float v : x) expected += v;
  float* in = device_floats(256);
  float* out = device_floats(1);
  upload(in, x);
  int wrong_without = 0;
  for (int launch = 0; launch < 8; ++launch) {
    cuda::launch(emu_test::tree_sum<true>, dim3(1), dim3(256), nullptr, static_cast<const float*>(in), out);
    EXPECT_EQ(download(out, 1)[0], expected) << "the correct reduction, launch " << launch;
    cuda::launch(emu_test::tree_sum<false>, dim3(1), dim3(256), nullptr, static_cast<const float*>(in), out);
    wrong_without += download(out, 1)[0] != expected;
  }
  EXPECT_GE(wrong_without, 7) << "without its barrier the reduction must come out wrong (8 shuffled launches)";
}

TEST(EmuHarness, DivergentBarriersAndShufflesWithExitedLanesAreErrors) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(cuda::launch(emu_test::divergent_barriers, dim3(1), dim3(64), nullptr, device_floats(64)),
               "divergent_barriers.*barrier divergence");
  EXPECT_DEATH(cuda::launch(emu_test::shuffle_after_lane_exit, dim3(1), dim3(32), nullptr, device_floats(32)),
               "shuffle_after_lane_exit.*lane 5 of warp 0 has exited");
}

// Row-major C = A·B through cuBLAS's column-major SGEMM (the operand swap of kernels/cuda/gemm.cu): the right flags
// match the CPU; a transposed flag on a square problem computes another product, and on a non-square one breaks the
// documented leading-dimension rule and is refused.
TEST(EmuHarness, GemmWithAWrongTransposeFlagIsCaught) {
  const int M = 5, N = 5, K = 5;
  Rng rng(3);
  std::vector<float> a(M * K), b(K * N), want(M * N);
  rng.fill_uniform(a.data(), a.size(), -1.f, 1.f);
  rng.fill_uniform(b.data(), b.size(), -1.f, 1.f);
  cpu::gemm(false, false, M, N, K, 1.f, a.data(), K, b.data(), N, 0.f, want.data(), N);
  float *da = device_floats(a.size()), *db = device_floats(b.size()), *dc = device_floats(want.size());
  upload(da, a);
  upload(db, b);
  cublasHandle_t h = cuda::cublas_on(cuda::stream());
  const float one = 1.f, zero = 0.f;
  ASSERT_EQ(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &one, db, N, da, K, &zero, dc, N), CUBLAS_STATUS_SUCCESS);
  EXPECT_TRUE(compare_close(download(dc, want.size()), want, 1e-6f, 1e-6f).empty());
  ASSERT_EQ(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &one, db, N, da, K, &zero, dc, N), CUBLAS_STATUS_SUCCESS);
  EXPECT_FALSE(compare_close(download(dc, want.size()), want, 1e-3f, 1e-3f).empty()) << "a transposed B went unseen";
  // 3x7 times 7x2: with B marked transposed, ldb = N = 2 is below the K = 7 its stored shape needs.
  EXPECT_EQ(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, 2, 3, 7, &one, db, 2, da, 7, &zero, dc, 2),
            CUBLAS_STATUS_INVALID_VALUE);
}

TEST(EmuHarness, CopyInTheWrongDirectionIsAnError) {
  std::vector<float> host(8, 0.f);
  float* dev = device_floats(8);
  EXPECT_EQ(cudaMemcpyAsync(host.data(), dev, 32, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  EXPECT_NE(std::string(cudaGetErrorString(cudaErrorInvalidValue)).find("not 32 bytes of device memory"),
            std::string::npos);
  EXPECT_EQ(cudaMemcpyAsync(dev, host.data(), 32, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpyAsync(dev, host.data(), 64, cudaMemcpyHostToDevice), cudaErrorInvalidValue);  // past the end
  EXPECT_EQ(cudaMemcpyAsync(dev, host.data(), 32, cudaMemcpyHostToDevice), cudaSuccess);
  // Through the backend's checked copy, the error names the call site and the reason.
  const std::string msg = error_message([&] { cuda::copy(host.data(), true, dev, true, 32); });
  EXPECT_NE(msg.find("cudaMemcpyAsync"), std::string::npos) << msg;
}

// A machine whose GPU fails to come up (here: the emulator told to fail as an old driver does) must not pass for a
// machine without a GPU: the error is reported, and with LAYERSEG_REQUIRE_CUDA=1 the CUDA tests fail.
TEST(EmuHarness, FailingDeviceIsReportedAndFailsRequiredCudaTests) {
  const std::string self = "/proc/" + std::to_string(getpid()) + "/exe";
  const auto run = [&](const std::string& env) {
    const Shell r = shell(env + " LAYERSEG_EMU_LAUNCH_LOG= " + self +
                          " --gtest_filter=CudaKernels.PoisonFillMakesUnwrittenMemoryNaN");
    return std::make_pair(r.status, r.out);
  };
  const auto [required_status, required_out] =
      run("LAYERSEG_EMU_DEVICE_ERROR=insufficient_driver LAYERSEG_REQUIRE_CUDA=1");
  EXPECT_NE(required_status, 0) << required_out;
  EXPECT_NE(required_out.find("CUDA driver version is insufficient"), std::string::npos) << required_out;
  const auto [optional_status, optional_out] =
      run("LAYERSEG_EMU_DEVICE_ERROR=insufficient_driver LAYERSEG_REQUIRE_CUDA=0");
  EXPECT_EQ(optional_status, 0) << optional_out;
  EXPECT_NE(optional_out.find("SKIPPED"), std::string::npos) << optional_out;
  EXPECT_NE(optional_out.find("CUDA driver version is insufficient"), std::string::npos) << optional_out;
  // No device at all is the one quiet case: a skip that says so.
  const auto [none_status, none_out] = run("LAYERSEG_EMU_DEVICE_ERROR=no_device LAYERSEG_REQUIRE_CUDA=0");
  EXPECT_EQ(none_status, 0) << none_out;
  EXPECT_NE(none_out.find("no CUDA device is present"), std::string::npos) << none_out;
}

}  // namespace
}  // namespace ls::test
