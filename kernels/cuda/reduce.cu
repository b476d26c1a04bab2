// kernels/cuda/reduce.cu — the reductions of kernels/cuda/reduce.h. reduce_sum is a segmented sum
// (kernels/cuda/segmented_sum.cuh): output o sums the terms r = 0 … R − 1 running over the masked dims in row-major
// order, in double, then scales and rounds once, as the CPU does. expand is element-wise.
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*'.
#include "kernels/cuda/reduce.h"
#include "kernels/cuda/segmented_sum.cuh"

namespace ls::cuda {

// The dims of x split into kept (the output's) and masked (summed) ones, each with its element stride in x, so that
// output o and term r decode into an offset without looking at the mask again.
struct SplitDims {
  int n_kept = 0, n_masked = 0;
  // Zeroed past n_kept / n_masked: the struct travels to the device by value, and uninitialised stack bytes among
  // kernel arguments would look like host pointers to the emulated device's argument check.
  int64_t kept_size[4] = {}, kept_stride[4] = {}, masked_size[4] = {}, masked_stride[4] = {};
  int64_t outputs = 1, terms = 1;
};

static SplitDims split_dims(const Dims4& dims, unsigned mask) {
  SplitDims sd;
  int64_t stride = 1, strides[4];
  for (int k = 3; k >= 0; --k) strides[k] = stride, stride *= dims.d[k];
  for (int k = 0; k < 4; ++k) {
    if (mask & (1u << k)) {
      sd.masked_size[sd.n_masked] = dims.d[k], sd.masked_stride[sd.n_masked++] = strides[k];
      sd.terms *= dims.d[k];
    } else {
      sd.kept_size[sd.n_kept] = dims.d[k], sd.kept_stride[sd.n_kept++] = strides[k];
      sd.outputs *= dims.d[k];
    }
  }
  return sd;
}

// Offset in x of index i over dims (size[0..n), stride[0..n)), the last dim fastest.
__device__ inline int64_t decode(int64_t i, int n, const int64_t* size, const int64_t* stride) {
  int64_t off = 0;
  for (int k = n - 1; k >= 0; --k) {
    off += (i % size[k]) * stride[k];
    i /= size[k];
  }
  return off;
}

void reduce_sum(const float* x, float* y, Dims4 dims, unsigned mask, float scale, cudaStream_t s) {
  const SplitDims sd = split_dims(dims, mask);
  segmented_sum(
      sd.outputs, sd.terms, s,
      [=] __device__(int64_t o, int64_t r) {
        return double(x[decode(o, sd.n_kept, sd.kept_size, sd.kept_stride) +
                        decode(r, sd.n_masked, sd.masked_size, sd.masked_stride)]);
      },
      [=] __device__(int64_t o, double total) { y[o] = float(total * scale); });
}

// y (dims) = scale · x, with x's index stride 0 along the masked dims (as the CPU's expand).
void expand(const float* x, float* y, Dims4 dims, unsigned mask, float scale, cudaStream_t s) {
  Dims4 xs{};
  int64_t stride = 1;
  for (int k = 3; k >= 0; --k) {
    const bool m = mask & (1u << k);
    xs.d[k] = m ? 0 : stride;
    stride *= m ? 1 : dims.d[k];
  }
  const int64_t n = dims.d[0] * dims.d[1] * dims.d[2] * dims.d[3];
  for_each(n, s, [=] __device__(int64_t i) {
    int64_t off = 0, rest = i;
    for (int k = 3; k >= 0; --k) {
      off += (rest % dims.d[k]) * xs.d[k];
      rest /= dims.d[k];
    }
    y[i] = scale * x[off];
  });
}

}  // namespace ls::cuda
