// kernels/cuda/segmented_sum.cuh — the one reduction pattern of the backend: n_out independent sums of n_red terms
// each, in double, deterministic (a fixed tree per shape, no atomics), then a per-output finish.
//   segmented_sum(n_out, n_red, stream,
//                 [=] __device__ (int64_t o, int64_t r) -> double { ... term r of sum o ... },
//                 [=] __device__ (int64_t o, double total) { ... write output o ... });
// Losses (one sum), per-channel statistics (batch-norm, bias gradients), reductions over tensor axes and spectral
// norms are all this. Terms may write side outputs (a loss's gradient): each (o, r) is visited exactly once.
// Two shapes of work, picked from the sizes alone (so a shape always takes the same path, and the same bits):
//  - many outputs or short sums: one thread per output sums its terms in order r = 0, 1, … (the CPU's order);
//  - few long sums: blocks of kThreadsPerBlock split each sum `splits` ways, write one double per (o, split), and a
//    second kernel adds the splits of each output in order.
#pragma once
#include "kernels/cuda/check.cuh"

namespace ls::cuda {

// Sum over the block of one double per thread; the result is valid in thread 0. Every thread must call it.
__device__ inline double block_sum(double v) {
  __shared__ double warp_sums[32];
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads();  // an earlier call's reads of warp_sums are done
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < int(blockDim.x / 32) ? warp_sums[lane] : 0.0;
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  }
  return v;
}

template <class Term, class Finish>
__global__ void sum_per_thread_kernel(int64_t n_out, int64_t n_red, Term term, Finish finish) {
  LS_GRID_STRIDE_LOOP(o, n_out) {
    double acc = 0;
    for (int64_t r = 0; r < n_red; ++r) acc += term(o, r);
    finish(o, acc);
  }
}

// Block b handles split b % splits of output b / splits; blockDim.x must be kThreadsPerBlock (a multiple of 32).
template <class Term>
__global__ void split_sums_kernel(int64_t n_out, int64_t n_red, int splits, Term term, double* partial) {
  for (int64_t b = blockIdx.x; b < n_out * splits; b += gridDim.x) {
    const int64_t o = b / splits, s = b % splits;
    double acc = 0;
    for (int64_t r = s * blockDim.x + threadIdx.x; r < n_red; r += int64_t(splits) * blockDim.x) acc += term(o, r);
    acc = block_sum(acc);
    if (threadIdx.x == 0) partial[b] = acc;
  }
}

template <class Finish>
__global__ void finish_splits_kernel(int64_t n_out, int splits, const double* partial, Finish finish) {
  LS_GRID_STRIDE_LOOP(o, n_out) {
    double acc = 0;
    for (int s = 0; s < splits; ++s) acc += partial[o * splits + s];
    finish(o, acc);
  }
}

// Sums of at most this many terms, or this many outputs or more, run one thread per output.
constexpr int64_t kSerialSumLength = 256, kParallelOutputs = 4096;
// Each split sums at least this many terms; a launch has at most kMaxSplitBlocks blocks' worth of splits.
constexpr int64_t kTermsPerSplit = 4096, kMaxSplitBlocks = 1024;

template <class Term, class Finish>
void segmented_sum(int64_t n_out, int64_t n_red, cudaStream_t s, Term term, Finish finish) {
  if (n_out <= 0) return;
  if (n_red <= kSerialSumLength || n_out >= kParallelOutputs) {
    launch_linear(sum_per_thread_kernel<Term, Finish>, n_out, s, n_red, term, finish);
    return;
  }
  const int64_t by_length = (n_red + kTermsPerSplit - 1) / kTermsPerSplit;
  const int64_t by_blocks = kMaxSplitBlocks / n_out > 1 ? kMaxSplitBlocks / n_out : 1;
  const int splits = int(by_length < by_blocks ? by_length : by_blocks);
  const int64_t blocks = n_out * splits;
  // Scratch from the caching allocator: freed right after the launches, reused in stream order.
  double* partial = static_cast<double*>(device_alloc(size_t(blocks) * sizeof(double)));
  launch(split_sums_kernel<Term>, dim3(unsigned(blocks < kMaxSplitBlocks ? blocks : kMaxSplitBlocks)),
         dim3(kThreadsPerBlock), s, n_out, n_red, splits, term, partial);
  launch_linear(finish_splits_kernel<Finish>, n_out, s, splits, static_cast<const double*>(partial), finish);
  device_free(partial);
}

}  // namespace ls::cuda
