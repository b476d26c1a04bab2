// core/distributed.h — data parallelism over the ranks of core/comm.h: which rows of a global batch a rank computes,
// the averaging of gradients across ranks, batch-norm statistics over the whole global batch, and a check that the
// replicas still agree. docs/DISTRIBUTED.md has the launch commands and why each choice was made.
//   const ls::dist::BatchRows rows = ls::dist::my_rows(cfg.train.batch);   // this rank's slice of the batch
//   loss.backward();
//   ls::dist::average_gradients(net.named_parameters());                  // before the optimizer step
// In a world of one every function here is the identity (or the whole batch), so a single process runs as before.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/comm.h"
#include "core/module.h"
#include "core/tensor.h"

namespace ls::dist {

// The rows of a global batch of `total` that this process computes, as their global indices in order. Random
// per-sample draws are made for all `total` rows from the one seeded stream and each rank keeps its rows, so N
// ranks draw exactly the numbers one process draws (the trainer's ranks are equal contiguous slices).
struct BatchRows {
  int64_t total = 0;
  std::vector<int64_t> index;

  static BatchRows all(int64_t n);                                    // every row, in order (one process)
  static BatchRows range(int64_t total, int64_t begin, int64_t end);  // [begin, end) of total
  int64_t count() const { return int64_t(index.size()); }
  bool whole() const;  // every row in order
  // These rows of a batch [a-rows ; b-rows]: the b rows shifted by a.total (real and fake images in one batch).
  BatchRows then(const BatchRows& b) const;
  // The rows of a row-major table of `total` rows of `k` values each.
  std::vector<float> pick(const std::vector<float>& table, int64_t k) const;
  // The rows of a tensor whose first dimension is `total` (the tensor itself when whole(); else slices, concatenated).
  Tensor pick(const Tensor& t) const;
};

// This rank's equal contiguous slice of a global batch; throws unless the ranks divide it (`what` names the key).
BatchRows my_rows(int64_t global_batch, const std::string& what);

// Replaces each parameter's gradient by its mean over the ranks, in few large all-reduces: gradients are packed into
// buckets of up to kBucketBytes, each reduced in one call (NCCL on CUDA when built with it, else MPI through host
// memory). Every rank passes the same parameter list, with gradients on the same parameters.
constexpr size_t kBucketBytes = size_t(32) << 20;
void average_gradients(const NamedTensors& params);

// Element-wise sum over the ranks, in place, on any device.
void allreduce_sum(Tensor& t);

// Within the scope (the trainer's steps), batch-norm in training mode normalises with the mean and variance of the
// whole global batch, reduced across ranks in its forward and backward (core/ops_nn.cpp): a batch split over N ranks
// is normalised as one process normalises it. `force` takes the synchronised path in a world of one too (tests).
class SyncBatchNormScope {
 public:
  explicit SyncBatchNormScope(bool force = false);
  ~SyncBatchNormScope();
  SyncBatchNormScope(const SyncBatchNormScope&) = delete;
  SyncBatchNormScope& operator=(const SyncBatchNormScope&) = delete;

 private:
  int previous_;
};
bool batch_norm_synchronized();

// Throws, naming the first tensor that differs, unless every rank holds bit-identical values in `state` (compared
// through a 64-bit hash per tensor): replicas that drifted apart would make rank 0's checkpoint not the job's.
void check_replicas_agree(const NamedTensors& state, const std::string& what);

}  // namespace ls::dist
