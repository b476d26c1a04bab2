// models/run.cpp — building, naming and loading the networks of a run (models/run.h).
#include "models/run.h"

#include <filesystem>

#include "core/autograd.h"
#include "core/checkpoint.h"
#include "kernels/error.h"
#include "core/ops.h"
#include "core/perturb.h"
#include "data/image.h"
#include "data/shapes.h"
#include "models/losses.h"

namespace ls::models {

std::string run_file(const std::string& run_dir, const std::string& name) {
  return (std::filesystem::path(run_dir) / name).string();
}

Networks build_networks(const Config& cfg, Rng& rng, Device device) {
  Networks n;
  n.g = make_generator(cfg.model, cfg.data.size, rng);
  n.d = make_critic(cfg.model, cfg.data.size, rng);
  n.f = std::make_shared<UNet>(cfg.model.unet_width, cfg.data.size, rng, cfg.model.unet_input_size);
  if (cfg.train.ema) {
    Rng unused(0);  // the EMA copy starts as an exact copy of g, so its own initialization does not matter
    n.g_ema = make_generator(cfg.model, cfg.data.size, unused);
    n.g_ema->set_requires_grad(false);
    NamedTensors src = module_state(*n.g), dst = module_state(*n.g_ema);
    for (size_t i = 0; i < src.size(); ++i) dst[i].second.copy_from(src[i].second);
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

LoadedRun load_run(const std::string& run_dir, Device device) {
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

data::Predictor load_segmenter(const std::string& run_dir, Device device) {
  LoadedRun r = load_run(run_dir, device);
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

Synthetic synthesize(Generator& g, const ModelConfig& m, int64_t n, int batch, Rng& rng, Device device) {
  autograd::NoGradGuard no_grad;
  std::vector<Tensor> x_b, x_f, logit;
  for (int64_t done = 0; done < n; done += batch) {
    const Tensor z = Tensor::normal({batch, m.z_dim}, rng, 0.f, 1.f, device);
    const Layers l = g.generate(z, sample_code(rng, batch, m, device).input);
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

Composite segmentation_pair(const Synthetic& s, const PerturbConfig& p, float scale_log2, Rng& rng, Device device) {
  if (scale_log2 <= 0) return {s.image, s.layers.pi};
  autograd::NoGradGuard no_grad;
  const Tensor theta = perturbation_theta(rng, int(s.image.size(0)), p.translate, p.rotate_deg, scale_log2).to(device);
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
