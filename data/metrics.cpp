// data/metrics.cpp — confusion-matrix metrics and NMI of data/metrics.h.
#include "data/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "kernels/error.h"

namespace ls::data {

double Confusion::accuracy() const { return total() == 0 ? 0.0 : double(tp + tn) / double(total()); }

double Confusion::foreground_iou() const {
  const int64_t uni = tp + fp + fn;
  return uni == 0 ? 1.0 : double(tp) / double(uni);
}

double Confusion::background_iou() const {
  const int64_t uni = tn + fp + fn;
  return uni == 0 ? 1.0 : double(tn) / double(uni);
}

Confusion confusion(const float* pred, const float* truth, int64_t n) {
  Confusion c;
  for (int64_t i = 0; i < n; ++i) {
    const bool p = pred[i] > 0.5f, t = truth[i] > 0.5f;
    if (p && t)
      ++c.tp;
    else if (p)
      ++c.fp;
    else if (t)
      ++c.fn;
    else
      ++c.tn;
  }
  return c;
}

nlohmann::json SegmentationScores::to_json() const {
  nlohmann::json j = {{"acc", acc},           {"iou", iou},  {"miou", miou}, {"mean_image_iou", mean_image_iou},
                      {"n_images", n_images}, {"size", size}};
  if (nmi) j["nmi"] = *nmi;
  if (!predictor.empty()) j["predictor"] = predictor;
  return j;
}

void SegmentationMeter::add_image(const float* pred, const float* truth, int64_t n_pixels) {
  const Confusion c = confusion(pred, truth, n_pixels);
  pooled_.add(c);
  sum_image_iou_ += c.foreground_iou();
  ++n_images_;
}

SegmentationScores SegmentationMeter::scores(int size) const {
  LS_CHECK(n_images_ > 0, "metrics: no images were evaluated");
  SegmentationScores s;
  s.acc = pooled_.accuracy();
  s.iou = pooled_.foreground_iou();
  s.miou = pooled_.mean_iou();
  s.mean_image_iou = sum_image_iou_ / double(n_images_);
  s.n_images = n_images_;
  s.size = size;
  s.pooled = pooled_;
  return s;
}

double normalized_mutual_information(const std::vector<int>& clusters, const std::vector<int>& labels) {
  LS_CHECK(clusters.size() == labels.size() && !clusters.empty(),
           "nmi: need equally many clusters and labels, got {} and {}", clusters.size(), labels.size());
  const double n = double(clusters.size());
  std::map<int, double> count_c, count_l;
  std::map<std::pair<int, int>, double> joint;
  for (size_t i = 0; i < clusters.size(); ++i) {
    count_c[clusters[i]] += 1, count_l[labels[i]] += 1;
    joint[{clusters[i], labels[i]}] += 1;
  }
  auto entropy = [n](const std::map<int, double>& counts) {
    double h = 0;
    for (const auto& [k, c] : counts) h -= (c / n) * std::log(c / n);
    return h;
  };
  const double hc = entropy(count_c), hl = entropy(count_l);
  if (count_c.size() == 1 && count_l.size() == 1) return 1.0;
  if (count_c.size() == 1 || count_l.size() == 1) return 0.0;
  double mi = 0;
  for (const auto& [key, c] : joint) mi += (c / n) * std::log(c * n / (count_c[key.first] * count_l[key.second]));
  return std::max(0.0, mi / (0.5 * (hc + hl)));
}

}  // namespace ls::data
