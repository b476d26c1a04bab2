// core/distributed.cpp — the data-parallel helpers of core/distributed.h.
#include "core/distributed.h"

#include "core/autograd.h"
#include "core/hash.h"
#include "core/ops.h"
#include "kernels/error.h"

#ifdef LAYERSEG_WITH_NCCL
#include "kernels/cuda/nccl.h"
#include "kernels/cuda/runtime.h"
#endif

namespace ls::dist {

BatchRows BatchRows::all(int64_t n) { return range(n, 0, n); }

BatchRows BatchRows::range(int64_t total, int64_t begin, int64_t end) {
  LS_CHECK(0 <= begin && begin <= end && end <= total, "BatchRows: rows [{}, {}) of {}", begin, end, total);
  BatchRows r;
  r.total = total;
  for (int64_t i = begin; i < end; ++i) r.index.push_back(i);
  return r;
}

bool BatchRows::whole() const {
  if (count() != total) return false;
  for (int64_t i = 0; i < count(); ++i)
    if (index[size_t(i)] != i) return false;
  return true;
}

BatchRows BatchRows::then(const BatchRows& b) const {
  BatchRows r = *this;
  r.total = total + b.total;
  for (int64_t i : b.index) r.index.push_back(total + i);
  return r;
}

std::vector<float> BatchRows::pick(const std::vector<float>& table, int64_t k) const {
  LS_CHECK(int64_t(table.size()) == total * k, "BatchRows::pick: a table of {} values is not {} rows of {}",
           table.size(), total, k);
  std::vector<float> out;
  out.reserve(size_t(count() * k));
  for (int64_t i : index) out.insert(out.end(), table.begin() + i * k, table.begin() + (i + 1) * k);
  return out;
}

Tensor BatchRows::pick(const Tensor& t) const {
  LS_CHECK(t.dim() >= 1 && t.size(0) == total, "BatchRows::pick: a tensor of {} rows is not the batch of {}",
           t.dim() ? t.size(0) : 0, total);
  if (whole()) return t;
  // One slice per run of consecutive rows (one for a rank's part of a batch, two for its real and fake rows).
  std::vector<Tensor> runs;
  for (size_t i = 0; i < index.size();) {
    size_t j = i + 1;
    while (j < index.size() && index[j] == index[j - 1] + 1) ++j;
    runs.push_back(slice(t, 0, index[i], index[j - 1] + 1));
    i = j;
  }
  if (runs.empty()) return slice(t, 0, 0, 0);
  return runs.size() == 1 ? runs[0] : concat(runs, 0);
}

BatchRows my_rows(int64_t global_batch, const std::string& what) {
  const comm::World& w = comm::world();
  LS_CHECK(global_batch % w.size == 0,
           "{} = {} does not split evenly over {} processes: choose a multiple of {} (the batch is the global one, "
           "each process computes an equal slice)",
           what, global_batch, w.size, w.size);
  const int64_t n = global_batch / w.size;
  return BatchRows::range(global_batch, w.rank * n, (w.rank + 1) * n);
}

namespace {

// Sums a device buffer over the ranks in place: NCCL for CUDA memory when built with it, else through host memory.
void sum_buffer(Tensor& buffer) {
  const size_t n = size_t(buffer.numel());
  if (buffer.device() == Device::CPU) return comm::allreduce_sum(buffer.data(), n);
#ifdef LAYERSEG_WITH_NCCL
  static const bool nccl_ready = [] {
    std::string id = comm::is_root() ? cuda::nccl_unique_id() : std::string(cuda::nccl_id_bytes(), '\0');
    comm::broadcast(id.data(), id.size());
    cuda::nccl_init(id, comm::world().rank, comm::world().size);
    return true;
  }();
  (void)nccl_ready;
  return cuda::nccl_allreduce_sum(buffer.data(), n, cuda::stream(), comm::timeout_s());
#else
  std::vector<float> host = buffer.to_vector();
  comm::allreduce_sum(host.data(), n);
  buffer.copy_from(Tensor::from_vector(buffer.shape(), host));
#endif
}

uint64_t fingerprint(const Tensor& t) {
  const std::vector<float> v = t.to_vector();
  return hash_floats(v.data(), int64_t(v.size()));
}

int g_sync_batch_norm = 0;  // > 0 inside a SyncBatchNormScope (forced: 2)

}  // namespace

void allreduce_sum(Tensor& t) {
  if (comm::world().size == 1) return;
  sum_buffer(t);
}

void average_gradients(const NamedTensors& params) {
  const int ranks = comm::world().size;
  if (ranks == 1) return;
  autograd::NoGradGuard no_grad;
  std::vector<Tensor> grads;
  for (const auto& [name, p] : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  const size_t bucket_floats = kBucketBytes / sizeof(float);
  for (size_t first = 0; first < grads.size();) {
    // A bucket: consecutive gradients on one device up to kBucketBytes (a larger single gradient goes alone).
    const Device dev = grads[first].device();
    size_t last = first, floats = 0;
    while (last < grads.size() && grads[last].device() == dev &&
           (last == first || floats + size_t(grads[last].numel()) <= bucket_floats))
      floats += size_t(grads[last++].numel());
    Tensor bucket = Tensor::empty({int64_t(floats)}, dev);
    size_t at = 0;
    for (size_t i = first; i < last; ++i) {
      const size_t bytes = size_t(grads[i].numel()) * sizeof(float);
      device_copy(bucket.data() + at, dev, grads[i].data(), dev, bytes);
      at += size_t(grads[i].numel());
    }
    sum_buffer(bucket);
    bucket = mul_scalar(bucket, 1.f / float(ranks));
    at = 0;
    for (size_t i = first; i < last; ++i) {
      const size_t bytes = size_t(grads[i].numel()) * sizeof(float);
      device_copy(grads[i].data(), dev, bucket.data() + at, dev, bytes);
      at += size_t(grads[i].numel());
    }
    first = last;
  }
}

SyncBatchNormScope::SyncBatchNormScope(bool force) : previous_(g_sync_batch_norm) {
  g_sync_batch_norm = force ? 2 : std::max(1, g_sync_batch_norm);
}
SyncBatchNormScope::~SyncBatchNormScope() { g_sync_batch_norm = previous_; }
bool batch_norm_synchronized() { return g_sync_batch_norm == 2 || (g_sync_batch_norm == 1 && comm::world().size > 1); }

void check_replicas_agree(const NamedTensors& state, const std::string& what) {
  if (comm::world().size == 1) return;
  // Per tensor the two 32-bit halves of its fingerprint, and their negations: one MAX reduction yields the largest
  // and (negated) the smallest value over the ranks, equal only when every rank has the same.
  const size_t n = state.size();
  std::vector<double> v(4 * n);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t h = fingerprint(state[i].second);
    v[2 * i] = double(h >> 32), v[2 * i + 1] = double(h & 0xFFFFFFFFu);
    v[2 * n + 2 * i] = -v[2 * i], v[2 * n + 2 * i + 1] = -v[2 * i + 1];
  }
  comm::allreduce_max(v.data(), v.size());
  for (size_t i = 0; i < n; ++i)
    LS_CHECK(v[2 * i] == -v[2 * n + 2 * i] && v[2 * i + 1] == -v[2 * n + 2 * i + 1],
             "{}: the ranks hold different values of {} (the replicas drifted apart; rank 0's copy is not the "
             "job's)",
             what, state[i].first);
}

}  // namespace ls::dist
