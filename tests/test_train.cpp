// tests/test_train.cpp — alternate training (models/trainer.h) on tiny shapes: a run interrupted twice and resumed
// logs bit-identical losses to an uninterrupted one; resuming, loading and mixing runs fail with clear errors.
// And a short run that must learn: its U-Net beats the ellipse prior on held-out shapes, with masks neither empty
// nor full.
//   build/layerseg_tests --gtest_filter='Train*'
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "core/checkpoint.h"
#include "kernels/error.h"
#include "kernels/parallel.h"
#include "models/run.h"
#include "models/trainer.h"
#include "tests/error_message.h"
#include "tests/op_cases.h"

namespace ls::models {
namespace {
namespace fs = std::filesystem;

Config tiny(const std::vector<std::string>& overrides = {}) {
  return load_config(std::string(LAYERSEG_SOURCE_DIR) + "/configs/tiny_test.toml", overrides);
}

// A fresh, empty directory for one test.
std::string fresh_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / fmt::format("layerseg_{}_{}", name, getpid());
  fs::remove_all(p);
  return p.string();
}

TrainResult train(const Config& cfg, const std::string& dir, bool resume = false, int64_t stop_after = -1) {
  TrainOptions o;
  o.run_dir = dir, o.resume = resume, o.stop_after = stop_after, o.progress = false;
  return Trainer(cfg, o).run();
}

// step -> the logged losses of that step (timings dropped): with log_every = 1, one line per step.
std::map<int64_t, nlohmann::json> step_losses(const std::string& dir) {
  std::map<int64_t, nlohmann::json> out;
  std::ifstream f(run_file(dir, kLogFile));
  for (std::string line; std::getline(f, line);) {
    nlohmann::json j = nlohmann::json::parse(line);
    if (!j.contains("phase")) continue;
    j.erase("it_s");
    EXPECT_EQ(out.count(j["step"].get<int64_t>()), 0u) << "step logged twice: " << line;
    out[j["step"].get<int64_t>()] = j;
  }
  return out;
}

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// `--threads N` changes who computes what, never the result: 2 rounds (the EMA, L_bg through F, DiffAugment and the
// two terms from outside the paper on) at 1, 2 and 3 threads end in byte-identical checkpoints. At 32×32 every kernel
// of the step has work to split (the pool's job counter must move, or the test proves nothing).
TEST(TrainDeterminism, SameCheckpointBytesAtOneTwoAndThreeThreads) {
  const int saved = thread_count();
  const Config cfg = tiny({"data.size=32", "train.ema=true", "train.d_augment=translation,cutout", "loss.gamma_size=1",
                           "loss.gamma_ils=1", "train.gan_steps=4", "train.seg_steps=3"});
  std::string reference;
  for (int threads : {1, 2, 3}) {
    set_thread_count(threads);
    const std::string dir = fresh_dir(fmt::format("threads{}", threads));
    const int64_t jobs = pool_jobs();
    ASSERT_TRUE(train(cfg, dir).finished);
    if (threads > 1) {
      EXPECT_GT(pool_jobs(), jobs + 100) << "the training barely used the pool";
    }
    const std::string bytes = file_bytes(run_file(dir, kCheckpointFile));
    ASSERT_GT(bytes.size(), 1000u);
    if (threads == 1)
      reference = bytes;
    else
      EXPECT_TRUE(bytes == reference) << "checkpoint at " << threads << " threads differs from the one at 1 thread";
    fs::remove_all(dir);
  }
  set_thread_count(saved);
}

// With checkpoint_every far away, the end of every GAN and U-Net phase still writes one: polled after each step
// (before that step's own save), the checkpoint on disk holds the last phase end before the step.
TEST(TrainCheckpoints, EveryPhaseEndWritesACheckpoint) {
  const std::string dir = fresh_dir("phase_ends");
  const Config cfg = tiny();  // 2 rounds of 6 GAN + 4 U-Net steps; checkpoint_every 1000
  ASSERT_EQ(cfg.train.checkpoint_every, 1000);
  std::vector<int64_t> on_disk;
  TrainOptions o;
  o.run_dir = dir, o.progress = false;
  o.interrupted = [&] {
    const std::string path = run_file(dir, kCheckpointFile);
    on_disk.push_back(fs::exists(path) ? std::stoll(load_checkpoint(path).metadata.at("step")) : -1);
    return false;
  };
  ASSERT_TRUE(Trainer(cfg, o).run().finished);
  std::vector<int64_t> want;
  for (int64_t step = 1; step <= 20; ++step)
    want.push_back(step <= 6 ? -1 : step <= 10 ? 6 : step <= 16 ? 10 : 16);  // phases end at 6, 10, 16 and 20
  EXPECT_EQ(on_disk, want);
  EXPECT_EQ(std::stoll(load_checkpoint(run_file(dir, kCheckpointFile)).metadata.at("step")), 20);
  fs::remove_all(dir);
}

TEST(TrainResume, InterruptedTwiceMatchesAnUninterruptedRunBitForBit) {
  // 2 rounds of {6 GAN, 4 U-Net} steps; stops in round 1's U-Net phase (step 8) and in round 2's GAN phase
  // (step 13, where L_bg through the frozen U-Net and the EMA are active). D sees DiffAugment's draws, which
  // must resume with the rest of the random stream, and G_b's detail fades in over G steps 3..9 (α = (step − 3)/6),
  // across both interruptions. The two terms from outside the paper are on (min_coverage 0.9 keeps the hinge active).
  const Config cfg =
      tiny({"train.d_augment=colour,translation,cutout", "model.bg_size=8", "model.bg_detail_start=3",
            "model.bg_detail_steps=6", "loss.gamma_size=1", "loss.min_coverage=0.9", "loss.gamma_ils=1"});
  const std::string a = fresh_dir("resume_a"), b = fresh_dir("resume_b");
  const TrainResult full = train(cfg, a);
  ASSERT_TRUE(full.finished);
  EXPECT_FALSE(train(cfg, b, false, 8).finished);
  {
    // The last G step before the stop had 5 G steps done before it: α = 2/6, in g and in its EMA copy.
    const Checkpoint ck = load_checkpoint(run_file(b, kCheckpointFile));
    EXPECT_FLOAT_EQ(ck.tensors.at("g.bg_detail_alpha").item(), 2.f / 6.f);
    EXPECT_FLOAT_EQ(ck.tensors.at("g_ema.bg_detail_alpha").item(), 2.f / 6.f);
  }
  EXPECT_FALSE(train(cfg, b, true, 13).finished);
  const TrainResult resumed = train(cfg, b, true);
  ASSERT_TRUE(resumed.finished);

  const auto la = step_losses(a), lb = step_losses(b);
  ASSERT_EQ(la.size(), 20u);
  ASSERT_EQ(lb.size(), la.size());
  for (const auto& [step, j] : la) EXPECT_EQ(j.dump(), lb.at(step).dump()) << "step " << step;
  EXPECT_GT(la.at(13)["bg"].get<double>(), 0.0) << "round 2 must train with L_bg";
  EXPECT_GT(la.at(6)["size"].get<double>(), 0.0) << "the mask-size hinge is logged";
  EXPECT_TRUE(la.at(6).contains("ils")) << la.at(6).dump();
  EXPECT_EQ(load_checkpoint(run_file(a, kCheckpointFile)).tensors.at("g_ema.bg_detail_alpha").item(), 1.f);
  EXPECT_FLOAT_EQ(float(la.at(6)["bg_detail"].get<double>()), 2.f / 6.f) << "the log's α at step 6 (5 G steps done)";
  EXPECT_EQ(full.metrics["iou"], resumed.metrics["iou"]);
  EXPECT_EQ(full.metrics["nmi"], resumed.metrics["nmi"]);
  fs::remove_all(a), fs::remove_all(b);
}

TEST(TrainErrors, ResumeAndRunDirectoryMistakesAreClear) {
  const std::string dir = fresh_dir("errors");
  const Config cfg = tiny({"train.rounds=1", "train.gan_steps=2", "train.seg_steps=1"});
  std::string e = test::error_message([&] { train(cfg, dir, true); });
  EXPECT_NE(e.find("nothing to resume"), std::string::npos) << e;

  ASSERT_TRUE(train(cfg, dir).finished);
  e = test::error_message([&] { train(cfg, dir); });
  EXPECT_NE(e.find("already holds a run"), std::string::npos) << e;
  EXPECT_NE(e.find("--resume"), std::string::npos) << e;

  e = test::error_message([&] { train(tiny({"train.rounds=1", "model.g_width=64"}), dir, true); });
  EXPECT_NE(e.find("different architecture"), std::string::npos) << e;
  EXPECT_NE(e.find("model.g_width = 32 (checkpoint) vs 64 (now)"), std::string::npos) << e;

  e = test::error_message([&] { load_run(dir + "_missing"); });
  EXPECT_NE(e.find("does not exist"), std::string::npos) << e;

  // A run directory whose config describes another architecture than its checkpoint.
  EXPECT_NO_THROW(load_run(dir));
  {
    std::ofstream f(run_file(dir, kConfigFile));
    f << to_toml(tiny({"model.unet_width=16"}));
  }
  e = test::error_message([&] { load_run(dir); });
  EXPECT_NE(e.find("does not match the architecture"), std::string::npos) << e;
  EXPECT_NE(e.find("f.down0"), std::string::npos) << e;
  fs::remove_all(dir);
}

TEST(TrainApps, SegmenterAndClustererLoadFromARun) {
  const std::string dir = fresh_dir("apps");
  const Config cfg = tiny({"train.rounds=1", "train.gan_steps=2", "train.seg_steps=1"});
  ASSERT_TRUE(train(cfg, dir).finished);
  const data::Predictor f = load_segmenter(dir);
  const data::Clusterer e = load_clusterer(dir);
  const Tensor images = Tensor::zeros({3, 3, 16, 16});
  const Tensor p = f(images);
  EXPECT_EQ(p.shape(), (Shape{3, 1, 16, 16}));
  for (float v : p.to_vector()) EXPECT_TRUE(v >= 0.f && v <= 1.f);
  const std::vector<int> ids = e(images);
  ASSERT_EQ(ids.size(), 3u);
  for (int id : ids) EXPECT_TRUE(id >= 0 && id < cfg.model.c_dim);

  // The same run through `layerseg eval --run`: the size defaults to the run's, and a labelled dataset adds NMI.
  const std::string shapes = dir + "_shapes", out = dir + "_eval.json", bin = LAYERSEG_BINARY;
  ASSERT_EQ(
      std::system((bin + " data shapes --n 6 --size 24 --kinds 3 --seed 5 --out " + shapes + " > /dev/null").c_str()),
      0);
  ASSERT_EQ(std::system((bin + " eval --run " + dir + " --data " + shapes + " --out " + out + " > /dev/null").c_str()),
            0);
  std::ifstream metrics_file(out);
  const nlohmann::json m = nlohmann::json::parse(metrics_file);
  EXPECT_EQ(m["n_images"], 6);
  EXPECT_EQ(m["size"], cfg.data.size);
  EXPECT_EQ(m["predictor"], "unet:" + dir);
  EXPECT_TRUE(m.contains("nmi") && m["nmi"].get<double>() >= 0.0 && m["nmi"].get<double>() <= 1.0) << m.dump();
  EXPECT_NE(std::system((bin + " eval --run " + dir + "_missing --data " + shapes + " 2> /dev/null").c_str()), 0);
  fs::remove_all(dir);
  fs::remove_all(shapes);
  fs::remove(out);
}

// data.eval_size: F and E_x stay at data.size; the evaluation (metrics, baselines, grid) runs at eval_size, and
// the predictor maps any input size through F's own size and back.
TEST(TrainApps, EvaluatesAtEvalSizeThroughTheTrainingSize) {
  const std::string dir = fresh_dir("eval_size");
  const Config cfg = tiny({"train.rounds=1", "train.gan_steps=2", "train.seg_steps=1", "data.eval_size=24"});
  const TrainResult r = train(cfg, dir);
  ASSERT_TRUE(r.finished);
  std::ifstream metrics_file(run_file(dir, kMetricsFile));
  const nlohmann::json m = nlohmann::json::parse(metrics_file);
  EXPECT_EQ(m["size"], 24) << m.dump();
  EXPECT_EQ(m["baselines"]["ellipse"]["size"], 24) << m.dump();
  EXPECT_EQ(m["baselines"]["mean_mask"]["size"], 24) << m.dump();

  const data::Predictor f = load_segmenter(dir);
  Rng rng(test::fresh_seed());
  const Tensor images = Tensor::uniform({2, 3, 24, 24}, rng, -1.f, 1.f);
  const std::vector<float> p24 = f(images).to_vector();
  const std::vector<float> expected = resize_batch(f(resize_batch(images, 16, 16)), 24, 24).to_vector();
  ASSERT_EQ(p24.size(), size_t(2 * 24 * 24));
  ASSERT_EQ(expected.size(), p24.size());
  for (size_t i = 0; i < p24.size(); ++i) EXPECT_FLOAT_EQ(p24[i], expected[i]) << i;
  EXPECT_EQ(load_clusterer(dir)(images), load_clusterer(dir)(resize_batch(images, 16, 16)));
  EXPECT_NE(test::error_message([&] { tiny({"data.eval_size=2"}); }).find("data.eval_size"), std::string::npos);
  fs::remove_all(dir);
}

TEST(TrainLearning, UNetBeatsTheEllipsePriorOnHeldOutShapes) {
  const std::string dir = fresh_dir("learning");
  const Config cfg = load_config(std::string(LAYERSEG_SOURCE_DIR) + "/configs/learning_test.toml");
  const TrainResult r = train(cfg, dir);
  ASSERT_TRUE(r.finished);
  const double iou = r.metrics["iou"].get<double>();
  const double ellipse = r.metrics["baselines"]["ellipse"]["iou"].get<double>();
  EXPECT_GT(iou, ellipse) << r.metrics.dump();
  // The generated masks of the last GAN steps: neither all background nor all foreground.
  double coverage = -1;
  for (const auto& [step, j] : step_losses(dir))
    if (j["phase"] == "gan") coverage = j["coverage"].get<double>();
  EXPECT_GT(coverage, 0.03);
  EXPECT_LT(coverage, 0.6);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ls::models
