// tests/test_selection.cpp — the U-Net a run hands out is chosen without reading a real mask (models/selection.h):
// a U-Net that learned the masks outscores deliberately damaged copies of itself, the choice follows its rules, and a
// run records every round's choice, exports the chosen F and hands it to segment and eval by default.
//   build/layerseg_tests --gtest_filter='Selection*'
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/checkpoint.h"
#include "core/ops.h"
#include "core/optim.h"
#include "core/rng.h"
#include "data/shapes.h"
#include "kernels/error.h"
#include "models/losses.h"
#include "models/run.h"
#include "models/selection.h"
#include "models/trainer.h"

namespace ls::models {
namespace {
namespace fs = std::filesystem;

// A handle on one of F's parameters (shares its storage).
Tensor named(UNet& f, const std::string& name) {
  for (const auto& [n, t] : f.named_parameters())
    if (n == name) return t;
  LS_FAIL("no parameter {}", name);
}

// n shapes samples from `first` on as a validation set: composite, exact mask and the background layer alone,
// standing in for the generator's layers.
ValidationSet shapes_set(int64_t first, int64_t n, int size) {
  const data::ShapesOptions opt{.n = first + n, .size = size, .seed = 7};
  std::vector<data::Image> images, masks, backgrounds;
  for (int64_t i = first; i < first + n; ++i) {
    const data::ShapeSample s = data::make_shape_sample(opt, i);
    images.push_back(s.image), masks.push_back(s.mask), backgrounds.push_back(s.background);
  }
  ValidationSet v{
      image_batch(images, Device::CPU), image_batch(masks, Device::CPU), image_batch(backgrounds, Device::CPU), {}};
  v.health = mask_health(v.masks);
  return v;
}

TEST(Selection, AUNetThatLearnedTheMasksOutscoresDamagedCopies) {
  const int size = 16;
  Rng rng(1);
  UNet f(8, size, rng);
  Adam adam(f.named_parameters(), AdamOptions{.lr = 3e-3f});
  for (int step = 0; step < 150; ++step) {  // supervised on samples the validation set does not hold
    const ValidationSet batch = shapes_set(1000 + 16 * (step % 20), 16, size);
    const Tensor loss = segmentation_loss(f.forward(batch.images), batch.masks);
    adam.zero_grad();
    loss.backward();
    adam.step();
  }
  const ValidationSet v = shapes_set(0, 64, size);
  EXPECT_TRUE(v.health.problem.empty()) << v.health.to_json().dump();
  const SelectionScore good = score_unet(f, v, 16);
  EXPECT_GT(good.iou, 0.4) << good.to_json().dump();
  EXPECT_LT(good.bg_response, 0.2) << good.to_json().dump();
  EXPECT_EQ(score_unet(f, v, 16).score(), good.score());  // nothing random in the scoring

  const NamedTensors saved = module_state(f);
  std::vector<Tensor> copies;
  for (const auto& [n, t] : saved) copies.push_back(t.clone());
  const auto restore = [&] {
    for (size_t i = 0; i < saved.size(); ++i) Tensor(saved[i].second).copy_from(copies[i]);
  };
  named(f, "out.bias").copy_from(Tensor::full({1}, 8.f));  // everything foreground
  const SelectionScore everything = score_unet(f, v, 16);
  EXPECT_GT(everything.bg_response, 0.9);
  EXPECT_LT(everything.score(), good.score() - 0.3) << everything.to_json().dump();
  named(f, "out.bias").copy_from(Tensor::full({1}, -8.f));  // nothing
  EXPECT_LT(score_unet(f, v, 16).score(), good.score() - 0.3);
  restore();
  for (const auto& [n, t] : f.named_parameters()) Tensor(t).copy_from(t + Tensor::normal(t.shape(), rng, 0.f, 0.5f));
  EXPECT_LT(score_unet(f, v, 16).score(), good.score() - 0.2);
  restore();
  EXPECT_EQ(score_unet(f, v, 16).score(), good.score());
}

TEST(Selection, MaskHealthNamesEachCollapse) {
  const auto health = [](float value, float object) {
    std::vector<float> m(4 * 16 * 16, value);
    for (int i = 0; i < 4; ++i)
      for (int p = 0; p < 40; ++p) m[size_t(i * 256 + p)] = object;
    return mask_health(Tensor::from_vector({4, 1, 16, 16}, m));
  };
  EXPECT_TRUE(health(0.f, 1.f).problem.empty()) << health(0.f, 1.f).to_json().dump();  // 16 % crisp objects
  EXPECT_NE(health(0.f, 0.3f).problem.find("hold no objects"), std::string::npos);     // faint masks
  EXPECT_NE(health(1.f, 1.f).problem.find("collapsed to foreground"), std::string::npos);
  EXPECT_NE(health(0.45f, 0.55f).problem.find("blends"), std::string::npos);
}

TEST(Selection, ChoiceRules) {
  const MaskHealth healthy, sick{.problem = "masks hold no objects"};
  const SelectionScore low{.iou = 0.4, .bg_response = 0.1}, high{.iou = 0.7, .bg_response = 0.1};
  EXPECT_TRUE(choose_unet(1, 0, sick, low, high).take);  // the first F, whatever the masks
  EXPECT_TRUE(choose_unet(3, 2, healthy, high, low).take);
  const Choice kept = choose_unet(3, 2, healthy, low, high);
  EXPECT_FALSE(kept.take);
  EXPECT_EQ(kept.reason, "round 3: kept round 2's F (0.6300) over round 3's (0.3600) on this round's synthetic set");
  EXPECT_TRUE(choose_unet(3, 2, healthy, low, low).take);  // a tie goes to the newer F
  const Choice unhealthy = choose_unet(3, 2, sick, high, low);
  EXPECT_FALSE(unhealthy.take);
  EXPECT_NE(unhealthy.reason.find("kept round 2's F, the generator's masks are unhealthy"), std::string::npos);
}

// A run's record: every round's entry follows the rules from its own logged scores, best.safetensors and the
// checkpoint hold the chosen F, and load_run hands it out unless asked for the last.
TEST(Selection, ARunRecordsItsChoiceAndHandsOutTheChosenUNet) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("layerseg_sel_{}", getpid());
  fs::remove_all(dir);
  const Config cfg = load_config(std::string(LAYERSEG_SOURCE_DIR) + "/configs/tiny_test.toml", {"train.select_n=32"});
  TrainOptions o;
  o.run_dir = dir.string(), o.progress = false;
  const TrainResult r = Trainer(cfg, o).run();
  ASSERT_TRUE(r.finished);
  const nlohmann::json& sel = r.metrics["selection"];
  ASSERT_EQ(sel["rounds"].size(), 2u) << r.metrics.dump();
  int chosen = 0;
  for (const nlohmann::json& e : sel["rounds"]) {
    const auto score = [](const nlohmann::json& s) {
      return SelectionScore{.iou = s["synthetic_iou"].get<double>(),
                            .bg_response = s["background_response"].get<double>()};
    };
    MaskHealth h;
    h.problem = e["masks"].value("problem", "");
    const Choice c = choose_unet(e["round"].get<int>(), chosen, h, score(e["this_round"]),
                                 e.contains("selected_before") ? score(e["selected_before"]) : SelectionScore{});
    EXPECT_EQ(c.reason, e["reason"].get<std::string>());
    if (c.take) chosen = e["round"].get<int>();
    EXPECT_EQ(e["selected_round"].get<int>(), chosen);
  }
  EXPECT_EQ(sel["selected"]["round"].get<int>(), chosen);

  const Checkpoint ck = load_checkpoint((dir / kCheckpointFile).string());
  const Checkpoint best = load_checkpoint((dir / kBestFile).string());
  EXPECT_EQ(best.metadata.at("round"), std::to_string(chosen));
  const LoadedRun selected = load_run(dir.string()), last = load_run(dir.string(), Device::CPU, UNetChoice::Last);
  EXPECT_EQ(selected.unet, fmt::format("selected (round {}, step {})", chosen, chosen * 10));
  EXPECT_EQ(last.unet, "last (step 20)");
  for (const auto& [name, t] : module_state(*selected.nets.f)) {
    EXPECT_EQ(t.to_vector(), best.tensors.at("f." + name).to_vector()) << name;
    EXPECT_EQ(t.to_vector(), ck.tensors.at("best_f." + name).to_vector()) << name;
  }
  for (const auto& [name, t] : module_state(*last.nets.f))
    EXPECT_EQ(t.to_vector(), ck.tensors.at("f." + name).to_vector()) << name;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ls::models
