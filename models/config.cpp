// models/config.cpp — the key table, TOML parsing, validation, overrides and dumping of models/config.h.
#include "models/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "kernels/error.h"
#include "models/augment.h"

namespace ls::models {

std::vector<ConfigKey> config_keys(Config& c) {
  const double kBig = 1e12;
  const std::vector<std::string> sources = {"shapes", "folder", "cub"};
  return {
      {"data.source", &c.data.source, 0, 0, sources, "training images: shapes (procedural) | folder | cub"},
      {"data.root", &c.data.root, 0, 0, {}, "dataset root for folder/cub (images only are read for training)"},
      {"data.train_split", &c.data.train_split, 0, 0, {"all", "train", "test"}, "cub: split that trains the GAN"},
      {"data.size", &c.data.size, 16, 256, {}, "image size S (a power of two)"},
      {"data.crop", &c.data.crop, 0, 0, {"none", "center"}, "folder: resize whole image | centre square crop"},
      {"data.flip", &c.data.flip, 0, 0, {}, "random horizontal flip of real images"},
      {"data.shapes_n", &c.data.shapes_n, 16, 1e7, {}, "shapes: number of training images"},
      {"data.shapes_kinds", &c.data.shapes_kinds, 2, 8, {}, "shapes: number of object kinds"},
      {"data.shapes_seed", &c.data.shapes_seed, 0, kBig, {}, "shapes: seed of the training images"},
      {"data.eval_source",
       &c.data.eval_source,
       0,
       0,
       {"shapes", "folder", "cub", "none"},
       "held-out set with masks for metrics"},
      {"data.eval_root", &c.data.eval_root, 0, 0, {}, "folder/cub root of the evaluation set"},
      {"data.eval_stems", &c.data.eval_stems, 0, 0, {}, "folder: stems file of the evaluation images"},
      {"data.eval_split", &c.data.eval_split, 0, 0, {"all", "train", "test"}, "cub: evaluation split"},
      {"data.eval_n", &c.data.eval_n, 1, 1e7, {}, "shapes: number of held-out images"},
      {"data.eval_seed", &c.data.eval_seed, 0, kBig, {}, "shapes: seed of the held-out images (not the training one)"},
      {"data.eval_size",
       &c.data.eval_size,
       0,
       4096,
       {},
       "evaluation size S (0 = data.size); F segments at data.size, its output is resized to S"},
      {"model.arch", &c.model.arch, 0, 0, {"lite", "stylegan2"}, "architecture family (SPEC §4)"},
      {"model.z_dim", &c.model.z_dim, 1, 4096, {}, "public code z dimensions"},
      {"model.c_kind", &c.model.c_kind, 0, 0, {"categorical", "normal"}, "private code c distribution"},
      {"model.c_dim", &c.model.c_dim, 1, 4096, {}, "K_c classes (categorical) or d_c dimensions (normal)"},
      {"model.embed_dim", &c.model.embed_dim, 1, 4096, {}, "G_f embedding of c"},
      {"model.g_width", &c.model.g_width, 8, 4096, {}, "generator channels at 4x4, halving per doubling"},
      {"model.bg_size",
       &c.model.bg_size,
       0,
       4096,
       {},
       "G_b's own resolution, upsampled bilinearly to data.size (0 = data.size)"},
      {"model.bg_detail_start",
       &c.model.bg_detail_start,
       0,
       kBig,
       {},
       "with bg_size < data.size: G step from which G_b's full-resolution detail fades in (0 = never)"},
      {"model.bg_detail_steps", &c.model.bg_detail_steps, 1, kBig, {}, "G steps of that fade-in"},
      {"model.d_width", &c.model.d_width, 4, 4096, {}, "discriminator channels of its first block, doubling"},
      {"model.d_spectral_norm", &c.model.d_spectral_norm, 0, 0, {}, "spectral norm on every D and E_x weight"},
      {"model.e_pi_width", &c.model.e_pi_width, 4, 4096, {}, "E_pi channels of its first block, doubling"},
      {"model.unet_width", &c.model.unet_width, 4, 4096, {}, "U-Net channels at full resolution, doubling"},
      {"model.unet_input_size",
       &c.model.unet_input_size,
       0,
       4096,
       {},
       "F low-passes its input to this size and back, as G_b's bg_size path (0 = data.size)"},
      {"model.mask_bias", &c.model.mask_bias, -10, 10, {}, "initial mask-logit bias (coverage ~ sigmoid(bias))"},
      {"model.w_dim", &c.model.w_dim, 1, 4096, {}, "stylegan2: dimensions of the intermediate latent w"},
      {"model.mapping_layers", &c.model.mapping_layers, 1, 64, {}, "stylegan2: layers of each mapping network"},
      {"model.mapping_lr_mul",
       &c.model.mapping_lr_mul,
       1e-4,
       1,
       {},
       "stylegan2: the mapping's learning-rate multiplier"},
      {"model.channel_base",
       &c.model.channel_base,
       16,
       1 << 20,
       {},
       "stylegan2: channels at resolution r: base / r ..."},
      {"model.channel_max", &c.model.channel_max, 1, 4096, {}, "stylegan2: ... at most this many"},
      {"loss.gamma_mi", &c.loss.gamma_mi, 0, 1e3, {}, "weight of the mutual-information loss"},
      {"loss.gamma_b", &c.loss.gamma_b, 0, 1e3, {}, "weight of the mask binarization loss"},
      {"loss.gamma_bg", &c.loss.gamma_bg, 0, 1e3, {}, "weight of L_bg from round 2 on"},
      {"loss.b_warmup", &c.loss.b_warmup, 0, kBig, {}, "G steps over which gamma_b ramps up from 0"},
      {"loss.gamma_size", &c.loss.gamma_size, 0, 1e3, {}, "weight of the minimum-mask-size hinge (not in the paper)"},
      {"loss.min_coverage", &c.loss.min_coverage, 0, 1, {}, "per-sample mask coverage below which gamma_size acts"},
      {"loss.gamma_ils", &c.loss.gamma_ils, 0, 1e3, {}, "weight of ILSGAN's layer independence (not in the paper)"},
      {"loss.adversarial",
       &c.loss.adversarial,
       0,
       0,
       {"hinge", "logistic"},
       "adversarial loss: hinge (SNGAN) or logistic (StyleGAN2's non-saturating softplus)"},
      {"perturb.translate", &c.perturb.translate, 0, 1, {}, "max translation (1 = half the image)"},
      {"perturb.rotate_deg", &c.perturb.rotate_deg, 0, 90, {}, "max rotation in degrees"},
      {"perturb.scale_log2", &c.perturb.scale_log2, 0, 1, {}, "max |log2 scale|"},
      {"train.seed", &c.train.seed, 0, kBig, {}, "seed of initialization and every random draw"},
      {"train.rounds", &c.train.rounds, 1, 100, {}, "K rounds of alternate training"},
      {"train.gan_steps", &c.train.gan_steps, 0, kBig, {}, "N_gan steps per round"},
      {"train.seg_steps", &c.train.seg_steps, 0, kBig, {}, "N_seg U-Net steps per round"},
      {"train.batch", &c.train.batch, 2, 4096, {}, "G/D batch size"},
      {"train.seg_batch", &c.train.seg_batch, 2, 4096, {}, "U-Net batch size"},
      {"train.lr_g", &c.train.lr_g, 0, 1, {}, "generator Adam learning rate"},
      {"train.lr_d", &c.train.lr_d, 0, 1, {}, "D, E_x, E_pi Adam learning rate"},
      {"train.lr_f", &c.train.lr_f, 0, 1, {}, "U-Net Adam learning rate"},
      {"train.beta1", &c.train.beta1, 0, 0.9999, {}, "Adam beta1 of G and D"},
      {"train.beta2", &c.train.beta2, 0, 0.99999, {}, "Adam beta2 of G and D"},
      {"train.ema", &c.train.ema, 0, 0, {}, "synthesize with an EMA of the generator weights"},
      {"train.ema_decay", &c.train.ema_decay, 0, 0.999999, {}, "EMA decay per G step"},
      {"train.colour_aug", &c.train.colour_aug, 0, 0, {}, "colour augmentation of the U-Net inputs"},
      {"train.seg_scale_log2",
       &c.train.seg_scale_log2,
       0,
       3,
       {},
       "U-Net pairs: move the object layer by T (perturb.translate, perturb.rotate_deg) scaled by 2^(U[-1,1] times "
       "this), so F sees objects of many sizes (0 = the unperturbed composite)"},
      {"train.d_augment",
       &c.train.d_augment,
       0,
       0,
       {},
       "DiffAugment of D's inputs: none | subset of colour,translation,cutout"},
      {"train.checkpoint_every",
       &c.train.checkpoint_every,
       1,
       kBig,
       {},
       "steps between checkpoints (every phase end writes one too)"},
      {"train.log_every", &c.train.log_every, 1, kBig, {}, "steps between log lines"},
      {"train.grid_columns", &c.train.grid_columns, 1, 64, {}, "samples per row of the picture grids"},
      {"train.select_n",
       &c.train.select_n,
       1,
       1 << 16,
       {},
       "synthetic validation pairs that choose, at every round end, the U-Net the run hands out"},
      {"monitor.low", &c.monitor.low, 0, 1, {}, "coverage below this counts as all-background"},
      {"monitor.high", &c.monitor.high, 0, 1, {}, "coverage above this counts as all-foreground"},
      {"monitor.patience", &c.monitor.patience, 1, kBig, {}, "G steps in a row before the collapse warning"},
  };
}

namespace {

std::string join_names(const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, ", ")); }

std::string section_of(const std::string& name) { return name.substr(0, name.find('.')); }

// The keys of one section, or the section names when `section` is unknown: what an error message offers instead.
std::string allowed_keys(std::vector<ConfigKey>& keys, const std::string& section) {
  std::vector<std::string> in_section, sections;
  for (const auto& k : keys) {
    if (section_of(k.name) == section) in_section.push_back(k.name.substr(section.size() + 1));
    if (sections.empty() || sections.back() != section_of(k.name)) sections.push_back(section_of(k.name));
  }
  if (in_section.empty()) return fmt::format("unknown section [{}]; sections: {}", section, join_names(sections));
  return fmt::format("keys of [{}]: {}", section, join_names(in_section));
}

ConfigKey& find_key(std::vector<ConfigKey>& keys, const std::string& name, const std::string& origin) {
  for (auto& k : keys)
    if (k.name == name) return k;
  LS_FAIL("config {}: unknown key '{}'; {}", origin, name, allowed_keys(keys, section_of(name)));
}

template <class T>
void set_number(const ConfigKey& k, T* field, double v, const std::string& origin) {
  LS_CHECK(v >= k.lo && v <= k.hi, "config {}: {} = {} is out of range [{}, {}] ({})", origin, k.name, v, k.lo, k.hi,
           k.help);
  *field = T(v);
}

void set_value(const ConfigKey& k, const toml::node& node, const std::string& origin) {
  const auto type_error = [&](const char* expected) {
    std::ostringstream got;
    got << node.type();
    LS_FAIL("config {}: {} must be {}, got a {} ({})", origin, k.name, expected, got.str(), k.help);
  };
  std::visit(
      [&](auto* field) {
        using T = std::remove_pointer_t<decltype(field)>;
        if constexpr (std::is_same_v<T, bool>) {
          if (!node.is_boolean()) type_error("true or false");
          *field = node.as_boolean()->get();
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (!node.is_string()) type_error("a string");
          const std::string v = node.as_string()->get();
          LS_CHECK(k.allowed.empty() || std::find(k.allowed.begin(), k.allowed.end(), v) != k.allowed.end(),
                   "config {}: {} = '{}' is not one of: {}", origin, k.name, v, join_names(k.allowed));
          *field = v;
        } else if constexpr (std::is_same_v<T, float>) {
          if (!node.is_number()) type_error("a number");
          set_number(k, field, node.value<double>().value(), origin);
        } else {
          if (!node.is_integer()) type_error("an integer");
          set_number(k, field, double(node.as_integer()->get()), origin);
        }
      },
      k.field);
}

// Cross-key rules the per-key ranges cannot express.
void validate(const Config& c, const std::string& origin) {
  const int s = c.data.size;
  LS_CHECK((s & (s - 1)) == 0, "config {}: data.size = {} must be a power of two (16, 32, 64, ...)", origin, s);
  LS_CHECK(c.data.source == "shapes" || !c.data.root.empty(), "config {}: data.source = '{}' needs data.root", origin,
           c.data.source);
  // A coarser working size: 0 (= data.size) or a power of two from `least` to data.size.
  const auto check_coarse_size = [&](const char* key, int v, int least) {
    LS_CHECK(v == 0 || ((v & (v - 1)) == 0 && v >= least && v <= s),
             "config {}: {} = {} must be 0 or a power of two from {} to data.size = {}", origin, key, v, least, s);
  };
  const int b = c.model.bg_size;
  check_coarse_size("model.bg_size", b, 8);
  check_coarse_size("model.unet_input_size", c.model.unet_input_size, 4);
  LS_CHECK(c.model.bg_detail_start == 0 || (b != 0 && b < s),
           "config {}: model.bg_detail_start = {} needs a coarse background: model.bg_size between 8 and data.size / 2 "
           "(it is {})",
           origin, c.model.bg_detail_start, b);
  LS_CHECK(c.data.eval_size == 0 || c.data.eval_size >= 4,
           "config {}: data.eval_size = {} must be 0 (= data.size) or at least 4", origin, c.data.eval_size);
  LS_CHECK(c.data.eval_source == "shapes" || c.data.eval_source == "none" || !c.data.eval_root.empty(),
           "config {}: data.eval_source = '{}' needs data.eval_root", origin, c.data.eval_source);
  LS_CHECK(c.data.eval_source != "shapes" || c.data.source != "shapes" || c.data.eval_seed != c.data.shapes_seed,
           "config {}: data.eval_seed must differ from data.shapes_seed (held-out images)", origin);
  LS_CHECK(c.model.c_kind != "categorical" || c.model.c_dim >= 2,
           "config {}: model.c_dim = {} must be at least 2 for a categorical code", origin, c.model.c_dim);
  LS_CHECK(c.train.gan_steps + c.train.seg_steps > 0, "config {}: train.gan_steps and train.seg_steps are both 0",
           origin);
  parse_diff_augment(c.train.d_augment, fmt::format("config {}: train.d_augment", origin));
  LS_CHECK(c.monitor.low < c.monitor.high, "config {}: monitor.low must be below monitor.high", origin);
}

// A TOML basic string. Control characters must be escaped too: a path with a newline in it was written raw, and the
// run's config.toml then failed to parse on --resume (the round trip of tests/fuzz/config.cpp checks it).
std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\')
      out += {'\\', ch};
    else if (u < 0x20 || u == 0x7f)
      out += fmt::format("\\u{:04X}", u);
    else
      out += ch;
  }
  return out + "\"";
}

// Shortest round-trip float text, with a '.' so TOML reads it back as a float.
std::string toml_float(float v) {
  std::string t = fmt::format("{}", v);
  if (t.find_first_of(".eEn") == std::string::npos) t += ".0";
  return t;
}

}  // namespace

void apply_override(Config& cfg, const std::string& assignment) {
  const size_t eq = assignment.find('=');
  LS_CHECK(eq != std::string::npos && eq > 0, "--set '{}': expected section.key=value", assignment);
  const std::string name = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  auto keys = config_keys(cfg);
  ConfigKey& k = find_key(keys, name, "--set");
  // Strings may be given bare (--set data.source=folder); everything else is parsed as a TOML value.
  const bool is_string = std::holds_alternative<std::string*>(k.field);
  const bool quoted = text.size() >= 2 && (text.front() == '"' || text.front() == '\'');
  std::string doc = "v = " + (is_string && !quoted ? toml_string(text) : text);
  toml::table t;
  try {
    t = toml::parse(std::string_view(doc), std::string_view("--set"));
  } catch (const toml::parse_error& e) {
    LS_FAIL("--set {}: cannot parse value '{}': {}", name, text, e.description());
  }
  set_value(k, *t.get("v"), "--set");
}

Config parse_config(const std::string& text, const std::string& origin, const std::vector<std::string>& overrides) {
  Config cfg;
  auto keys = config_keys(cfg);
  toml::table root;
  try {
    root = toml::parse(std::string_view(text), std::string_view(origin));
  } catch (const toml::parse_error& e) {
    LS_FAIL("config {}: TOML error at line {}: {}", origin, e.source().begin.line, e.description());
  }
  for (const auto& [section, node] : root) {
    const std::string sec(section.str());
    LS_CHECK(node.is_table(), "config {}: '{}' must be a [section]; {}", origin, sec, allowed_keys(keys, sec));
    for (const auto& [key, value] : *node.as_table())
      set_value(find_key(keys, sec + "." + std::string(key.str()), origin), value, origin);
  }
  for (const auto& o : overrides) apply_override(cfg, o);
  validate(cfg, origin);
  return cfg;
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream f(path);
  LS_CHECK(f.good(), "config {}: cannot open the file", path);
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_config(ss.str(), path, overrides);
}

std::string to_toml(const Config& cfg) {
  Config copy = cfg;  // config_keys binds mutable pointers; dumping never writes through them
  std::string out, section;
  for (const auto& k : config_keys(copy)) {
    if (section_of(k.name) != section) {
      section = section_of(k.name);
      out += fmt::format("{}[{}]\n", out.empty() ? "" : "\n", section);
    }
    const std::string value = std::visit(
        [](auto* field) -> std::string {
          using T = std::remove_pointer_t<decltype(field)>;
          if constexpr (std::is_same_v<T, bool>)
            return *field ? "true" : "false";
          else if constexpr (std::is_same_v<T, std::string>)
            return toml_string(*field);
          else if constexpr (std::is_same_v<T, float>)
            return toml_float(*field);
          else
            return fmt::format("{}", *field);
        },
        k.field);
    out += fmt::format("{} = {}  # {}\n", k.name.substr(section.size() + 1), value, k.help);
  }
  return out;
}

}  // namespace ls::models
