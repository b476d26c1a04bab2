// models/trainer.cpp — alternate training (models/trainer.h): data, the GAN and U-Net steps, logging, the collapse
// monitor, grids, checkpoints, resume and the final evaluation against the baselines.
#include "models/trainer.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <tuple>

#include "core/autograd.h"
#include "core/checkpoint.h"
#include "core/comm.h"
#include "core/distributed.h"
#include "core/ops.h"
#include "core/optim.h"
#include "core/perturb.h"
#include "core/trace.h"
#include "data/evaluate.h"
#include "data/grid.h"
#include "data/image.h"
#include "data/shapes.h"
#include "kernels/error.h"
#include "models/augment.h"
#include "models/losses.h"
#include "models/run.h"
#include "models/selection.h"

namespace ls::models {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::optional<data::Dataset> load_eval_set(const DataConfig& d) {
  if (d.eval_source == "none") return std::nullopt;
  if (d.eval_source == "shapes") {
    data::ShapesOptions o;
    o.n = d.eval_n, o.size = d.effective_eval_size(), o.seed = d.eval_seed, o.kinds = d.shapes_kinds;
    return data::make_shapes(o);
  }
  data::DatasetOptions o;
  o.layout = d.eval_source, o.size = d.effective_eval_size(), o.stems_file = d.eval_stems, o.split = d.eval_split;
  o.masks = data::MaskPolicy::kRequired;
  return data::load_dataset(d.eval_root, o);
}

std::string clock_text(double seconds) {
  const int64_t s = int64_t(std::max(0.0, seconds));
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                   : fmt::format("{}:{:02}", s / 60, s % 60);
}

// Loss averages over the steps since the last log line.
struct Window {
  std::map<std::string, double> sum;
  int64_t steps = 0;
  double seconds = 0;
  void add(const std::map<std::string, double>& v, double dt) {
    for (const auto& [k, x] : v) sum[k] += x;
    ++steps, seconds += dt;
  }
};

// A non-finite loss stops training before its backward pass: the optimizers have not touched the weights, and the
// exception keeps run() from writing a checkpoint over the last good one.
void check_finite_loss(const Tensor& loss, const char* name, int64_t step) {
  const double v = loss.item();
  LS_CHECK(std::isfinite(v),
           "training diverged: {} is {} at step {}; stopped without writing a checkpoint (the last good one is "
           "kept; lower the learning rates or resume from it)",
           name, v, step);
}

// The step's logged values as the mean over the ranks of each rank's batch-mean (the global batch's mean: the ranks
// hold equal slices). Keys every rank has, in the map's order.
void mean_over_ranks(std::map<std::string, double>& values) {
  if (comm::world().size == 1) return;
  std::vector<float> v;
  for (const auto& [k, x] : values) v.push_back(float(x));
  comm::allreduce_sum(v.data(), v.size());
  size_t i = 0;
  for (auto& [k, x] : values) x = double(v[i++]) / comm::world().size;
}

}  // namespace

void check_finite_gradients(const NamedTensors& params, const std::string& loss, int64_t step) {
  for (const auto& [name, p] : params) {
    if (!p.grad().defined()) continue;
    for (float g : p.grad().to_vector())
      LS_CHECK(std::isfinite(g),
               "training diverged: the gradient of {} is {} in {} at step {}; stopped without writing a checkpoint "
               "(the last good one is kept; lower the learning rates or resume from it)",
               loss, g, name, step);
  }
}

std::string progress_text(const ProgressStatus& p) {
  std::string losses;
  for (const auto& [label, value] : p.losses) losses += fmt::format(" {} {:.3f}", label, value);
  return fmt::format("round {}/{} {} {}/{} (step {}/{}){} | {:.1f} it/s | ETA {}", p.round, p.rounds, p.phase, p.local,
                     p.len, p.step, p.total, losses, p.it_s, clock_text(p.eta_s));
}

bool ProgressGate::due(double now_s, bool phase_end) {
  if (!tty_ && printed_ && !phase_end && now_s - last_s_ < interval_s_) return false;
  printed_ = true, last_s_ = now_s;
  return true;
}

struct Trainer::State {
  Config cfg;
  TrainOptions opt;
  Device dev;
  Rng rng;
  Networks nets;
  std::unique_ptr<Adam> opt_g, opt_d, opt_f;
  std::shared_ptr<const data::Dataset> train_set;
  std::optional<data::Dataset> eval_set;
  int64_t step = 0;
  int64_t low_streak = 0, high_streak = 0;
  // Timing for the ETA and the profile in metrics.json: seconds and counts of GAN and U-Net steps in this process.
  double gan_seconds = 0, seg_seconds = 0;
  int64_t gan_count = 0, seg_count = 0;
  Window window;
  std::ofstream log;
  bool tty = false;
  ProgressGate gate{false, 0};
  Clock::time_point started = Clock::now();

  DiffAugmentPolicy d_augment;
  // This rank's rows of the GAN and U-Net batches (all of them in a single process; core/distributed.h).
  dist::BatchRows rows, seg_rows;
  bool root = true;  // rank 0: the one that writes the run directory

  // The U-Net the run hands out (models/selection.h): a copy of F from the round that scored best so far, and the
  // record of that choice and of every round's (metrics.json "selection").
  std::shared_ptr<UNet> best_f;
  nlohmann::json selected, selection_history = nlohmann::json::array();  // selected: null until the first round ends
  bool have_best() const { return !selected.is_null(); }

  int64_t per_round() const { return cfg.train.gan_steps + cfg.train.seg_steps; }
  int64_t total() const { return cfg.train.rounds * per_round(); }
  std::string path(const std::string& name) const { return run_file(opt.run_dir, name); }

  Tensor real_batch();
  std::map<std::string, double> gan_step(int round, int64_t gan_done);
  std::map<std::string, double> seg_step();
  void monitor(double coverage);
  void log_window(int round, const char* phase);
  void progress(int round, const char* phase, int64_t local, int64_t len);
  void save();
  void resume();
  void write_samples(int round);
  void select_unet(int round);
  std::optional<data::SegmentationScores> evaluate_round(int round);
  nlohmann::json final_metrics(const std::optional<data::SegmentationScores>& unet);
  void write_json(nlohmann::json j);
  void print_run_files() const;
};

// The global batch's picks (image index, then flip, for every row) come from one fill; this rank loads its rows.
Tensor Trainer::State::real_batch() {
  const int b = cfg.train.batch, s = cfg.data.size;
  const int64_t n = rows.count();
  std::vector<float> u(size_t(2 * b)), host(size_t(n) * 3 * s * s);
  rng.fill_uniform(u.data(), u.size());
  for (int64_t r = 0; r < n; ++r) {
    const size_t i = size_t(rows.index[size_t(r)]);
    const int64_t idx = std::min<int64_t>(int64_t(u[i] * float(train_set->count())), train_set->count() - 1);
    train_set->copy_image(idx, host.data() + size_t(r) * 3 * s * s, cfg.data.flip && u[size_t(b) + i] < 0.5f);
  }
  return Tensor::from_vector({n, 3, s, s}, host, dev);
}

// One D update then one G update on the same generated batch (as DCGAN: the D step sees it detached), so each
// step runs the generator forward once. Returns the step's losses and mask coverage.
std::map<std::string, double> Trainer::State::gan_step(int round, int64_t gan_done) {
  LS_TRACE_RANGE("gan_step");
  const dist::SyncBatchNormScope sync_batch_norm;
  const ModelConfig& m = cfg.model;
  const LossConfig& w = cfg.loss;
  const int64_t b = rows.count();  // this rank's rows of train.batch
  Generator& g = *nets.g;
  Critic& d = *nets.d;

  float detail = 0;
  if (m.bg_detail_start > 0) {
    // G_b first learns a coarse background, so the object settles in the foreground layer; then its full-resolution
    // detail fades in, so that backgrounds get the texture of real ones and F cannot take sharpness for foreground.
    // (On the Weizmann horses G_b later takes the horses back: docs/RESULTS.md.)
    detail = std::clamp(float(gan_done - m.bg_detail_start) / float(m.bg_detail_steps), 0.f, 1.f);
    g.set_background_detail(detail);
    if (nets.g_ema) nets.g_ema->set_background_detail(detail);
  }
  const int global = cfg.train.batch;
  const Tensor z = rows.pick(Tensor::normal({global, m.z_dim}, rng, 0.f, 1.f, dev));
  Code c = sample_code(rng, global, m, dev);
  c.input = rows.pick(c.input);
  if (c.labels.defined()) c.labels = rows.pick(c.labels);
  const Layers l = g.generate(z, c.input);
  const Tensor theta =
      rows.pick(perturbation_theta(rng, global, cfg.perturb.translate, cfg.perturb.rotate_deg, cfg.perturb.scale_log2))
          .to(dev);
  const Composite fake = compose_perturbed(l.x_b, l.x_f, l.pi, theta);

  // D step: D, E_x, E_π on real images and the detached composite; real and fake go through D as one batch.
  // With train.d_augment, D only ever sees augmented images, real and generated alike.
  const auto seen_by_d = [&](const Tensor& x, const dist::BatchRows& x_rows) {
    return d_augment.any() ? diff_augment(x, d_augment, rng, &x_rows) : x;
  };
  const CriticOutput o = d.discriminate(seen_by_d(concat({real_batch(), fake.image.detach()}, 0), rows.then(rows)));
  const Tensor adv_d = adversarial_d_loss(slice(o.d_logit, 0, 0, b), slice(o.d_logit, 0, b, 2 * b), w.adversarial);
  const Tensor mi_d = code_nll(slice(o.e_x, 0, b, 2 * b), c) + code_nll(d.encode_mask(l.pi.detach()), c);
  const Tensor loss_d = adv_d + mi_d * w.gamma_mi;
  check_finite_loss(loss_d, "loss_d", step + 1);
  opt_d->zero_grad();
  loss_d.backward();
  dist::average_gradients(d.named_parameters());
  check_finite_gradients(d.named_parameters(), "loss_d", step + 1);
  opt_d->step();

  // G step: G_b, G_f through the frozen critic (and the frozen F from round 2 on).
  const bool use_bg = round > 0 && w.gamma_bg > 0 && cfg.train.seg_steps > 0;
  d.set_requires_grad(false);
  if (use_bg) nets.f->set_requires_grad(false), nets.f->train(false);
  const CriticOutput of = d.discriminate(seen_by_d(fake.image, rows));
  const Tensor adv_g = adversarial_g_loss(of.d_logit, w.adversarial);
  const Tensor mi_g = code_nll(of.e_x, c) + code_nll(d.encode_mask(l.pi), c);
  const Tensor bin = binarization_loss(fake.mask);
  const float gamma_b = w.b_warmup > 0 ? w.gamma_b * std::min(1.f, float(gan_done) / float(w.b_warmup)) : w.gamma_b;
  Tensor loss_g = adv_g + mi_g * w.gamma_mi + bin * gamma_b;
  Tensor size, ils;
  if (w.gamma_size > 0) loss_g = loss_g + (size = mask_size_loss(fake.mask, w.min_coverage)) * w.gamma_size;
  if (w.gamma_ils > 0) loss_g = loss_g + (ils = layer_independence_loss(l.x_b, l.x_f, l.pi)) * w.gamma_ils;
  Tensor bg;
  if (use_bg) {
    bg = background_loss(nets.f->forward(l.x_b));
    loss_g = loss_g + bg * w.gamma_bg;
  }
  check_finite_loss(loss_g, "loss_g", step + 1);
  opt_g->zero_grad();
  loss_g.backward();
  dist::average_gradients(g.named_parameters());
  check_finite_gradients(g.named_parameters(), "loss_g", step + 1);
  opt_g->step();
  d.set_requires_grad(true);
  if (use_bg) nets.f->set_requires_grad(true), nets.f->train(true);

  if (nets.g_ema) {
    // Warm-up of the decay (as tf.train.ExponentialMovingAverage's num_updates): early EMA weights do not drag
    // the random initialization along for thousands of steps.
    const float decay = std::min(cfg.train.ema_decay, float(1 + gan_done) / float(10 + gan_done));
    autograd::NoGradGuard no_grad;
    ema_update(nets.g_ema->named_parameters(), g.named_parameters(), decay);
  }

  // Every sample's coverage, in the global batch's order: the monitor sees what one process sees.
  const std::vector<float> mine = mean(l.pi.detach(), {1, 2, 3}).to_vector();
  std::vector<float> cov(static_cast<size_t>(global));
  comm::allgather(mine.data(), mine.size(), cov.data());
  double cm = 0, cv = 0;
  for (float x : cov) cm += x;
  cm /= double(cov.size());
  for (float x : cov) cv += (x - cm) * (x - cm);
  monitor(cm);
  std::map<std::string, double> out = {{"loss_d", loss_d.item()}, {"adv_d", adv_d.item()},
                                       {"mi_d", mi_d.item()},     {"loss_g", loss_g.item()},
                                       {"adv_g", adv_g.item()},   {"mi_g", mi_g.item()},
                                       {"bin", bin.item()},       {"bg", bg.defined() ? bg.item() : 0.0}};
  if (size.defined()) out["size"] = size.item();
  if (ils.defined()) out["ils"] = ils.item();
  mean_over_ranks(out);
  out["coverage"] = cm, out["coverage_std"] = std::sqrt(cv / double(cov.size()));
  if (m.bg_detail_start > 0) out["bg_detail"] = detail;
  return out;
}

std::map<std::string, double> Trainer::State::seg_step() {
  LS_TRACE_RANGE("seg_step");
  const dist::SyncBatchNormScope sync_batch_norm;
  const int n = cfg.train.seg_batch;
  const Synthetic s = synthesize(nets.synthesizer(), cfg.model, n, n, rng, dev, &seg_rows);
  const Composite pair = segmentation_pair(s, cfg.perturb, cfg.train.seg_scale_log2, rng, dev, &seg_rows);
  const Tensor x = cfg.train.colour_aug ? colour_augment(pair.image, rng, kSegmentationColour, &seg_rows) : pair.image;
  const Tensor loss = segmentation_loss(nets.f->forward(x), pair.mask);
  check_finite_loss(loss, "loss_f", step + 1);
  opt_f->zero_grad();
  loss.backward();
  dist::average_gradients(nets.f->named_parameters());
  check_finite_gradients(nets.f->named_parameters(), "loss_f", step + 1);
  opt_f->step();
  std::map<std::string, double> out = {{"loss_f", loss.item()}};
  mean_over_ranks(out);
  return out;
}

// Collapse monitor: a mean coverage outside [low, high] for `patience` G steps in a row is a warning (once per
// stretch), in the log and on stderr.
void Trainer::State::monitor(double coverage) {
  const MonitorConfig& m = cfg.monitor;
  low_streak = coverage < m.low ? low_streak + 1 : 0;
  high_streak = coverage > m.high ? high_streak + 1 : 0;
  if (low_streak != m.patience && high_streak != m.patience) return;
  const std::string what = fmt::format(
      "mask collapse: generated masks {} (mean coverage {:.3f}) for {} G steps in a row; see the collapse "
      "monitor in docs/TRAINING.md (model.mask_bias, loss.b_warmup, loss.gamma_mi)",
      low_streak ? "are all background" : "are all foreground", coverage, m.patience);
  if (root) fmt::print(stderr, "{}warning: {}\n", tty ? "\n" : "", what);
  write_json({{"step", step + 1}, {"warning", what}});
}

void Trainer::State::write_json(nlohmann::json j) {
  if (!root) return;  // rank 0 keeps the log
  log << j.dump() << '\n';
  log.flush();
  // The fault-injection tests' full disk (tests/test_reliability.cpp): LAYERSEG_FAULT_ENOSPC=log fails this write
  // as a full file system fails a flush.
  if (const char* fault = std::getenv("LAYERSEG_FAULT_ENOSPC"); fault && std::strcmp(fault, "log") == 0)
    errno = ENOSPC, log.setstate(std::ios::badbit);
  // errno still holds the failed write's reason (e.g. ENOSPC): a full disk stops the run here, with the last
  // checkpoint intact, instead of training on with a log that silently ends.
  LS_CHECK(log.good(), "{}: cannot write the log: {}", path(kLogFile), std::strerror(errno));
}

void Trainer::State::log_window(int round, const char* phase) {
  if (window.steps == 0) return;
  nlohmann::json j = {{"step", step}, {"round", round + 1}, {"phase", phase}};
  for (const auto& [k, v] : window.sum) j[k] = v / double(window.steps);
  j["it_s"] = double(window.steps) / std::max(window.seconds, 1e-9);
  write_json(j);
  window = Window{};
}

void Trainer::State::progress(int round, const char* phase, int64_t local, int64_t len) {
  if (!opt.progress || !gate.due(std::chrono::duration<double>(Clock::now() - started).count(), local == len)) return;
  const double t_gan = gan_count ? gan_seconds / double(gan_count) : 0;
  const double t_seg = seg_count ? seg_seconds / double(seg_count) : t_gan;  // a guess until F has run
  int64_t gan_left = 0;
  if (step < total()) {
    const int64_t at = step % per_round(), rounds_after = cfg.train.rounds - 1 - step / per_round();
    gan_left = std::max<int64_t>(cfg.train.gan_steps - at, 0) + rounds_after * cfg.train.gan_steps;
  }
  const int64_t seg_left = total() - step - gan_left;
  const double last = phase[0] == 'g' ? t_gan : seg_count ? t_seg : 0;
  ProgressStatus p;
  p.round = round + 1, p.rounds = cfg.train.rounds, p.phase = phase, p.local = local, p.len = len;
  p.step = step, p.total = total(), p.it_s = last > 0 ? 1.0 / last : 0.0;
  p.eta_s = double(gan_left) * t_gan + double(seg_left) * t_seg;
  for (const auto& [key, label] : {std::pair{"loss_d", "D"},
                                   {"loss_g", "G"},
                                   {"mi_g", "mi"},
                                   {"bin", "bin"},
                                   {"bg", "bg"},
                                   {"size", "size"},
                                   {"ils", "ils"},
                                   {"coverage", "cov"},
                                   {"loss_f", "F"}})
    if (window.sum.count(key)) p.losses.emplace_back(label, window.sum[key] / double(window.steps));
  fmt::print(stderr, "{}{}{}", tty ? "\r\033[K" : "", progress_text(p), tty ? "" : "\n");
}

void Trainer::State::save() {
  LS_TRACE_RANGE("checkpoint");
  NamedTensors all = network_state(nets);
  for (const auto& [prefix, o] :
       {std::pair{"adam_g.", opt_g.get()}, {"adam_d.", opt_d.get()}, {"adam_f.", opt_f.get()}}) {
    const NamedTensors t = with_prefix(prefix, o->state());
    all.insert(all.end(), t.begin(), t.end());
  }
  std::map<std::string, std::string> meta = {
      {"config", to_toml(cfg)},
      {"step", std::to_string(step)},
      {"round", std::to_string(std::min<int64_t>(step / per_round(), cfg.train.rounds - 1) + 1)},
      {"rng_seed", std::to_string(rng.seed())},
      {"rng_offset", std::to_string(rng.offset())},
      {"monitor_low_streak", std::to_string(low_streak)},
      {"monitor_high_streak", std::to_string(high_streak)}};
  if (have_best()) {  // the selected F and its record (models/selection.h)
    const NamedTensors best = with_prefix("best_f.", module_state(*best_f));
    all.insert(all.end(), best.begin(), best.end());
    meta["selection"] = nlohmann::json{{"selected", selected}, {"rounds", selection_history}}.dump();
  }
  // Rank 0 writes the job's state: first every rank confirms it holds the same.
  dist::check_replicas_agree(all, fmt::format("checkpoint at step {}", step));
  if (root) save_checkpoint(path(kCheckpointFile), all, meta);
}

void Trainer::State::resume() {
  const std::string ckpt_path = path(kCheckpointFile);
  LS_CHECK(fs::is_regular_file(ckpt_path), "--resume: {} does not exist; nothing to resume", ckpt_path);
  const Checkpoint ck = load_checkpoint(ckpt_path);
  const auto meta = [&](const char* key) {
    const auto it = ck.metadata.find(key);
    LS_CHECK(it != ck.metadata.end(), "{}: metadata '{}' missing (not a layerseg training checkpoint?)", ckpt_path,
             key);
    return it->second;
  };
  // The architecture must match exactly; other settings may change (e.g. a longer schedule), with a note.
  Config saved = parse_config(meta("config"), ckpt_path + " (metadata)");
  Config now = cfg;
  const auto saved_keys = config_keys(saved), now_keys = config_keys(now);
  std::string arch_diff;
  const auto text = [](const ConfigKey& k) {
    return std::visit([](auto* f) { return fmt::format("{}", *f); }, k.field);
  };
  for (size_t i = 0; i < saved_keys.size(); ++i) {
    if (text(saved_keys[i]) == text(now_keys[i])) continue;
    const std::string& name = saved_keys[i].name;
    const std::string diff =
        fmt::format("{} = {} (checkpoint) vs {} (now)", name, text(saved_keys[i]), text(now_keys[i]));
    if (name.rfind("model.", 0) == 0 || name == "data.size" || name == "train.ema")
      arch_diff += "\n  " + diff;
    else
      fmt::print(stderr, "resume: note: {}\n", diff);
  }
  LS_CHECK(arch_diff.empty(), "--resume: {} holds a different architecture:{}", ckpt_path, arch_diff);
  load_into(ck, network_state(nets), ckpt_path);
  opt_g->load_state(strip_prefix("adam_g.", ck.tensors));
  opt_d->load_state(strip_prefix("adam_d.", ck.tensors));
  opt_f->load_state(strip_prefix("adam_f.", ck.tensors));
  step = std::stoll(meta("step"));
  rng.set_state(std::stoull(meta("rng_seed")), std::stoull(meta("rng_offset")));
  low_streak = std::stoll(meta("monitor_low_streak"));
  high_streak = std::stoll(meta("monitor_high_streak"));
  // The selected F travels in the checkpoint (best.safetensors is its export, possibly one selection ahead).
  if (const auto sel = ck.metadata.find("selection"); sel != ck.metadata.end()) {
    load_into(ck, with_prefix("best_f.", module_state(*best_f)), ckpt_path);
    const nlohmann::json j = nlohmann::json::parse(sel->second);
    selected = j["selected"];
    selection_history = j["rounds"];
  }

  // The log keeps what the checkpoint covers; lines an interrupted process wrote after it are replayed.
  if (!root) return;
  std::ifstream in(path(kLogFile));
  std::string line, kept;
  while (std::getline(in, line))
    if (!line.empty() && nlohmann::json::parse(line).value("step", int64_t(0)) <= step) kept += line + "\n";
  in.close();
  data::write_file(path(kLogFile), kept.data(), kept.size());
}

// Fig. 5 of the paper: rows x_b, x_f·π, π, composite, from the synthesizing weights and a fixed noise.
void Trainer::State::write_samples(int round) {
  LS_TRACE_RANGE("samples");
  Rng grid_rng(cfg.train.seed ^ 0x5EEDu);
  const Synthetic s = synthesize(nets.synthesizer(), cfg.model, cfg.train.grid_columns, cfg.train.batch, grid_rng, dev);
  autograd::NoGradGuard no_grad;
  data::PictureGrid grid;
  grid.add_row(s.layers.x_b, "background");
  grid.add_row(add_scalar(mul(add_scalar(s.layers.x_f, 1.f), s.layers.pi), -1.f), "fg * mask");  // black outside
  grid.add_row(s.layers.pi, "mask");
  grid.add_row(s.image, "composite");
  const std::string p = path(fmt::format("samples_round{}.png", round + 1));
  if (root) grid.write(p);
  write_json({{"step", step}, {"round", round + 1}, {"picture", p}});
}

// Scores this round's F and the one selected so far on this round's synthetic validation set; keeps the better one
// (on a tie the newer), or the old one while the generator's masks are unhealthy. Reads no real mask.
void Trainer::State::select_unet(int round) {
  LS_TRACE_RANGE("select");
  const ValidationSet v = synthetic_validation_set(nets.synthesizer(), cfg, cfg.train.select_n, dev);
  const SelectionScore now = score_unet(*nets.f, v, cfg.train.seg_batch);
  nlohmann::json entry = {
      {"round", round + 1}, {"step", step}, {"masks", v.health.to_json()}, {"this_round", now.to_json()}};
  SelectionScore kept;
  if (have_best()) {
    kept = score_unet(*best_f, v, cfg.train.seg_batch);
    entry["selected_before"] = kept.to_json();
  }
  const auto [take, reason] =
      choose_unet(round + 1, have_best() ? selected["round"].get<int>() : 0, v.health, now, kept);
  if (take) {
    copy_module_state(*nets.f, *best_f);
    selected = {{"round", round + 1}, {"step", step}, {"score", now.score()}};
  }
  selected["reason"] = reason;
  entry["reason"] = reason;
  entry["selected_round"] = selected["round"];
  selection_history.push_back(entry);
  if (root)
    save_checkpoint(path(kBestFile), with_prefix("f.", module_state(*best_f)),
                    {{"config", to_toml(cfg)},
                     {"round", std::to_string(selected["round"].get<int>())},
                     {"step", std::to_string(selected["step"].get<int64_t>())},
                     {"reason", reason},
                     {"history", selection_history.dump()}});
  write_json({{"step", step}, {"round", round + 1}, {"selection", entry}});
  if (opt.progress && root)
    fmt::print(stderr, "{}selection: {} (this round's F: synthetic IoU {:.3f}, background response {:.3f})\n",
               tty ? "\n" : "", reason, now.iou, now.bg_response);
}

// F on the evaluation set, its Fig. 6 grid (input, ground truth, prediction) and the scores in the log.
std::optional<data::SegmentationScores> Trainer::State::evaluate_round(int round) {
  LS_TRACE_RANGE("evaluate");
  if (!eval_set || cfg.train.seg_steps == 0 || !root) return std::nullopt;  // rank 0 evaluates
  // The selected F: what the run hands out (segment, eval). When the selection kept an older one, the log also has
  // this round's own F as "eval_last".
  const data::Predictor f = unet_predictor(have_best() ? best_f : nets.f, cfg.data.size);
  if (have_best() && selected["round"].get<int>() != round + 1)
    write_json({{"step", step},
                {"round", round + 1},
                {"eval_last", data::evaluate(*eval_set, unet_predictor(nets.f, cfg.data.size), 64).to_json()}});
  data::Clusterer e_x;
  if (cfg.model.c_kind == "categorical" && eval_set->has_labels()) e_x = critic_clusterer(nets.d, cfg.data.size);
  data::SegmentationScores s = data::evaluate(*eval_set, f, 64, e_x);
  s.predictor = "unet";

  const int n = int(std::min<int64_t>(cfg.train.grid_columns, eval_set->count())), sz = cfg.data.effective_eval_size();
  std::vector<float> img(size_t(n) * 3 * sz * sz), gt(size_t(n) * sz * sz);
  for (int i = 0; i < n; ++i) {
    eval_set->copy_image(i, img.data() + size_t(i) * 3 * sz * sz);
    eval_set->copy_mask(i, gt.data() + size_t(i) * sz * sz);
  }
  const Tensor images = Tensor::from_vector({n, 3, sz, sz}, img);
  std::vector<float> pred = f(images).to_vector();
  for (float& p : pred) p = p > 0.5f ? 1.f : 0.f;
  data::PictureGrid grid;
  grid.add_row(images, "input");
  grid.add_row(Tensor::from_vector({n, 1, sz, sz}, gt), "truth");
  grid.add_row(Tensor::from_vector({n, 1, sz, sz}, pred), "prediction");
  const std::string p = path(fmt::format("segmentation_round{}.png", round + 1));
  grid.write(p);
  write_json({{"step", step}, {"round", round + 1}, {"eval", s.to_json()}, {"picture", p}});
  return s;
}

// metrics.json: the U-Net's scores (SPEC §8 keys) with the baselines beside them, the monitor and the profile.
nlohmann::json Trainer::State::final_metrics(const std::optional<data::SegmentationScores>& unet) {
  nlohmann::json j = unet ? unet->to_json() : nlohmann::json::object();
  j["predictor"] = "unet";
  j["run"] = opt.run_dir;
  if (unet) {
    const int sz = cfg.data.effective_eval_size();
    const data::Image ellipse = data::ellipse_prior(sz);
    j["baselines"]["ellipse"] = data::evaluate(*eval_set, data::constant_predictor(ellipse)).to_json();
    // The mean-mask prior comes from the training set's masks when it has them (shapes: generated, never used in
    // training), else from the evaluation masks themselves (an optimistic prior, labelled as such).
    const bool own = train_set->has_masks();
    const data::Dataset& src = own ? *train_set : *eval_set;
    std::vector<data::Image> masks;
    for (int64_t i = 0; i < src.count(); ++i) masks.push_back(src.mask(i));
    const data::Image prior = data::resize(data::mean_mask_prior(masks), sz, sz);  // training masks are at data.size
    nlohmann::json mm = data::evaluate(*eval_set, data::constant_predictor(prior)).to_json();
    mm["prior_from"] = own ? "training masks" : "evaluation masks";
    j["baselines"]["mean_mask"] = mm;
  }
  if (have_best()) j["selection"] = {{"selected", selected}, {"rounds", selection_history}};
  j["profile"] = {{"ms_per_gan_step", gan_count ? 1e3 * gan_seconds / double(gan_count) : 0.0},
                  {"ms_per_seg_step", seg_count ? 1e3 * seg_seconds / double(seg_count) : 0.0}};
  return j;
}

// Where a finished run's files are, on stdout ahead of the app's metrics and picture list: the checkpoint (and how
// to look inside it), the log and how to draw its curves.
void Trainer::State::print_run_files() const {
  fmt::print("run directory {}:\n", opt.run_dir);
  fmt::print("  checkpoint  {}   (inspect: layerseg info {})\n", path(kCheckpointFile), opt.run_dir);
  fmt::print("  log         {}\n", path(kLogFile));
  fmt::print("  curves      {}   (drawn by: python3 tools/plot_run.py {})\n", path("curves.png"), opt.run_dir);
}

Trainer::Trainer(const Config& cfg, TrainOptions opt) : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.cfg = cfg;
  s.opt = std::move(opt);
  s.dev = s.opt.device;
  s.rng = Rng(cfg.train.seed);
  s.d_augment = parse_diff_augment(cfg.train.d_augment, "train.d_augment");
  s.root = comm::is_root();
  s.rows = dist::my_rows(cfg.train.batch, "train.batch");
  s.seg_rows = dist::my_rows(cfg.train.seg_batch, "train.seg_batch");
  // The stylegan2 critic's minibatch-stddev groups of 4 consecutive samples must not straddle the [real; fake] halves
  // of D's batch (models/stylegan2.h).
  LS_CHECK(cfg.model.arch != "stylegan2" || s.rows.count() % 4 == 0,
           "model.arch = stylegan2 needs train.batch per process to be a multiple of 4 (minibatch-stddev groups), got "
           "{}",
           s.rows.count());
  s.tty = isatty(fileno(stderr));
  s.gate = ProgressGate(s.tty, s.opt.progress_every_s);
  LS_CHECK(!s.opt.run_dir.empty(), "train: no run directory given");
  const bool has_ckpt = fs::exists(s.path(kCheckpointFile));
  LS_CHECK(s.opt.resume || !has_ckpt,
           "{} already holds a run (checkpoint.safetensors); pass --resume to continue it "
           "or choose another --out",
           s.opt.run_dir);
  if (s.opt.resume) LS_CHECK(has_ckpt, "--resume: {} does not exist; nothing to resume", s.path(kCheckpointFile));
  if (s.root) fs::create_directories(s.opt.run_dir);

  data::check_memory(training_memory_bytes(cfg),
                     fmt::format("training at data.size {} with train.batch {} and train.seg_batch {}", cfg.data.size,
                                 cfg.train.batch, cfg.train.seg_batch));
  s.train_set = std::make_shared<const data::Dataset>(training_images(cfg.data));
  LS_CHECK(s.train_set->count() > 0, "train: the training set is empty");
  s.eval_set = load_eval_set(cfg.data);
  s.nets = build_networks(cfg, s.rng, s.dev);
  const TrainConfig& t = cfg.train;
  s.opt_g = std::make_unique<Adam>(s.nets.g->named_parameters(), AdamOptions{t.lr_g, t.beta1, t.beta2});
  s.opt_d = std::make_unique<Adam>(s.nets.d->named_parameters(), AdamOptions{t.lr_d, t.beta1, t.beta2});
  s.opt_f = std::make_unique<Adam>(s.nets.f->named_parameters(), AdamOptions{t.lr_f});
  Rng unused(0);  // best_f only ever holds copies of F
  s.best_f = std::make_shared<UNet>(cfg.model.unet_width, cfg.data.size, unused, cfg.model.unet_input_size);
  s.best_f->to(s.dev);
  if (s.opt.resume) s.resume();
  if (!s.root) return;
  const std::string toml = to_toml(cfg);
  data::write_file(s.path(kConfigFile), toml.data(), toml.size());
  s.log.open(s.path(kLogFile), std::ios::app);
  LS_CHECK(s.log.good(), "{}: cannot open for writing", s.path(kLogFile));
}

Trainer::~Trainer() = default;

StepTimes Trainer::time_steps(int warmup, int repeats) {
  State& s = *s_;
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  };
  // Medians of the step's time and of its time inside collectives.
  const auto median_ms = [&](const std::function<void()>& step) {
    std::vector<double> ms, collective_ms;
    for (int i = 0; i < warmup + repeats; ++i) {
      const auto t0 = Clock::now();
      const double c0 = comm::collective_seconds();
      step();
      if (i < warmup) continue;
      ms.push_back(1e3 * std::chrono::duration<double>(Clock::now() - t0).count());
      collective_ms.push_back(1e3 * (comm::collective_seconds() - c0));
    }
    return std::pair{median(ms), median(collective_ms)};
  };
  int64_t gan_done = 0;
  StepTimes t;
  std::tie(t.ms_per_gan_step, t.collective_ms_per_gan_step) = median_ms([&] { s.gan_step(0, gan_done++); });
  std::tie(t.ms_per_seg_step, t.collective_ms_per_seg_step) = median_ms([&] { s.seg_step(); });
  return t;
}

TrainResult Trainer::run() {
  State& s = *s_;
  const TrainConfig& t = s.cfg.train;
  const auto start = Clock::now();
  TrainResult r;
  std::optional<data::SegmentationScores> last_eval;
  while (s.step < s.total()) {
    const int round = int(s.step / s.per_round());
    const int64_t local = s.step % s.per_round();
    const bool gan = local < t.gan_steps;
    const auto t0 = Clock::now();
    const auto losses = gan ? s.gan_step(round, round * t.gan_steps + local) : s.seg_step();
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    (gan ? s.gan_seconds : s.seg_seconds) += dt;
    ++(gan ? s.gan_count : s.seg_count);
    s.window.add(losses, dt);
    ++s.step;

    const char* phase = gan ? "gan" : "seg";
    const int64_t phase_local = gan ? local + 1 : local + 1 - t.gan_steps;
    const bool phase_end = gan ? phase_local == t.gan_steps : phase_local == t.seg_steps;
    s.progress(round, phase, phase_local, gan ? t.gan_steps : t.seg_steps);
    if (s.step % t.log_every == 0 || phase_end) s.log_window(round, phase);
    if (gan && phase_end) s.write_samples(round);
    if (local + 1 == s.per_round() && t.seg_steps > 0) s.select_unet(round);
    if (local + 1 == s.per_round()) last_eval = s.evaluate_round(round);

    // The ranks stop together: an interrupt seen by any rank (signals reach them at different steps) stops all.
    double interrupted = s.opt.interrupted && s.opt.interrupted() ? 1 : 0;
    comm::allreduce_max(&interrupted, 1);
    const bool stop = s.step == s.opt.stop_after || interrupted > 0;
    // Every phase end too: what a round evaluated (and drew) is what the run holds, and --resume after a phase
    // boundary repeats nothing.
    if (s.step % t.checkpoint_every == 0 || phase_end || s.step == s.total() || stop) s.save();
    if (stop && s.step < s.total()) {
      if (s.opt.progress) fmt::print(stderr, "\nstopped after step {}; continue with --resume\n", s.step);
      r.step = s.step;
      r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
      return r;
    }
  }
  if (s.opt.progress && s.tty) fmt::print(stderr, "\n");
  r.finished = true;
  r.step = s.step;
  if (!last_eval) last_eval = s.evaluate_round(s.cfg.train.rounds - 1);  // resumed after the last round's eval
  if (!s.root) {                                                         // rank 0 evaluates and writes metrics.json
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return r;
  }
  r.metrics = s.final_metrics(last_eval);
  const std::string metrics = r.metrics.dump(2) + "\n";
  data::write_file(s.path(kMetricsFile), metrics.data(), metrics.size());
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (s.opt.progress) s.print_run_files();
  return r;
}

}  // namespace ls::models
