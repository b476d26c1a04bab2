// models/run.cpp — building, naming and loading the networks of a run (models/run.h).
#include "models/run.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/autograd.h"
#include "core/checkpoint.h"
#include "core/ops.h"
#include "core/perturb.h"
#include "data/image.h"
#include "data/shapes.h"
#include "kernels/error.h"
#include "models/losses.h"

namespace ls::models {

std::string run_file(const std::string& run_dir, const std::string& name) {
  return (std::filesystem::path(run_dir) / name).string();
}

int64_t training_memory_bytes(const Config& cfg) {
  const ModelConfig& m = cfg.model;
  const int64_t s = cfg.data.size;
  // Per-sample activation floats and parameter counts, level by level from 4x4 to S x S (models/lite.h, unet.h).
  // The tensors kept per level for the backward: generator UpBlock 4 (upsampled, conv, BN, ReLU), a critic block 3
  // (conv, leaky ReLU, input), a U-Net level 14 (two DoubleConvs down and up, the concatenation, the upsampling).
  double g_act = 0, d_act = 0, e_act = 0, u_act = 0, g_par = 0, d_par = 0, e_par = 0, u_par = 0;
  double gw_prev = m.g_width, dw_prev = 3, ew_prev = 1, uw_prev = 3;
  for (int64_t r = 4, level = 0; r <= s; r *= 2, ++level) {
    const double area = double(r) * double(r);
    const double gw = std::max<double>(16, double(m.g_width) * 4.0 / double(r));  // kMinWidth of models/lite.cpp
    g_act += 4 * area * gw;
    g_par += 9 * gw_prev * gw;
    gw_prev = gw;
    const double dw = double(m.d_width) * double(s) / double(2 * r),
                 ew = double(m.e_pi_width) * double(s) / double(2 * r);
    d_act += 3 * area * dw, e_act += 3 * area * ew;
    d_par += 16 * dw_prev * dw, e_par += 16 * ew_prev * ew;
    dw_prev = dw, ew_prev = ew;
    const double uw = double(m.unet_width) * double(s) / double(r);
    u_act += 14 * area * uw;
    u_par += 54 * uw * uw + 9 * uw_prev * uw;
    uw_prev = uw;
  }
  const double gen_par = 2 * (g_par + double(m.z_dim + m.embed_dim) * double(m.g_width) * 16);  // G_b and G_f
  const double gen_act = 2 * g_act;
  const double b = cfg.train.batch, sb = cfg.train.seg_batch;
  const double gan_step = b * gen_act + 3 * b * d_act + 2 * b * e_act + b * u_act;  // D sees 2B, then B in the G step
  const double seg_step = sb * (gen_act + u_act);
  const double activations = 2 * std::max(gan_step, seg_step);  // and their gradients
  // Weights, gradients and two Adam moments; the EMA generator's weights on top.
  const double params = 4 * (gen_par + d_par + e_par + u_par) + (cfg.train.ema ? gen_par : 0);
  const DataConfig& d = cfg.data;
  const int64_t e = d.effective_eval_size();
  int64_t data = d.source == "shapes" ? data::dataset_bytes(d.shapes_n, d.size) : 0;  // folders: their loaders check
  if (d.eval_source == "shapes") data += data::dataset_bytes(d.eval_n, int(e));
  data += 64 * e * e * 3 * 4 * 4;  // an evaluation batch of 64: images, probabilities at S and back at eval size
  return int64_t(4 * (activations + params)) + data;
}

int64_t segment_memory_bytes(const Config& cfg, int batch, int64_t photo_pixels, int64_t largest_photo_pixels) {
  const ModelConfig& m = cfg.model;
  double activations = 0, params = 0, uw_prev = 3;
  for (int64_t r = 4; r <= cfg.data.size; r *= 2) {  // as training_memory_bytes's U-Net levels
    const double uw = double(m.unet_width) * double(cfg.data.size) / double(r);
    activations += 14 * double(r) * double(r) * uw;
    params += 54 * uw * uw + 9 * uw_prev * uw;
    uw_prev = uw;
  }
  return int64_t(4 *
                 (double(batch) * activations + params + 3 * double(photo_pixels) + 12 * double(largest_photo_pixels)));
}

void prepare_output_folder(const std::string& path, const std::string& flag) {
  namespace fs = std::filesystem;
  LS_CHECK(!path.empty(), "{}: no folder given", flag);
  std::error_code ec;
  LS_CHECK(!fs::exists(path) || fs::is_directory(path), "{} {}: exists and is not a folder", flag, path);
  fs::create_directories(path, ec);
  LS_CHECK(!ec, "{} {}: cannot create the folder: {}", flag, path, ec.message());
  // A probe file rather than access(W_OK): it also catches read-only mounts, and answers for root as for anyone.
  const std::string probe = run_file(path, fmt::format(".layerseg_write_test.{}", ::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  LS_CHECK(fd >= 0, "{} {}: the folder is not writable: {}", flag, path, std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

void check_output_file(const std::string& path, const std::string& flag) {
  namespace fs = std::filesystem;
  LS_CHECK(!fs::is_directory(path), "{} {}: is a folder; give a file name", flag, path);
  const fs::path parent = fs::path(path).parent_path();
  LS_CHECK(parent.empty() || fs::is_directory(parent), "{} {}: the folder {} does not exist", flag, path,
           parent.string());
}

RunLock::RunLock(const std::string& run_dir) {
  const std::string path = run_file(run_dir, kLockFile);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  LS_CHECK(fd_ >= 0, "{}: cannot open the run's lock file: {}", path, std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::ifstream in(path);
    std::string holder;
    std::getline(in, holder);
    ::close(fd_);
    LS_CHECK(err != EWOULDBLOCK,
             "{} is in use by another `layerseg train` (pid {}); wait for it to end, stop it, or "
             "choose another --out",
             run_dir, holder.empty() ? "unknown" : holder);
    LS_FAIL("{}: cannot lock: {}", path, std::strerror(err));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  const bool written = ::ftruncate(fd_, 0) == 0 && ::write(fd_, pid.data(), pid.size()) == ssize_t(pid.size());
  LS_CHECK(written, "{}: cannot write the holder's pid: {}", path, std::strerror(errno));
}

RunLock::~RunLock() { ::close(fd_); }  // closing drops the lock; the file stays, harmless, for the next holder

Networks build_networks(const Config& cfg, Rng& rng, Device device) {
  Networks n;
  n.g = make_generator(cfg.model, cfg.data.size, rng);
  n.d = make_critic(cfg.model, cfg.data.size, rng);
  n.f = std::make_shared<UNet>(cfg.model.unet_width, cfg.data.size, rng, cfg.model.unet_input_size);
  if (cfg.train.ema) {
    Rng unused(0);  // the EMA copy starts as an exact copy of g, so its own initialization does not matter
    n.g_ema = make_generator(cfg.model, cfg.data.size, unused);
    n.g_ema->set_requires_grad(false);
    copy_module_state(*n.g, *n.g_ema);
  }
  for (Module* m : {static_cast<Module*>(n.g.get()), static_cast<Module*>(n.d.get()), static_cast<Module*>(n.f.get()),
                    static_cast<Module*>(n.g_ema.get())})
    if (m) m->to(device);
  return n;
}

NamedTensors network_state(const Networks& n) {
  NamedTensors all;
  const auto add = [&](const std::string& prefix, const Module* m) {
    if (!m) return;
    const NamedTensors t = with_prefix(prefix, module_state(*m));
    all.insert(all.end(), t.begin(), t.end());
  };
  add("g.", n.g.get());
  add("g_ema.", n.g_ema.get());
  add("d.", n.d.get());
  add("f.", n.f.get());
  return all;
}

LoadedRun load_run(const std::string& run_dir, Device device, UNetChoice unet) {
  LS_CHECK(std::filesystem::is_directory(run_dir), "run directory '{}' does not exist", run_dir);
  const std::string cfg_path = run_file(run_dir, kConfigFile), ckpt_path = run_file(run_dir, kCheckpointFile);
  LS_CHECK(std::filesystem::is_regular_file(cfg_path), "{}: missing; is '{}' a run directory of `layerseg train`?",
           cfg_path, run_dir);
  LS_CHECK(std::filesystem::is_regular_file(ckpt_path), "{}: missing; the run has not saved a checkpoint yet",
           ckpt_path);
  LoadedRun r;
  r.cfg = load_config(cfg_path);
  Rng rng(r.cfg.train.seed);
  r.nets = build_networks(r.cfg, rng, device);
  const Checkpoint ck = load_checkpoint(ckpt_path);
  try {
    load_into(ck, network_state(r.nets), ckpt_path);
  } catch (const Error& e) {
    LS_FAIL("{}: does not match the architecture of {} (a checkpoint of another configuration?): {}", ckpt_path,
            cfg_path, e.what());
  }
  const auto step = ck.metadata.find("step");
  r.step = step == ck.metadata.end() ? 0 : std::stoll(step->second);
  r.unet = fmt::format("last (step {})", r.step);
  const auto selection = ck.metadata.find("selection");
  if (unet == UNetChoice::Selected && selection != ck.metadata.end()) {
    load_into(ck, with_prefix("best_f.", module_state(*r.nets.f)), ckpt_path);
    const nlohmann::json s = nlohmann::json::parse(selection->second)["selected"];
    r.unet = fmt::format("selected (round {}, step {})", s["round"].get<int>(), s["step"].get<int64_t>());
  }
  return r;
}

data::Predictor unet_predictor(std::shared_ptr<UNet> f, int size) {
  return [f, size](const Tensor& images) {
    autograd::NoGradGuard no_grad;
    const EvalModeGuard eval(*f);
    const Device d = f->parameters().front().device();
    // F runs at its training size; images of another size (data.eval_size) go there and back, bilinear.
    const Tensor prob = sigmoid(f->forward(resize_batch(images, size, size).to(d)));
    return resize_batch(prob, int(images.size(2)), int(images.size(3)));
  };
}

data::Clusterer critic_clusterer(std::shared_ptr<Critic> d, int size) {
  return [d, size](const Tensor& images) {
    autograd::NoGradGuard no_grad;
    // Eval mode keeps the spectral-norm vectors as trained: clustering must not change the critic.
    Tensor logits;
    {
      const EvalModeGuard eval(*d);
      logits = d->discriminate(resize_batch(images, size, size).to(d->parameters().front().device())).e_x;
    }
    const std::vector<float> v = logits.to_vector();
    const int64_t n = logits.size(0), k = logits.size(1);
    std::vector<int> ids(size_t(n), 0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 1; j < k; ++j)
        if (v[size_t(i * k + j)] > v[size_t(i * k + ids[size_t(i)])]) ids[size_t(i)] = int(j);
    return ids;
  };
}

data::Predictor load_segmenter(const std::string& run_dir, Device device, UNetChoice unet) {
  LoadedRun r = load_run(run_dir, device, unet);
  return unet_predictor(r.nets.f, r.cfg.data.size);
}

data::Clusterer load_clusterer(const std::string& run_dir, Device device) {
  LoadedRun r = load_run(run_dir, device);
  LS_CHECK(r.cfg.model.c_kind == "categorical", "{}: E_x clusters only with a categorical code (model.c_kind = {})",
           run_dir, r.cfg.model.c_kind);
  return critic_clusterer(r.nets.d, r.cfg.data.size);
}

data::Dataset training_images(const DataConfig& d) {
  if (d.source == "shapes") {
    data::ShapesOptions o;
    o.n = d.shapes_n, o.size = d.size, o.seed = d.shapes_seed, o.kinds = d.shapes_kinds;
    return data::make_shapes(o);  // masks come along; training reads only the images
  }
  data::DatasetOptions o;
  o.layout = d.source, o.size = d.size, o.crop = d.crop, o.split = d.train_split;
  o.masks = data::MaskPolicy::kNone;  // unsupervised: never a mask
  return data::load_dataset(d.root, o);
}

Synthetic synthesize(Generator& g, const ModelConfig& m, int64_t n, int batch, Rng& rng, Device device,
                     const dist::BatchRows* rows) {
  autograd::NoGradGuard no_grad;
  LS_CHECK(!rows || (n == batch && rows->total == n),
           "synthesize: rows of a batch of {} for {} samples in batches of {}", rows ? rows->total : 0, n, batch);
  const dist::BatchRows mine = rows ? *rows : dist::BatchRows::all(batch);
  if (rows) n = rows->count();
  std::vector<Tensor> x_b, x_f, logit;
  for (int64_t done = 0; done < n; done += mine.count()) {
    const Tensor z = mine.pick(Tensor::normal({batch, m.z_dim}, rng, 0.f, 1.f, device));
    const Layers l = g.generate(z, mine.pick(sample_code(rng, batch, m, device).input));
    x_b.push_back(l.x_b), x_f.push_back(l.x_f), logit.push_back(l.pi_logit);
  }
  const auto first_n = [n](const std::vector<Tensor>& parts) { return slice(concat(parts, 0), 0, 0, n); };
  Synthetic s;
  s.layers.x_b = first_n(x_b);
  s.layers.x_f = first_n(x_f);
  s.layers.pi_logit = first_n(logit);
  s.layers.pi = sigmoid(s.layers.pi_logit);
  s.image = s.layers.x_b + s.layers.pi * (s.layers.x_f - s.layers.x_b);
  return s;
}

Composite segmentation_pair(const Synthetic& s, const PerturbConfig& p, float scale_log2, Rng& rng, Device device,
                            const dist::BatchRows* rows) {
  if (scale_log2 <= 0) return {s.image, s.layers.pi};
  autograd::NoGradGuard no_grad;
  const dist::BatchRows mine = rows ? *rows : dist::BatchRows::all(s.image.size(0));
  const Tensor theta =
      mine.pick(perturbation_theta(rng, int(mine.total), p.translate, p.rotate_deg, scale_log2)).to(device);
  return compose_perturbed(s.layers.x_b, s.layers.x_f, s.layers.pi, theta);
}

data::Image batch_image(const Tensor& batch, int64_t i) {
  check_dim("batch_image", batch, 4);
  const int c = int(batch.size(1)), h = int(batch.size(2)), w = int(batch.size(3));
  const std::vector<float> v = slice(batch.detach(), 0, i, i + 1).to_vector();
  data::Image img(h, w, c);
  for (int ch = 0; ch < c; ++ch)
    for (int p = 0; p < h * w; ++p) img.px[size_t(p) * c + ch] = v[size_t(ch) * h * w + p];
  return img;
}

Tensor image_batch(const std::vector<data::Image>& images, Device device) {
  LS_CHECK(!images.empty(), "image_batch: no images");
  const int c = images[0].c, h = images[0].h, w = images[0].w;
  std::vector<float> v(images.size() * size_t(c) * h * w);
  for (size_t i = 0; i < images.size(); ++i) {
    const data::Image& img = images[i];
    LS_CHECK(img.c == c && img.h == h && img.w == w, "image_batch: image {} is {}x{}x{}, the first is {}x{}x{}", i,
             img.h, img.w, img.c, h, w, c);
    for (int ch = 0; ch < c; ++ch)
      for (int p = 0; p < h * w; ++p) v[(i * c + ch) * size_t(h) * w + p] = img.px[size_t(p) * c + ch];
  }
  return Tensor::from_vector({int64_t(images.size()), c, h, w}, v, device);
}

Tensor resize_batch(const Tensor& batch, int h, int w) {
  if (batch.size(2) == h && batch.size(3) == w) return batch;
  std::vector<data::Image> resized;
  for (int64_t i = 0; i < batch.size(0); ++i) resized.push_back(data::resize(batch_image(batch, i), h, w));
  return image_batch(resized, batch.device());
}

}  // namespace ls::models
