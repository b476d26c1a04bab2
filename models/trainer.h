// models/trainer.h — alternate training (paper Algorithm 1): K rounds of {N_gan GAN steps, N_seg U-Net steps}.
// A GAN step is one G update (G_b, G_f through the frozen D, E_x, E_π, plus γ̂_bg·L_bg through the frozen F from
// round 2 on) and one D update (D, E_x, E_π on real images and detached composites). A U-Net step trains F on a
// batch the generator (its EMA copy when train.ema) synthesizes on the fly. The schedule is one global step
// counter, so a checkpoint (every train.checkpoint_every steps, at the end of every GAN and U-Net phase and at the
// end) holds everything a resumed run needs
// to continue bit-identically: weights, buffers, Adam and EMA states, the RNG offset, the step and the monitor.
//   ls::models::Trainer t(cfg, {.run_dir = "runs/demo"});
//   t.run();   // logs, grids, checkpoints and metrics land in runs/demo (models/run.h)
// Progress goes to stderr: on a terminal one live line, rewritten after every step; elsewhere (a pipe, a file, a
// batch job's log) one line per progress_every_s seconds and at the end of each phase, so a log shows the run is
// alive and how far it is without thousands of carriage returns.
#pragma once
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/module.h"
#include "models/config.h"

namespace ls::models {

struct TrainOptions {
  std::string run_dir;
  Device device = Device::CPU;
  bool resume = false;                // continue from RUN_DIR/checkpoint.safetensors
  bool progress = true;               // progress line on stderr
  double progress_every_s = 30;       // off a terminal: seconds between progress lines
  int64_t stop_after = -1;            // stop (with a checkpoint) once this global step is done; -1 runs the schedule
  std::function<bool()> interrupted;  // polled after each step: true saves a checkpoint and stops (Ctrl-C)
};

// What run() did: the final evaluation (when the run has an evaluation set and finished) and the timings.
struct TrainResult {
  bool finished = false;
  int64_t step = 0;
  nlohmann::json metrics;  // metrics.json: the U-Net, the baselines and the collapse monitor
  double seconds = 0;
};

// One progress line: "round 2/3 gan 150/1800 (step 2250/6300) D 1.234 G 0.567 ... | 7.1 it/s | ETA 9:30".
struct ProgressStatus {
  int round = 1, rounds = 1;  // 1-based
  std::string phase;          // "gan" or "seg"
  int64_t local = 0, len = 0, step = 0, total = 0;
  double it_s = 0, eta_s = 0;
  std::vector<std::pair<std::string, double>> losses;  // label, value; in the order shown
};
std::string progress_text(const ProgressStatus& p);

// When a line is due, given the time in seconds (injected, so tests need no clock): on a terminal after every
// step; off one at the first step, at each phase end and once `interval_s` has passed since the last line.
class ProgressGate {
 public:
  ProgressGate(bool tty, double interval_s) : tty_(tty), interval_s_(interval_s) {}
  bool due(double now_s, bool phase_end);  // true also records now_s as the last line's time

 private:
  bool tty_;
  double interval_s_, last_s_ = 0;
  bool printed_ = false;
};

// Throws ls::Error naming the loss, the parameter and the step when a gradient holds a NaN or an Inf; the trainer
// calls it between each backward pass and its optimizer step, so a diverged step never reaches the weights.
void check_finite_gradients(const NamedTensors& params, const std::string& loss, int64_t step);

// Medians of timed steps (`layerseg bench --step`).
struct StepTimes {
  double ms_per_gan_step = 0, ms_per_seg_step = 0;
  // Of which inside collectives (a data-parallel job's all-reduces, waiting included; 0 in one process).
  double collective_ms_per_gan_step = 0, collective_ms_per_seg_step = 0;
};

class Trainer {
 public:
  Trainer(const Config& cfg, TrainOptions opt);
  ~Trainer();
  TrainResult run();
  // Runs `warmup` then `repeats` GAN steps as in round 1 (no L_bg yet), then as many U-Net steps, each timed alone;
  // returns the medians. The networks train as they would in run(), so the figures are a run's, minus the logging.
  StepTimes time_steps(int warmup, int repeats);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace ls::models
