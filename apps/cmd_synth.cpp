// apps/cmd_synth.cpp — `layerseg synth`: N synthetic image/mask pairs from a trained run's generator (its EMA
// weights when it kept them), in the folder layout: OUT/images/<stem>.png, OUT/masks/<stem>.png (π > 0.5, 0/255),
// and with --layers OUT/layers/<stem>_{bg,fg,pi}.png (x_b, x_f and the soft mask).
//   layerseg synth --run runs/demo --n 1000 --out synth_demo --layers
#include <fmt/core.h>

#include <filesystem>

#include "apps/command.h"
#include "data/image.h"
#include "models/run.h"

namespace {

struct SynthArgs {
  std::string run, out, device = "cpu";
  int64_t n = 0;
  uint64_t seed = 0;
  bool layers = false;
};

void setup(CLI::App& app) {
  auto a = std::make_shared<SynthArgs>();
  app.add_option("--run", a->run, "run directory of `layerseg train`")->required()->check(CLI::ExistingDirectory);
  app.add_option("--n", a->n, "number of pairs")->required()->check(CLI::Range(int64_t(1), int64_t(10000000)));
  app.add_option("--out", a->out, "output folder (folder layout)")->required();
  app.add_option("--seed", a->seed, "seed of the latent codes")->capture_default_str();
  app.add_flag("--layers", a->layers, "also write x_b, x_f and the soft mask π");
  app.add_option("--device", a->device, "cpu | cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  app.callback([a] {
    namespace fs = std::filesystem;
    const ls::Device dev = ls::parse_device(a->device.c_str());
    ls::models::LoadedRun run = ls::models::load_run(a->run, dev);
    ls::models::prepare_output_folder(a->out, "--out");
    for (const char* sub : {"images", "masks"}) fs::create_directories(fs::path(a->out) / sub);
    if (a->layers) fs::create_directories(fs::path(a->out) / "layers");
    ls::Rng rng(a->seed);
    const int64_t chunk = 8 * int64_t(run.cfg.train.batch);  // bounds memory; batches stay full inside synthesize
    for (int64_t done = 0; done < a->n; done += chunk) {
      const int64_t n = std::min(chunk, a->n - done);
      const ls::models::Synthetic s =
          ls::models::synthesize(run.nets.synthesizer(), run.cfg.model, n, run.cfg.train.batch, rng, dev);
      for (int64_t i = 0; i < n; ++i) {
        const std::string stem = fmt::format("synth_{:06}", done + i);
        const auto file = [&](const char* sub, const std::string& name) {
          return (fs::path(a->out) / sub / name).string();
        };
        ls::data::write_image(file("images", stem + ".png"), ls::models::batch_image(s.image, i));
        ls::data::write_image(file("masks", stem + ".png"),
                              ls::data::threshold(ls::models::batch_image(s.layers.pi, i)));
        if (a->layers) {
          ls::data::write_image(file("layers", stem + "_bg.png"), ls::models::batch_image(s.layers.x_b, i));
          ls::data::write_image(file("layers", stem + "_fg.png"), ls::models::batch_image(s.layers.x_f, i));
          ls::data::write_image(file("layers", stem + "_pi.png"), ls::models::batch_image(s.layers.pi, i));
        }
      }
    }
    fmt::print("wrote {} synthetic pairs to {} (images/, masks/{})\n", a->n, a->out, a->layers ? ", layers/" : "");
  });
}

}  // namespace

LS_COMMAND("synth", "write synthetic image/mask pairs from a trained run", setup);
