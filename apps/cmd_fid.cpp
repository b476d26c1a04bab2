// apps/cmd_fid.cpp — `layerseg fid`: FID and bg-FID of a trained run (SPEC §6). n images from the run's generator
// (its EMA weights when it kept them) against all real training images of the run's config, through the
// pytorch-fid Inception-v3 (models/inception.h); bg-FID is the same with the generated backgrounds x_b alone.
// Prints one JSON line and writes RUN_DIR/fid.json; progress goes to stderr.
//   layerseg fid --run runs/demo --weights pt_inception.safetensors [--n 10000] [--device cuda] [--batch 50]
// The weights: docs/FID.md (pytorch-fid's .pth converted by tools/fid_weights.py).
#include <fmt/core.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "apps/command.h"
#include "core/ops.h"
#include "data/fid.h"
#include "kernels/error.h"
#include "models/inception.h"
#include "models/run.h"

namespace {

using Clock = std::chrono::steady_clock;

struct FidArgs {
  std::string run, weights, device = "cpu";
  int64_t n = 10000;
  int batch = 50;  // pytorch-fid's default
  uint64_t seed = 0;
};

// Appends the Inception features of images [N, 3, h, w] to out, `batch` images at a time.
void append_features(const ls::models::FidInception& net, const ls::Tensor& images, int batch,
                     std::vector<float>& out) {
  for (int64_t i = 0; i < images.size(0); i += batch) {
    const ls::Tensor part = ls::slice(images, 0, i, std::min(images.size(0), i + batch));
    const std::vector<float> f = net.features(part).to_vector();
    out.insert(out.end(), f.begin(), f.end());
  }
}

// Progress lines on stderr ("fid: real 1200/4000 (6.3 images/s)"): at most one every 10 s, and one at the end.
class Progress {
 public:
  Progress(const char* what, int64_t total) : what_(what), total_(total), start_(Clock::now()), last_(start_) {}
  void update(int64_t done) {
    const auto now = Clock::now();
    if (done < total_ && now - last_ < std::chrono::seconds(10)) return;
    last_ = now;
    const double s = std::chrono::duration<double>(now - start_).count();
    fmt::print(stderr, "fid: {} {}/{} ({:.2f} images/s)\n", what_, done, total_, s > 0 ? double(done) / s : 0.0);
  }

 private:
  const char* what_;
  int64_t total_;
  Clock::time_point start_, last_;
};

void setup(CLI::App& app) {
  auto a = std::make_shared<FidArgs>();
  app.add_option("--run", a->run, "run directory of `layerseg train`")->required()->check(CLI::ExistingDirectory);
  app.add_option("--weights", a->weights, "pytorch-fid Inception-v3 weights converted by tools/fid_weights.py")
      ->check(CLI::ExistingFile);
  app.add_option("--n", a->n, "generated images")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(2), int64_t(1) << 24));
  app.add_option("--batch", a->batch, "Inception batch size")->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--seed", a->seed, "seed of the latent codes")->capture_default_str();
  app.add_option("--device", a->device, "cpu | cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  app.callback([a] {
    const auto start = Clock::now();
    LS_CHECK(!a->weights.empty(), "fid: --weights is required. {}", ls::models::kFidWeightsHelp);
    const ls::Device dev = ls::parse_device(a->device.c_str());
    const ls::models::FidInception net = ls::models::FidInception::load(a->weights, dev);
    ls::models::LoadedRun run = ls::models::load_run(a->run, dev);

    // Real: every training image of the run's config.
    const ls::data::Dataset real = ls::models::training_images(run.cfg.data);
    LS_CHECK(real.count() >= 2, "fid: the run's training set has {} images; a covariance needs at least 2",
             real.count());
    const int S = real.size();
    std::vector<float> real_features;
    Progress real_progress("real", real.count());
    for (int64_t i = 0; i < real.count(); i += a->batch) {
      const int64_t b = std::min<int64_t>(a->batch, real.count() - i);
      std::vector<float> chw(size_t(b) * 3 * S * S);
      for (int64_t k = 0; k < b; ++k) real.copy_image(i + k, chw.data() + size_t(k) * 3 * S * S);
      append_features(net, ls::Tensor::from_vector({b, 3, S, S}, chw), a->batch, real_features);
      real_progress.update(i + b);
    }

    // Generated: composites and their backgrounds, in the generator's own batch size (it normalizes with batch
    // statistics, so it always sees full batches; models::synthesize).
    ls::Rng rng(a->seed);
    std::vector<float> image_features, background_features;
    const int g_batch = run.cfg.train.batch;
    Progress gen_progress("generated", a->n);
    for (int64_t done = 0; done < a->n; done += g_batch) {
      const int64_t n = std::min<int64_t>(g_batch, a->n - done);
      const ls::models::Synthetic s =
          ls::models::synthesize(run.nets.synthesizer(), run.cfg.model, n, g_batch, rng, dev);
      append_features(net, s.image, a->batch, image_features);
      append_features(net, s.layers.x_b, a->batch, background_features);
      gen_progress.update(done + n);
    }

    const int d = ls::models::FidInception::kFeatures;
    const ls::data::GaussianStats real_stats = ls::data::gaussian_stats(real_features, real.count(), d);
    nlohmann::json out;
    out["fid"] = ls::data::frechet_distance(ls::data::gaussian_stats(image_features, a->n, d), real_stats);
    out["bg_fid"] = ls::data::frechet_distance(ls::data::gaussian_stats(background_features, a->n, d), real_stats);
    out["n_generated"] = a->n;
    out["n_real"] = real.count();
    out["size"] = S;
    out["generator"] = run.nets.g_ema ? "g_ema" : "g";
    out["step"] = run.step;
    out["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
    const std::string line = out.dump();
    fmt::print("{}\n", line);
    const std::string path = ls::models::run_file(a->run, "fid.json");
    std::ofstream f(path);
    f << line << '\n';
    LS_CHECK(f.good(), "fid: cannot write {}", path);
  });
}

}  // namespace

LS_COMMAND("fid", "FID and bg-FID of a run's generator against its training images (pytorch-fid Inception-v3)", setup);
