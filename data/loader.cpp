// data/loader.cpp — the prefetching batch loader of data/loader.h.
#include "data/loader.h"

#include <algorithm>
#include <numeric>

#include "kernels/error.h"

namespace ls::data {

Loader::Loader(std::shared_ptr<const Dataset> dataset, LoaderOptions opt)
    : dataset_(std::move(dataset)), opt_(opt), rng_(opt.seed) {
  LS_CHECK(dataset_ && dataset_->count() > 0, "loader: empty dataset");
  LS_CHECK(opt_.batch_size > 0, "loader: batch size must be positive, got {}", opt_.batch_size);
  LS_CHECK(!opt_.drop_last || dataset_->count() >= opt_.batch_size,
           "loader: {} samples are fewer than one batch of {} (set drop_last = false or a smaller batch)",
           dataset_->count(), opt_.batch_size);
  order_.resize(size_t(dataset_->count()));
  cursor_ = order_.size();  // the first produce() starts epoch 0
}

Loader::~Loader() {
  if (pending_.valid()) pending_.wait();
}

int64_t Loader::batches_per_epoch() const {
  const int64_t n = dataset_->count(), b = opt_.batch_size;
  return opt_.drop_last ? n / b : (n + b - 1) / b;
}

Batch Loader::next() {
  Batch b = pending_.valid() ? pending_.get() : produce();
  if (opt_.prefetch) pending_ = std::async(std::launch::async, [this] { return produce(); });
  return b;
}

Batch Loader::produce() {
  const size_t remaining = order_.size() - cursor_;
  if (remaining == 0 || (opt_.drop_last && remaining < size_t(opt_.batch_size))) {
    ++epoch_;
    std::iota(order_.begin(), order_.end(), int64_t(0));
    if (opt_.shuffle)  // Fisher-Yates with the loader's own stream
      for (size_t i = order_.size() - 1; i > 0; --i) std::swap(order_[i], order_[size_t(rng_.randint(int(i + 1)))]);
    cursor_ = 0;
  }
  const size_t n = std::min(order_.size() - cursor_, size_t(opt_.batch_size));
  const int64_t s = dataset_->size(), plane = s * s;
  Batch b;
  b.epoch = epoch_;
  b.images = Tensor::empty({int64_t(n), 3, s, s});
  if (dataset_->has_masks()) b.masks = Tensor::empty({int64_t(n), 1, s, s});
  for (size_t k = 0; k < n; ++k) {
    const int64_t idx = order_[cursor_ + k];
    const bool flip = opt_.flip && rng_.uniform() < 0.5f;
    dataset_->copy_image(idx, b.images.data() + k * 3 * plane, flip);
    if (dataset_->has_masks()) dataset_->copy_mask(idx, b.masks.data() + k * plane, flip);
    if (dataset_->has_labels()) b.labels.push_back(dataset_->label(idx));
    b.indices.push_back(idx);
    b.flipped.push_back(flip);
  }
  cursor_ += n;
  return b;
}

}  // namespace ls::data
