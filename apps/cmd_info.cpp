// apps/cmd_info.cpp — `layerseg info RUN_DIR`: what a run directory holds, without loading any network. Prints the
// effective configuration the checkpoint was trained with (TOML, as `train --config` reads it), the step and round
// reached, the last logged losses and evaluation, the final metrics when the run finished, and every tensor of the
// checkpoint with its shape and size.
//   layerseg info runs/demo
//   layerseg info runs/demo > demo_info.txt      # the config section can be cut out and reused as a --config
#include <fmt/core.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "apps/command.h"
#include "core/checkpoint.h"
#include "kernels/error.h"
#include "models/config.h"
#include "models/run.h"

namespace {
namespace fs = std::filesystem;

std::string megabytes(int64_t bytes) { return fmt::format("{:.2f} MB", double(bytes) / 1e6); }

std::string shape_text(const ls::Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// The last log line with a training phase (its losses) and the last one with an evaluation; null when absent.
std::pair<nlohmann::json, nlohmann::json> last_log_entries(const std::string& path) {
  nlohmann::json losses, eval;
  std::ifstream in(path);
  int64_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      LS_FAIL("{}:{}: not a JSON line ({})", path, line_no, e.what());
    }
    if (j.contains("phase")) losses = j;
    if (j.contains("eval")) eval = j;
  }
  return {losses, eval};
}

std::string scores_text(const nlohmann::json& s) {
  std::string out;
  for (const char* key : {"acc", "iou", "miou", "mean_image_iou", "nmi"})
    if (s.contains(key)) out += fmt::format("{}{} {:.3f}", out.empty() ? "" : ", ", key, s[key].get<double>());
  return out;
}

void print_info(const std::string& run_dir) {
  LS_CHECK(fs::is_directory(run_dir), "info: run directory '{}' does not exist", run_dir);
  const std::string ckpt_path = ls::models::run_file(run_dir, ls::models::kCheckpointFile);
  const std::string cfg_path = ls::models::run_file(run_dir, ls::models::kConfigFile);
  LS_CHECK(fs::is_regular_file(ckpt_path) || fs::is_regular_file(cfg_path),
           "info: '{}' holds neither {} nor {}; is it a run directory of `layerseg train`?", run_dir,
           ls::models::kCheckpointFile, ls::models::kConfigFile);

  // The checkpoint's own copy of the config is what its weights were trained with; config.toml is the fallback for
  // a run that has not saved one yet.
  std::optional<ls::Checkpoint> ck;
  if (fs::is_regular_file(ckpt_path)) ck = ls::load_checkpoint(ckpt_path);
  const auto meta = [&](const char* key) -> std::string {
    const auto it = ck->metadata.find(key);
    LS_CHECK(it != ck->metadata.end(), "{}: metadata '{}' missing (not a layerseg training checkpoint?)", ckpt_path,
             key);
    return it->second;
  };
  const ls::models::Config cfg =
      ck ? ls::models::parse_config(meta("config"), ckpt_path + " (metadata)") : ls::models::load_config(cfg_path);
  const int64_t total = cfg.train.rounds * (cfg.train.gan_steps + cfg.train.seg_steps);

  fmt::print("run {}\n", run_dir);
  if (ck)
    fmt::print("step {} of {}, round {} of {}\n", meta("step"), total, meta("round"), cfg.train.rounds);
  else
    fmt::print("no checkpoint yet ({} steps planned)\n", total);

  const auto [losses, eval] = last_log_entries(ls::models::run_file(run_dir, ls::models::kLogFile));
  if (!losses.is_null()) {
    std::string text;
    for (const auto& [k, v] : losses.items())
      if (v.is_number_float()) text += fmt::format(" {} {:.4g}", k, v.get<double>());
    fmt::print("last logged step {} (round {}, {}):{}\n", losses["step"].get<int64_t>(), losses["round"].get<int64_t>(),
               losses["phase"].get<std::string>(), text);
  }
  if (!eval.is_null())
    fmt::print("last evaluation (step {}, round {}): {}\n", eval["step"].get<int64_t>(), eval["round"].get<int64_t>(),
               scores_text(eval["eval"]));
  const std::string metrics_path = ls::models::run_file(run_dir, ls::models::kMetricsFile);
  if (fs::is_regular_file(metrics_path)) {
    const nlohmann::json m = nlohmann::json::parse(std::ifstream(metrics_path));
    fmt::print("final metrics ({}): {}\n", metrics_path, scores_text(m));
  }

  fmt::print("\n# effective configuration\n{}\n", ls::models::to_toml(cfg));

  if (!ck) return;
  int64_t bytes = 0;
  for (const auto& [name, t] : ck->tensors) bytes += t.numel() * int64_t(sizeof(float));
  fmt::print("# checkpoint {}: {} tensors, {} of F32 data ({} on disk)\n", ckpt_path, ck->tensors.size(),
             megabytes(bytes), megabytes(int64_t(fs::file_size(ckpt_path))));
  for (const auto& [name, t] : ck->tensors)
    fmt::print("{:<48} {:<20} {:>10} values\n", name, shape_text(t.shape()), t.numel());
}

void setup(CLI::App& app) {
  auto run_dir = std::make_shared<std::string>();
  app.add_option("run_dir", *run_dir, "run directory of `layerseg train`")->required()->check(CLI::ExistingDirectory);
  app.callback([run_dir] { print_info(*run_dir); });
}

}  // namespace

LS_COMMAND("info", "a run's effective config, progress, last metrics and checkpoint tensors", setup);
