// data/metrics.h — segmentation and clustering metrics of SPEC §6.
// Pooled: one confusion matrix over all pixels of all images -> ACC, foreground IoU, mIoU (mean of fg and bg IoU);
// also the mean of per-image foreground IoU. NMI compares predicted clusters with class labels.
//   ls::data::SegmentationMeter meter;
//   meter.add_image(pred, gt, S * S);          // binary {0,1} buffers
//   fmt::print("{}\n", meter.scores(S).to_json().dump());
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ls::data {

struct Confusion {
  int64_t tp = 0, fp = 0, fn = 0, tn = 0;  // foreground = positive
  void add(const Confusion& o) { tp += o.tp, fp += o.fp, fn += o.fn, tn += o.tn; }
  int64_t total() const { return tp + fp + fn + tn; }
  double accuracy() const;
  // An empty union (no foreground in prediction nor truth) counts as a perfect IoU of 1: nothing was missed.
  double foreground_iou() const;
  double background_iou() const;
  double mean_iou() const { return 0.5 * (foreground_iou() + background_iou()); }
};

// pred and truth hold n values each; a value > 0.5 is foreground.
Confusion confusion(const float* pred, const float* truth, int64_t n);

struct SegmentationScores {
  double acc = 0, iou = 0, miou = 0, mean_image_iou = 0;
  int64_t n_images = 0;
  int size = 0;
  std::optional<double> nmi;
  std::string predictor;  // what produced the predictions ("ellipse", a directory, a run), for side-by-side tables
  Confusion pooled;
  nlohmann::json to_json() const;  // SPEC §8 keys: acc, iou, miou, mean_image_iou, n_images, size (+ nmi)
};

class SegmentationMeter {
 public:
  void add_image(const float* pred, const float* truth, int64_t n_pixels);
  SegmentationScores scores(int size) const;
  int64_t n_images() const { return n_images_; }

 private:
  Confusion pooled_;
  double sum_image_iou_ = 0;
  int64_t n_images_ = 0;
};

// Normalized mutual information, MI / mean(H(clusters), H(labels)) (arithmetic normalization, like scikit-learn's
// default). Both labelings constant -> 1; exactly one constant -> 0. Values are arbitrary non-negative ids.
double normalized_mutual_information(const std::vector<int>& clusters, const std::vector<int>& labels);

}  // namespace ls::data
