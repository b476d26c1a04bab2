// models/run.h — a training run's directory and what the apps load from it.
//   RUN_DIR/config.toml              the effective configuration (models/config.h)
//   RUN_DIR/checkpoint.safetensors   the latest checkpoint (core/checkpoint.h): weights, buffers, Adam states, EMA
//   RUN_DIR/log.jsonl                one JSON object per logged step, warning and evaluation
//   RUN_DIR/metrics.json             the final evaluation; samples_round<k>.png, segmentation_round<k>.png
//   RUN_DIR/fid.json                 FID and bg-FID from `layerseg fid` (docs/FID.md)
//   ls::data::Predictor f = ls::models::load_segmenter("runs/demo");   // for `layerseg eval --run`
//   ls::data::Clusterer e = ls::models::load_clusterer("runs/demo");   // argmax E_x, for NMI
#pragma once
#include <memory>
#include <string>

#include "core/distributed.h"
#include "core/ops.h"
#include "data/dataset.h"
#include "data/evaluate.h"
#include "models/config.h"
#include "models/gan.h"
#include "models/unet.h"

namespace ls::models {

std::string run_file(const std::string& run_dir, const std::string& name);  // run_dir/name
inline const char* const kConfigFile = "config.toml";
inline const char* const kCheckpointFile = "checkpoint.safetensors";
inline const char* const kLogFile = "log.jsonl";
inline const char* const kMetricsFile = "metrics.json";

// The networks of a run, built from a config and placed on a device.
struct Networks {
  std::shared_ptr<Generator> g, g_ema;  // g_ema only when train.ema
  std::shared_ptr<Critic> d;
  std::shared_ptr<UNet> f;
  Generator& synthesizer() { return g_ema ? *g_ema : *g; }  // the weights synthesis uses
};
Networks build_networks(const Config& cfg, Rng& rng, Device device);
// Every tensor of the networks under its checkpoint name ("g.", "g_ema.", "d.", "f." + module names).
NamedTensors network_state(const Networks& n);

struct LoadedRun {
  Config cfg;
  Networks nets;
  int64_t step = 0;
  std::string unet;  // which F nets.f holds, for messages: "selected (round 2, step 4200)" or "last (step 4200)"
};
// Which U-Net load_run puts in nets.f: the one the run selected without labels (models/selection.h; the default),
// or the last one trained (`--last-unet`). A run from before the selection existed has only the last.
enum class UNetChoice { Selected, Last };
// Reads RUN_DIR/config.toml and RUN_DIR/checkpoint.safetensors; errors name the missing or mismatching file.
LoadedRun load_run(const std::string& run_dir, Device device = Device::CPU, UNetChoice unet = UNetChoice::Selected);
// The real images a config trains on (data.source at data.size, never masks): what FID compares samples with.
data::Dataset training_images(const DataConfig& d);

// F in eval mode: images [N,3,H,W] in [-1,1] -> foreground probability [N,1,H,W]. F runs at its training size
// (data.size): other sizes are resized to it and the probabilities back (bilinear).
data::Predictor unet_predictor(std::shared_ptr<UNet> f, int size);
// argmax of E_x on the images (categorical codes), resized to the critic's size: the clusterer of SPEC §6's NMI.
data::Clusterer critic_clusterer(std::shared_ptr<Critic> d, int size);
data::Predictor load_segmenter(const std::string& run_dir, Device device = Device::CPU,
                               UNetChoice unet = UNetChoice::Selected);
data::Clusterer load_clusterer(const std::string& run_dir, Device device = Device::CPU);

// n samples of the layered GAN, drawn in batches of `batch` (the generator normalizes with batch statistics, so
// it always sees full batches); image = (1 − π)·x_b + π·x_f, unperturbed.
struct Synthetic {
  Layers layers;
  Tensor image;
};
// With `rows` (a data-parallel job, core/distributed.h): one batch, n == batch == rows->total, drawn for the whole
// batch and generated for this rank's rows only.
Synthetic synthesize(Generator& g, const ModelConfig& m, int64_t n, int batch, Rng& rng, Device device,
                     const dist::BatchRows* rows = nullptr);

// F's training pair (image, target mask) from synthetic samples: the unperturbed composite and π, or, with
// scale_log2 > 0, the object layer (x_f, π) moved over x_b by a fresh T (p.translate, p.rotate_deg, scale
// 2^(U[−1,1]·scale_log2)) and composed with compose_perturbed, whose T(π) is then the exact target. The GAN's
// objects can all come out about one size (on the horses, a coverage spread of 0.03 across samples); real photos
// show them near and far.
Composite segmentation_pair(const Synthetic& s, const PerturbConfig& p, float scale_log2, Rng& rng, Device device,
                            const dist::BatchRows* rows = nullptr);

// An estimate of the memory one training process needs at cfg's sizes, before anything is allocated: parameters
// with their gradients and Adam moments, the activations and their gradients of the largest step (the GAN step's
// 2B-image D batch, or a U-Net step through the generator), the shapes data sets and the evaluation batches.
// Within a factor of two of what a run measures; its purpose is to refuse sizes off by orders of magnitude.
int64_t training_memory_bytes(const Config& cfg);

// The same estimate for `segment`: one forward pass of F over `batch` images at the run's size (no gradients, but
// the skips of every level held at once), plus the photos of the batch as decoded (`photo_pixels` in all: 3 floats
// each) and the full-size results of one photo at a time (`largest_photo_pixels`: probabilities, mask, cut-out and
// outline, about 12 floats per pixel).
int64_t segment_memory_bytes(const Config& cfg, int batch, int64_t photo_pixels, int64_t largest_photo_pixels);

// Checks of the apps' output paths, made before any work; errors name the flag. An output folder is created when
// missing and must then be a folder a file can be created in (a read-only folder or file system is refused here,
// not at the first checkpoint); an output file must not be a folder, and its folder must exist.
void prepare_output_folder(const std::string& path, const std::string& flag);
void check_output_file(const std::string& path, const std::string& flag);

// One `train` per run directory: an exclusive flock on RUN_DIR/train.lock, held for the object's life, with the
// holder's pid written in it. A second process on the same folder gets an error naming the holder's pid. The kernel
// drops the lock when the holder dies, so a killed run leaves no stale lock behind.
class RunLock {
 public:
  explicit RunLock(const std::string& run_dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};
inline const char* const kLockFile = "train.lock";

// Sample i of a batch [N,C,H,W] (any device) as an HWC data::Image, and back: a batch from same-sized images.
data::Image batch_image(const Tensor& batch, int64_t i);
Tensor image_batch(const std::vector<data::Image>& images, Device device = Device::CPU);
// Every sample of a batch resized to h x w (bilinear, data::resize), on the batch's device; the batch itself when
// it already is h x w.
Tensor resize_batch(const Tensor& batch, int h, int w);

}  // namespace ls::models
