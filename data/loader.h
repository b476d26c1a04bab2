// data/loader.h — shuffled, optionally flipped batches from a cached Dataset, the next one prepared on a
// background thread while the caller trains on the current one.
// Batch k depends only on (dataset, options), never on thread timing, so runs are reproducible for a seed.
//   ls::data::LoaderOptions opt;  opt.batch_size = 64;  opt.flip = true;  opt.seed = 1;
//   ls::data::Loader loader(std::make_shared<ls::data::Dataset>(std::move(ds)), opt);
//   ls::data::Batch b = loader.next();   // b.images [N,3,S,S] in [-1,1], b.masks [N,1,S,S] or undefined
#pragma once
#include <cstdint>
#include <future>
#include <memory>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "data/dataset.h"

namespace ls::data {

struct Batch {
  Tensor images;                 // [N, 3, S, S] in [-1, 1]
  Tensor masks;                  // [N, 1, S, S] in {0, 1}; undefined when the dataset has no masks
  std::vector<int> labels;       // N, empty when unlabelled
  std::vector<int64_t> indices;  // dataset index of each sample
  std::vector<bool> flipped;     // whether each sample was mirrored
  int64_t epoch = 0;
};

struct LoaderOptions {
  int batch_size = 64;
  bool shuffle = true;    // a fresh permutation every epoch
  bool flip = false;      // mirror each sample (image and mask together) with probability 1/2
  bool drop_last = true;  // false: the last batch of an epoch may be smaller
  bool prefetch = true;   // prepare the next batch on a background thread
  uint64_t seed = 0;
};

class Loader {
 public:
  Loader(std::shared_ptr<const Dataset> dataset, LoaderOptions opt);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  Batch next();  // runs through epochs endlessly
  int64_t batches_per_epoch() const;
  const Dataset& dataset() const { return *dataset_; }

 private:
  Batch produce();  // runs one at a time, in batch order: the state below is never shared between threads

  std::shared_ptr<const Dataset> dataset_;
  LoaderOptions opt_;
  Rng rng_;
  std::vector<int64_t> order_;
  size_t cursor_ = 0;
  int64_t epoch_ = -1;
  std::future<Batch> pending_;
};

}  // namespace ls::data
