// data/dataset.h — image datasets decoded once and cached at a square size S (SPEC §7).
// Layouts: "folder" (images/<stem>.{png,jpg,jpeg} + optional masks/<stem>.png + optional labels.txt) and "cub"
// (CUB-200-2011: images.txt, train_test_split.txt, bounding_boxes.txt, images/<class>/<name>.jpg,
// segmentations/<class>/<name>.png). Images are RGB in [-1, 1]; masks are resized bilinear and thresholded at 0.5.
//   ls::data::DatasetOptions opt;  opt.size = 64;  opt.masks = ls::data::MaskPolicy::kRequired;
//   ls::data::Dataset ds = ls::data::load_dataset("../shared/data/ci_mini", opt);
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/image.h"

namespace ls::data {

enum class MaskPolicy {
  kNone,       // never read masks (unsupervised training)
  kIfPresent,  // read them when every image has one; otherwise silently go without
  kRequired,   // every image must have a mask (evaluation); a missing one is an error naming the file
};

struct DatasetOptions {
  std::string layout = "folder";  // "folder" | "cub"
  int size = 64;                  // S: every image is cached at S x S
  MaskPolicy masks = MaskPolicy::kIfPresent;
  // Folder layout: a text file of stems (one per line, e.g. split_dev.txt) restricting which images are used;
  // a relative path is taken relative to the dataset root.
  std::string stems_file;
  // Folder layout: "none" resizes the whole image to S x S (the evaluation protocol); "center" crops the centre
  // square first (keeps the aspect ratio).
  std::string crop = "none";
  // CUB: "all" | "train" | "test" (train_test_split.txt), and the square crop about the bounding box
  // (side = margin * longer bbox side [choice]).
  std::string split = "all";
  float bbox_margin = 1.5f;
  // Skip images that fail to load (printing each path and the reason, then the count) instead of throwing.
  bool skip_bad = false;
};

class Dataset {
 public:
  explicit Dataset(int size = 0) : size_(size) {}

  int size() const { return size_; }
  int64_t count() const { return int64_t(names_.size()); }
  bool has_masks() const { return !masks_.empty(); }
  bool has_labels() const { return !labels_.empty(); }
  int num_classes() const { return int(class_names_.size()); }
  const std::vector<std::string>& class_names() const { return class_names_; }
  const std::string& name(int64_t i) const { return names_.at(size_t(i)); }
  int label(int64_t i) const { return labels_.at(size_t(i)); }

  // Sample i as CHW floats: image 3*S*S in [-1, 1], mask S*S in {0, 1}; mirrored when flip is set.
  void copy_image(int64_t i, float* chw, bool flip = false) const;
  void copy_mask(int64_t i, float* hw, bool flip = false) const;
  Image image(int64_t i) const;  // HWC, as data/image.h
  Image mask(int64_t i) const;

  // Appends one sample already at S x S (image 3 channels, mask 1 channel or empty). Either all samples have a
  // mask / a label (>= 0) or none do.
  void add(const std::string& name, const Image& image, const Image& mask, int label = -1);
  void set_class_names(std::vector<std::string> names) { class_names_ = std::move(names); }

 private:
  int size_ = 0;
  std::vector<std::string> names_;
  std::vector<uint8_t> pixels_;  // N x S x S x 3, quantized like an 8-bit PNG of the resized image
  std::vector<uint8_t> masks_;   // N x S x S of {0, 1}, or empty
  std::vector<int> labels_;      // N, or empty
  std::vector<std::string> class_names_;
};

// Memory checks made before allocating, so that a size the machine cannot hold is refused with a message instead of
// ending in std::bad_alloc or the kernel's OOM killer. The limit is LAYERSEG_MEMORY_LIMIT (bytes) when set, else
// MemAvailable of /proc/meminfo, else sysconf's free pages.
int64_t available_memory_bytes();
// Throws ls::Error "<what> needs about X GiB of memory, but Y GiB is available ..." when need_bytes exceeds the
// limit, unless set_memory_check(false) (the apps' --no-memory-check) turned the checks off for this process.
void check_memory(int64_t need_bytes, const std::string& what);
void set_memory_check(bool on);
// What a loaded dataset of n samples at S x S holds (pixels and masks at one byte each).
inline int64_t dataset_bytes(int64_t n, int size) { return n * int64_t(size) * size * 4; }

// The loaders check dataset_bytes of the listed images against the memory limit before decoding any of them.
Dataset load_dataset(const std::string& root, const DatasetOptions& opt);
Dataset load_folder(const std::string& root, const DatasetOptions& opt);
Dataset load_cub(const std::string& root, const DatasetOptions& opt);

// Reads every mask in a folder dataset (root/masks/*.png) or a plain folder of mask PNGs, each resized to
// size x size and thresholded; used for data priors such as the mean-mask baseline.
std::vector<Image> load_masks(const std::string& dir, int size);

// Writes the dataset in the folder layout (images/, masks/ when present, labels.txt when labelled).
void write_folder(const Dataset& ds, const std::string& root);

}  // namespace ls::data
