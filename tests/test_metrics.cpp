// tests/test_metrics.cpp — confusion-matrix metrics against hand-computed matrices, and NMI against known values.
// Run: build/layerseg_tests --gtest_filter='Metrics*'
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/error.h"
#include "data/metrics.h"

using namespace ls::data;

TEST(MetricsConfusion, HandComputedMatrix) {
  // pred:  1 1 1 0 | 0 0 0 0      truth: 1 1 0 1 | 0 0 0 0   -> tp 2, fp 1, fn 1, tn 4
  const std::vector<float> pred = {1, 1, 1, 0, 0, 0, 0, 0}, truth = {1, 1, 0, 1, 0, 0, 0, 0};
  const Confusion c = confusion(pred.data(), truth.data(), 8);
  EXPECT_EQ(c.tp, 2);
  EXPECT_EQ(c.fp, 1);
  EXPECT_EQ(c.fn, 1);
  EXPECT_EQ(c.tn, 4);
  EXPECT_DOUBLE_EQ(c.accuracy(), 6.0 / 8.0);
  EXPECT_DOUBLE_EQ(c.foreground_iou(), 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(c.background_iou(), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(c.mean_iou(), 0.5 * (2.0 / 4.0 + 4.0 / 6.0));
}

TEST(MetricsConfusion, ThresholdIsStrictlyAboveHalf) {
  const std::vector<float> pred = {0.5f, 0.51f, 0.2f}, truth = {1, 1, 0};
  const Confusion c = confusion(pred.data(), truth.data(), 3);
  EXPECT_EQ(c.tp, 1);  // 0.51
  EXPECT_EQ(c.fn, 1);  // 0.5 is not foreground
  EXPECT_EQ(c.tn, 1);
}

TEST(MetricsConfusion, EmptyForeground) {
  const std::vector<float> zeros(6, 0.f), ones(6, 1.f);
  const Confusion both_empty = confusion(zeros.data(), zeros.data(), 6);
  EXPECT_DOUBLE_EQ(both_empty.accuracy(), 1.0);
  EXPECT_DOUBLE_EQ(both_empty.foreground_iou(), 1.0);  // nothing to find, nothing found
  EXPECT_DOUBLE_EQ(both_empty.background_iou(), 1.0);
  const Confusion false_alarm = confusion(ones.data(), zeros.data(), 6);  // truth empty, prediction everything
  EXPECT_DOUBLE_EQ(false_alarm.accuracy(), 0.0);
  EXPECT_DOUBLE_EQ(false_alarm.foreground_iou(), 0.0);
  EXPECT_DOUBLE_EQ(false_alarm.background_iou(), 0.0);
}

TEST(MetricsConfusion, AllForeground) {
  const std::vector<float> ones(5, 1.f), truth = {1, 1, 0, 0, 0};
  const Confusion perfect = confusion(ones.data(), ones.data(), 5);
  EXPECT_DOUBLE_EQ(perfect.foreground_iou(), 1.0);
  EXPECT_DOUBLE_EQ(perfect.background_iou(), 1.0);  // no background anywhere: an empty union
  const Confusion c = confusion(ones.data(), truth.data(), 5);
  EXPECT_DOUBLE_EQ(c.accuracy(), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(c.foreground_iou(), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(c.background_iou(), 0.0);
}

TEST(MetricsMeter, PooledDiffersFromMeanOfImages) {
  // Image A (4 px): pred 1 1 0 0, truth 1 0 0 0 -> tp 1 fp 1 fn 0 tn 2, IoU 1/2.
  // Image B (4 px): pred 0 0 0 0, truth 1 1 1 0 -> tp 0 fp 0 fn 3 tn 1, IoU 0.
  // Pooled: tp 1 fp 1 fn 3 tn 3 -> ACC 4/8, IoU 1/5, bg IoU 3/7; mean image IoU 1/4.
  SegmentationMeter m;
  const std::vector<float> pa = {1, 1, 0, 0}, ta = {1, 0, 0, 0}, pb = {0, 0, 0, 0}, tb = {1, 1, 1, 0};
  m.add_image(pa.data(), ta.data(), 4);
  m.add_image(pb.data(), tb.data(), 4);
  const SegmentationScores s = m.scores(2);
  EXPECT_DOUBLE_EQ(s.acc, 0.5);
  EXPECT_DOUBLE_EQ(s.iou, 0.2);
  EXPECT_DOUBLE_EQ(s.miou, 0.5 * (0.2 + 3.0 / 7.0));
  EXPECT_DOUBLE_EQ(s.mean_image_iou, 0.25);
  EXPECT_EQ(s.n_images, 2);
  const nlohmann::json j = s.to_json();
  for (const char* key : {"acc", "iou", "miou", "mean_image_iou", "n_images", "size"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_FALSE(j.contains("nmi"));
  EXPECT_EQ(j["size"], 2);
}

TEST(MetricsMeter, NoImagesIsAnError) {
  SegmentationMeter m;
  EXPECT_THROW(m.scores(8), ls::Error);
}

TEST(MetricsNmi, IdenticalUpToRenamingIsOne) {
  EXPECT_NEAR(normalized_mutual_information({0, 0, 1, 1, 2, 2}, {5, 5, 3, 3, 9, 9}), 1.0, 1e-12);
}

TEST(MetricsNmi, IndependentIsZero) {
  EXPECT_NEAR(normalized_mutual_information({0, 0, 1, 1}, {0, 1, 0, 1}), 0.0, 1e-12);
}

TEST(MetricsNmi, HandComputedValue) {
  // Joint counts (c,l): (0,0)=2 (0,1)=1 (1,1)=1 (1,2)=2 over n = 6. MI = 2*(2/6)ln2 + 2*(1/6)ln1 = (2/3)ln2;
  // H(c) = ln2, H(l) = ln3; NMI = MI / ((ln2 + ln3) / 2) ~ 0.5158 (scikit-learn gives the same).
  const double expected = (2.0 / 3.0) * std::log(2.0) / (0.5 * (std::log(2.0) + std::log(3.0)));
  EXPECT_NEAR(normalized_mutual_information({0, 0, 0, 1, 1, 1}, {0, 0, 1, 1, 2, 2}), expected, 1e-12);
}

TEST(MetricsNmi, ConstantLabelings) {
  EXPECT_DOUBLE_EQ(normalized_mutual_information({1, 1, 1}, {4, 4, 4}), 1.0);
  EXPECT_DOUBLE_EQ(normalized_mutual_information({1, 1, 1}, {0, 1, 2}), 0.0);
  EXPECT_THROW(normalized_mutual_information({1, 2}, {1}), ls::Error);
}
