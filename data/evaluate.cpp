// data/evaluate.cpp — evaluation loop and baseline predictors of data/evaluate.h.
#include "data/evaluate.h"

#include <filesystem>
#include <memory>

#include "data/loader.h"
#include "kernels/error.h"

namespace ls::data {

SegmentationScores evaluate(const Dataset& ds, const Predictor& predict, int batch_size, const Clusterer& cluster) {
  LS_CHECK(ds.has_masks(), "evaluate: the dataset has no ground-truth masks");
  LoaderOptions opt;
  opt.batch_size = batch_size;
  opt.shuffle = false;
  opt.drop_last = false;
  // The dataset is borrowed for the duration of this call, so the loader must not own or free it.
  Loader loader(std::shared_ptr<const Dataset>(&ds, [](const Dataset*) {}), opt);
  const int64_t plane = int64_t(ds.size()) * ds.size();
  SegmentationMeter meter;
  std::vector<int> clusters, labels;
  for (int64_t k = 0; k < loader.batches_per_epoch(); ++k) {
    const Batch b = loader.next();
    const int64_t n = b.images.size(0);
    const Tensor pred = predict(b.images);
    LS_CHECK(pred.defined() && pred.numel() == n * plane,
             "evaluate: predictor returned {} values for {} images of {}x{}", pred.defined() ? pred.numel() : 0, n,
             ds.size(), ds.size());
    const std::vector<float> p = pred.to_vector();
    for (int64_t i = 0; i < n; ++i) meter.add_image(p.data() + i * plane, b.masks.data() + i * plane, plane);
    if (cluster && ds.has_labels()) {
      const std::vector<int> c = cluster(b.images);
      LS_CHECK(int64_t(c.size()) == n, "evaluate: clusterer returned {} ids for {} images", c.size(), n);
      clusters.insert(clusters.end(), c.begin(), c.end());
      labels.insert(labels.end(), b.labels.begin(), b.labels.end());
    }
  }
  SegmentationScores s = meter.scores(ds.size());
  if (!clusters.empty()) s.nmi = normalized_mutual_information(clusters, labels);
  return s;
}

SegmentationScores evaluate_mask_folder(const Dataset& ds, const std::string& pred_dir) {
  LS_CHECK(ds.has_masks(), "evaluate: the dataset has no ground-truth masks");
  LS_CHECK(std::filesystem::is_directory(pred_dir), "{}: prediction folder does not exist", pred_dir);
  SegmentationMeter meter;
  for (int64_t i = 0; i < ds.count(); ++i) {
    const std::string path = (std::filesystem::path(pred_dir) / (ds.name(i) + ".png")).string();
    LS_CHECK(std::filesystem::is_regular_file(path), "{}: predicted mask missing", path);
    const Image pred = threshold(resize(read_mask(path), ds.size(), ds.size()));
    const Image truth = ds.mask(i);
    meter.add_image(pred.px.data(), truth.px.data(), int64_t(truth.px.size()));
  }
  SegmentationScores s = meter.scores(ds.size());
  s.predictor = pred_dir;
  return s;
}

Image ellipse_prior(int size, float rx, float ry) {
  Image m(size, size, 1);
  const float c = 0.5f * size, ax = rx * size, ay = ry * size;
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const float dx = (x + 0.5f - c) / ax, dy = (y + 0.5f - c) / ay;
      m.at(y, x) = dx * dx + dy * dy <= 1.f ? 1.f : 0.f;
    }
  return m;
}

Image mean_mask_prior(const std::vector<Image>& masks, float threshold) {
  LS_CHECK(!masks.empty(), "mean-mask prior: no masks given");
  Image mean(masks[0].h, masks[0].w, 1);
  for (const Image& m : masks) {
    LS_CHECK(m.h == mean.h && m.w == mean.w && m.c == 1, "mean-mask prior: masks differ in size ({}x{} vs {}x{})", m.w,
             m.h, mean.w, mean.h);
    for (size_t i = 0; i < m.px.size(); ++i) mean.px[i] += m.px[i];
  }
  for (float& v : mean.px) v = v / float(masks.size()) > threshold ? 1.f : 0.f;
  return mean;
}

Predictor constant_predictor(const Image& mask) {
  LS_CHECK(mask.c == 1 && mask.h == mask.w, "constant predictor: need a square 1-channel mask");
  return [mask](const Tensor& images) {
    const int64_t n = images.size(0);
    LS_CHECK(images.size(2) == mask.h && images.size(3) == mask.w,
             "constant predictor: mask is {}x{}, images are {}x{}", mask.h, mask.w, images.size(2), images.size(3));
    std::vector<float> out;
    out.reserve(size_t(n) * mask.px.size());
    for (int64_t i = 0; i < n; ++i) out.insert(out.end(), mask.px.begin(), mask.px.end());
    return Tensor::from_vector({n, 1, int64_t(mask.h), int64_t(mask.w)}, out);
  };
}

}  // namespace ls::data
