// apps/cmd_train.cpp — `layerseg train`: the whole alternate-training schedule (models/trainer.h) into a run
// directory, then the held-out metrics next to the baselines and the paths of the pictures.
//   layerseg train --config configs/demo.toml --out runs/demo
//   layerseg train --config configs/demo.toml --out runs/demo --set train.gan_steps=500 --set loss.gamma_mi=0
//   layerseg train --out runs/demo --resume          # after an interruption (Ctrl-C saves a checkpoint first)
//   layerseg train --config configs/demo.toml --out runs/demo --restart   # discard that run and start over
//   mpirun -np 2 layerseg train --config configs/demo.toml --out runs/demo   # data parallel (docs/DISTRIBUTED.md)
// In a data-parallel job rank 0 owns the run directory (lock, clean-up, every file written); the others read it.
#include <fmt/core.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "apps/command.h"
#include "core/comm.h"
#include "core/device.h"
#include "data/dataset.h"
#include "kernels/error.h"
#include "models/config.h"
#include "models/run.h"
#include "models/trainer.h"

namespace {

std::atomic<bool> g_interrupted{false};

// Ctrl-C, or the SIGTERM that mpirun and Slurm send to end a job: finish the step, save, stop. A second one ends the
// process at once.
extern "C" void on_interrupt(int sig) {
  g_interrupted = true;
  std::signal(sig, SIG_DFL);
}

struct TrainArgs {
  std::string config, out, device = "cpu";
  std::vector<std::string> overrides;
  bool resume = false, restart = false, no_memory_check = false;
  int64_t stop_after = -1;
};

void print_summary(const ls::models::Config& cfg, const ls::models::TrainResult& r, const std::string& run_dir) {
  const nlohmann::json& m = r.metrics;
  fmt::print("\ntraining finished: {} steps in {:.1f} s ({:.0f} ms per GAN step, {:.0f} ms per U-Net step)\n", r.step,
             r.seconds, m["profile"]["ms_per_gan_step"].get<double>(), m["profile"]["ms_per_seg_step"].get<double>());
  if (m.contains("selection"))  // the U-Net segment and eval will use, chosen without labels (models/selection.h)
    fmt::print("u-net handed out: round {}'s, {}\n", m["selection"]["selected"]["round"].get<int>(),
               m["selection"]["selected"]["reason"].get<std::string>());
  if (m.contains("iou")) {
    const auto& d = cfg.data;
    fmt::print(
        "held-out evaluation: {} images at {}x{} ({})\n", m["n_images"].get<int64_t>(), d.size, d.size,
        d.eval_source == "shapes" ? fmt::format("shapes, seed {}, never used in training", d.eval_seed) : d.eval_root);
    fmt::print("  {:<12} {:>6} {:>6} {:>6} {:>9} {:>6}\n", "predictor", "acc", "iou", "miou", "img-iou", "nmi");
    const auto row = [](const std::string& name, const nlohmann::json& s) {
      fmt::print("  {:<12} {:>6.3f} {:>6.3f} {:>6.3f} {:>9.3f} {:>6}\n", name, s["acc"].get<double>(),
                 s["iou"].get<double>(), s["miou"].get<double>(), s["mean_image_iou"].get<double>(),
                 s.contains("nmi") ? fmt::format("{:.3f}", s["nmi"].get<double>()) : "-");
    };
    row("u-net", m);
    row("ellipse", m["baselines"]["ellipse"]);
    row("mean-mask", m["baselines"]["mean_mask"]);
  }
  fmt::print("pictures:\n");
  for (int k = 1; k <= cfg.train.rounds; ++k)
    for (const char* kind : {"samples", "segmentation"}) {
      const std::string p = ls::models::run_file(run_dir, fmt::format("{}_round{}.png", kind, k));
      if (std::filesystem::exists(p)) fmt::print("  {}\n", p);
    }
  fmt::print("metrics: {}\n{}\n", ls::models::run_file(run_dir, ls::models::kMetricsFile), m.dump());
}

void setup(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  app.add_option("--config", a->config, "TOML configuration (configs/*.toml); with --resume defaults to the run's own")
      ->check(CLI::ExistingFile);
  app.add_option("--out", a->out, "run directory (checkpoints, log.jsonl, pictures, metrics.json)")->required();
  app.add_option("--device", a->device, "cpu | cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  app.add_option("--set", a->overrides, "override a config key: section.key=value (repeatable)");
  auto* resume = app.add_flag("--resume", a->resume, "continue the run in --out from its last checkpoint");
  app.add_flag("--restart", a->restart, "discard the run files already in --out and start over")->excludes(resume);
  app.add_option("--stop-after", a->stop_after, "stop with a checkpoint after this global step (for tests)");
  app.add_flag("--no-memory-check", a->no_memory_check,
               "train even when the memory estimate exceeds the available memory");
  app.callback([a] {
    ls::data::set_memory_check(!a->no_memory_check);
    const bool root = ls::comm::is_root();
    if (root) ls::models::prepare_output_folder(a->out, "--out");
    // Held until training ends: from here on no other `train` can write this folder (nor --restart empty it).
    std::optional<ls::models::RunLock> lock;
    if (root) lock.emplace(a->out);
    // The temp files of checkpoint writes a killed process left behind: with the lock held, none is being written.
    const std::string temp_prefix = std::string(ls::models::kCheckpointFile) + ".tmp.";
    if (root)
      for (const auto& e : std::filesystem::directory_iterator(a->out))
        if (e.path().filename().string().rfind(temp_prefix, 0) == 0) std::filesystem::remove(e.path());
    std::string config_path = a->config;
    if (config_path.empty()) {
      LS_CHECK(a->resume, "train: --config FILE is required (only --resume can reuse the run's own config)");
      config_path = ls::models::run_file(a->out, ls::models::kConfigFile);
      LS_CHECK(std::filesystem::exists(config_path), "train --resume: {} does not exist", config_path);
    }
    const ls::models::Config cfg = ls::models::load_config(config_path, a->overrides);
    if (root && a->restart && std::filesystem::is_directory(a->out))
      // Only what `train` (and tools/plot_run.py) writes: --out may be a folder that holds other things too.
      for (const auto& e : std::filesystem::directory_iterator(a->out)) {
        const std::string name = e.path().filename().string();
        if (name == ls::models::kConfigFile || name == ls::models::kCheckpointFile || name == ls::models::kLogFile ||
            name == ls::models::kMetricsFile || name.rfind("samples_round", 0) == 0 ||
            name.rfind("segmentation_round", 0) == 0 || name == "curves.png")  // tools/plot_run.py's, of the old log
          std::filesystem::remove(e.path());
      }
    ls::comm::barrier();  // the other ranks look at the run directory once rank 0 has prepared it
    ls::models::TrainOptions opt;
    opt.run_dir = a->out;
    if (a->device == "cuda" && ls::comm::world().size > 1) ls::select_cuda_device(ls::comm::world().local_rank);
    opt.device = ls::parse_device(a->device.c_str());
    opt.progress = root;
    opt.resume = a->resume;
    opt.stop_after = a->stop_after;
    opt.interrupted = [] { return g_interrupted.load(); };
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    ls::models::Trainer trainer(cfg, opt);
    const ls::models::TrainResult r = trainer.run();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (r.finished && root) print_summary(cfg, r, a->out);
  });
}

}  // namespace

LS_COMMAND("train", "alternate training of the layered GAN and the U-Net (paper Algorithm 1)", setup);
