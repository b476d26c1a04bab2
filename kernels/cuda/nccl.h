// kernels/cuda/nccl.h — the all-reduce between the GPUs of a data-parallel job, on NCCL (built with CUDA, NCCL and
// MPI; core/distributed.cpp calls it, MPI carries the communicator's id). One communicator per process.
//   std::string id = rank == 0 ? nccl_unique_id() : std::string(nccl_id_bytes(), '\0');  // then broadcast it
//   nccl_init(id, rank, ranks);
//   nccl_allreduce_sum(grads, n, stream());
#pragma once
#include <cstddef>
#include <string>

struct CUstream_st;
using cudaStream_t = CUstream_st*;

namespace ls::cuda {

size_t nccl_id_bytes();
std::string nccl_unique_id();
void nccl_init(const std::string& id, int rank, int ranks);
// In place on device memory, enqueued on `stream`, then waited for with a deadline of `timeout_s` seconds: a peer
// that died leaves NCCL waiting for ever, so past the deadline the communicator is aborted and this throws.
void nccl_allreduce_sum(float* data, size_t n, cudaStream_t stream, double timeout_s = 600);

}  // namespace ls::cuda
