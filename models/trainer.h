// models/trainer.h — alternate training (paper Algorithm 1): K rounds of {N_gan GAN steps, N_seg U-Net steps}.
// A GAN step is one G update (G_b, G_f through the frozen D, E_x, E_π, plus γ̂_bg·L_bg through the frozen F from
// round 2 on) and one D update (D, E_x, E_π on real images and detached composites). A U-Net step trains F on a
// batch the generator (its EMA copy when train.ema) synthesizes on the fly. The schedule is one global step
// counter, so a checkpoint (every train.checkpoint_every steps and at the end) holds everything a resumed run needs
// to continue bit-identically: weights, buffers, Adam and EMA states, the RNG offset, the step and the monitor.
//   ls::models::Trainer t(cfg, {.run_dir = "runs/demo"});
//   t.run();   // logs, grids, checkpoints and metrics land in runs/demo (models/run.h)
#pragma once
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/device.h"
#include "models/config.h"

namespace ls::models {

struct TrainOptions {
  std::string run_dir;
  Device device = Device::CPU;
  bool resume = false;                // continue from RUN_DIR/checkpoint.safetensors
  bool progress = true;               // progress line on stderr
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

class Trainer {
 public:
  Trainer(const Config& cfg, TrainOptions opt);
  ~Trainer();
  TrainResult run();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace ls::models
