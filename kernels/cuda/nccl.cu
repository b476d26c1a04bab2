// kernels/cuda/nccl.cu — kernels/cuda/nccl.h on NCCL: the communicator and the checked, deadline-bounded all-reduce.
#include <nccl.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/nccl.h"
#include "kernels/error.h"

#define LS_NCCL_CHECK(expr)                                                                        \
  do {                                                                                             \
    const ncclResult_t ls_nccl_ = (expr);                                                          \
    if (ls_nccl_ != ncclSuccess)                                                                   \
      ::ls::fail_at(__FILE__, __LINE__, std::string(#expr) + ": " + ncclGetErrorString(ls_nccl_)); \
  } while (0)

namespace ls::cuda {
namespace {
ncclComm_t g_comm = nullptr;
}  // namespace

size_t nccl_id_bytes() { return sizeof(ncclUniqueId); }

std::string nccl_unique_id() {
  ncclUniqueId id;
  LS_NCCL_CHECK(ncclGetUniqueId(&id));
  return std::string(reinterpret_cast<const char*>(&id), sizeof id);
}

void nccl_init(const std::string& id, int rank, int ranks) {
  LS_CHECK(id.size() == sizeof(ncclUniqueId), "nccl_init: an id of {} bytes, expected {}", id.size(),
           sizeof(ncclUniqueId));
  LS_CHECK(g_comm == nullptr, "nccl_init: the communicator exists already");
  ncclUniqueId uid;
  std::memcpy(&uid, id.data(), sizeof uid);
  LS_NCCL_CHECK(ncclCommInitRank(&g_comm, ranks, uid, rank));
}

void nccl_allreduce_sum(float* data, size_t n, cudaStream_t stream, double timeout_s) {
  LS_CHECK(g_comm != nullptr, "nccl_allreduce_sum before nccl_init");
  LS_NCCL_CHECK(ncclAllReduce(data, data, n, ncclFloat, ncclSum, g_comm, stream));
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const cudaError_t e = cudaStreamQuery(stream);
    if (e == cudaSuccess) return;
    if (e != cudaErrorNotReady) LS_CUDA_CHECK(e);
    ncclResult_t async = ncclSuccess;
    LS_NCCL_CHECK(ncclCommGetAsyncError(g_comm, &async));
    if (async != ncclSuccess ||
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > timeout_s) {
      ncclCommAbort(g_comm);
      g_comm = nullptr;
      LS_FAIL("the NCCL all-reduce of {} floats {} (a rank died or hangs)", n,
              async != ncclSuccess ? std::string("failed: ") + ncclGetErrorString(async)
                                   : fmt::format("did not finish within {:.0f} s", timeout_s));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

}  // namespace ls::cuda
