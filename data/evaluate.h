// data/evaluate.h — the evaluation loop of SPEC §6 and the baseline predictors every result is compared with.
// A predictor maps a batch of images to foreground probabilities; evaluate() thresholds them at 0.5 and pools the
// confusion matrix over the dataset. The trainer plugs in a U-Net the same way the baselines plug in here.
//   ls::data::SegmentationScores s =
//       ls::data::evaluate(ds, ls::data::constant_predictor(ls::data::ellipse_prior(ds.size())));
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "data/dataset.h"
#include "data/image.h"
#include "data/metrics.h"

namespace ls::data {

// images [N, 3, S, S] in [-1, 1] -> [N, 1, S, S] foreground probability (> 0.5 is foreground); any device.
using Predictor = std::function<Tensor(const Tensor& images)>;
// images -> cluster ids (e.g. argmax of E_x), for NMI against the dataset's labels.
using Clusterer = std::function<std::vector<int>(const Tensor& images)>;

// Runs the predictor over the dataset in order (no flips) and scores it; needs masks. With a clusterer and a
// labelled dataset it also fills nmi.
SegmentationScores evaluate(const Dataset& ds, const Predictor& predict, int batch_size = 64,
                            const Clusterer& cluster = nullptr);
// Scores a folder of predicted masks <stem>.png (any size: resized to S and thresholded) against the dataset.
SegmentationScores evaluate_mask_folder(const Dataset& ds, const std::string& pred_dir);

// The fixed centred ellipse with horizontal radius rx*S and vertical radius ry*S (shared/data/README.md).
Image ellipse_prior(int size, float rx = 0.35f, float ry = 0.30f);
// The per-pixel mean of binary masks, > threshold -> foreground: a data prior that never sees the test images.
Image mean_mask_prior(const std::vector<Image>& masks, float threshold = 0.4f);
// Predicts the same mask (1 channel, S x S) for every image.
Predictor constant_predictor(const Image& mask);

}  // namespace ls::data
