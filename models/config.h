// models/config.h — the run configuration: data, networks, losses, perturbation, schedule and collapse monitor.
// Read from a TOML file (configs/*.toml) plus `--set section.key=value` overrides. Every key is declared once in
// config_keys() with its type, range or allowed values and a help line; an unknown key or a bad value is an error
// that lists what is allowed. The effective configuration is written back as TOML into the run directory.
//   ls::models::Config cfg = ls::models::load_config("configs/demo.toml", {"train.gan_steps=200"});
//   std::string toml = ls::models::to_toml(cfg);
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace ls::models {

struct DataConfig {
  std::string source = "shapes";    // training images: shapes | folder | cub
  std::string root;                 // folder / cub dataset root (training reads images only, never masks)
  std::string train_split = "all";  // cub: which split trains the GAN
  int size = 32;                    // S: images are S x S
  std::string crop = "none";        // folder: none | center
  bool flip = true;                 // horizontal flip of real images [choice]
  int64_t shapes_n = 4000;          // shapes: training images, seed shapes_seed
  int shapes_kinds = 4;             // shapes: object kinds
  int64_t shapes_seed = 1;
  std::string eval_source = "shapes";  // held-out evaluation set with masks: shapes | folder | cub | none
  std::string eval_root;
  std::string eval_stems;           // folder: stems file restricting the evaluation images (e.g. split_dev.txt)
  std::string eval_split = "test";  // cub
  int64_t eval_n = 500;             // shapes: held-out images ...
  int64_t eval_seed = 1000;         // ... from a seed never used in training
  int eval_size = 0;                // evaluation S (0 = size); F runs at size, its output is resized
  int effective_eval_size() const { return eval_size ? eval_size : size; }
};

struct ModelConfig {
  std::string arch = "lite";
  int z_dim = 64;                      // public code z
  std::string c_kind = "categorical";  // private code c: categorical (K classes) | normal (d dims)
  int c_dim = 4;                       // K_c or d_c
  int embed_dim = 64;                  // G_f's embedding of c
  int g_width = 64;                    // generator channels at 4x4, halving per doubling
  int bg_size = 0;                     // G_b's resolution, upsampled bilinearly to S (0 = S)
  int64_t bg_detail_start = 0;         // G step from which G_b's full-resolution detail fades in (0 = never)
  int64_t bg_detail_steps = 1000;      // ... over this many G steps
  int d_width = 32;                    // discriminator channels after the first block, doubling per block
  bool d_spectral_norm = true;         // spectral normalization on every D and E_x weight [choice: SNGAN]
  int e_pi_width = 16;                 // E_pi channels after the first block
  int unet_width = 16;                 // U-Net channels at full resolution, doubling per level
  int unet_input_size = 0;             // F low-passes its input to this size and back (0 = S; see unet.h)
  float mask_bias = -1.f;              // initial bias of the mask logit: coverage starts near sigmoid(bias)
  // stylegan2 only (models/stylegan2.h): w's dimensions, the mapping network's depth and learning-rate multiplier,
  // and the channels at resolution r: min(channel_base / r, channel_max).
  int w_dim = 512;
  int mapping_layers = 8;
  float mapping_lr_mul = 0.01f;
  int channel_base = 16384;
  int channel_max = 512;
};

struct LossConfig {
  float gamma_mi = 1.f;
  float gamma_b = 2.f;
  float gamma_bg = 1.f;
  int64_t b_warmup = 0;  // G steps over which gamma_b ramps linearly from 0 (0 = constant)
  // Outside the paper (0 = off): PerturbGAN's minimum mask size and ILSGAN's layer independence, see losses.h.
  float gamma_size = 0.f;
  float min_coverage = 0.25f;
  float gamma_ils = 0.f;
  // The GAN's adversarial loss: "hinge" (SNGAN's, the lite recipe) or "logistic" (StyleGAN2's non-saturating
  // softplus loss, what ILSGAN trains its StyleGAN2 backbone with).
  std::string adversarial = "hinge";
};

struct PerturbConfig {
  float translate = 0.25f;  // t_max in normalized units (1 = half the image)
  float rotate_deg = 10.f;
  float scale_log2 = 0.1f;  // s = 2^(eps * scale_log2)
};

struct TrainConfig {
  uint64_t seed = 1;
  int rounds = 2;            // K
  int64_t gan_steps = 1000;  // N_gan per round (one G and one D update each)
  int64_t seg_steps = 500;   // N_seg per round
  int batch = 64;            // G/D batch
  int seg_batch = 32;        // F batch (synthetic pairs generated on the fly)
  float lr_g = 2e-4f, lr_d = 2e-4f, lr_f = 1e-3f;
  float beta1 = 0.5f, beta2 = 0.999f;
  bool ema = true;  // synthesize with an exponential moving average of the generator weights
  float ema_decay = 0.999f;
  bool colour_aug = true;          // random brightness/contrast/saturation on F's inputs [ILS]
  float seg_scale_log2 = 0.f;      // F's pairs: the object layer moved by T with this scale range (0 = unperturbed)
  std::string d_augment = "none";  // DiffAugment on D's inputs: "none" or e.g. "colour,translation,cutout"
  int64_t checkpoint_every = 500;
  int64_t log_every = 25;
  int grid_columns = 8;
  int select_n = 256;  // synthetic validation pairs that choose the U-Net a run hands out (models/selection.h)
};

struct MonitorConfig {
  float low = 0.02f;       // mean generated-mask coverage below this: all background
  float high = 0.98f;      // ... above this: all foreground
  int64_t patience = 200;  // G steps in a row before the warning
};

struct Config {
  DataConfig data;
  ModelConfig model;
  LossConfig loss;
  PerturbConfig perturb;
  TrainConfig train;
  MonitorConfig monitor;
};

// One declared key, bound to its field in a Config. Numbers are checked against [lo, hi]; strings against
// `allowed` when it is not empty.
struct ConfigKey {
  std::string name;  // "section.key"
  std::variant<int*, int64_t*, uint64_t*, float*, bool*, std::string*> field;
  double lo = 0, hi = 0;
  std::vector<std::string> allowed;
  std::string help;
};
std::vector<ConfigKey> config_keys(Config& cfg);

Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});
Config parse_config(const std::string& toml_text, const std::string& origin,
                    const std::vector<std::string>& overrides = {});
void apply_override(Config& cfg, const std::string& assignment);  // "section.key=value"
std::string to_toml(const Config& cfg);                           // every key, with its help as a comment

}  // namespace ls::models
