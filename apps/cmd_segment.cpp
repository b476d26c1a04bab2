// apps/cmd_segment.cpp — `layerseg segment`: foreground masks for real images with a trained run's U-Net.
// Each image is resized to the run's S x S (whole image, bilinear, as the evaluation protocol), segmented, and the
// probability map is resized back to the image's own size and thresholded at 0.5: OUT/<stem>.png, 0/255.
// --images takes a folder of PNG/JPEG files, or a dataset root with images/ inside.
//   layerseg segment --run runs/weizmann64 --images ../shared/data/weizmann_horse --out pred_horse
//   layerseg eval --data ../shared/data/weizmann_horse --stems split_dev.txt --size 64 --pred pred_horse
#include <fmt/core.h>

#include <algorithm>
#include <filesystem>

#include "apps/command.h"
#include "core/error.h"
#include "data/image.h"
#include "models/run.h"

namespace {

struct SegmentArgs {
  std::string run, images, out, device = "cpu";
  int batch = 64;
};

void setup(CLI::App& app) {
  auto a = std::make_shared<SegmentArgs>();
  app.add_option("--run", a->run, "run directory of `layerseg train`")->required();
  app.add_option("--images", a->images, "folder of images (or a dataset root holding images/)")->required();
  app.add_option("--out", a->out, "output folder of masks <stem>.png")->required();
  app.add_option("--batch", a->batch, "images per forward pass")->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--device", a->device, "cpu | cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  app.callback([a] {
    namespace fs = std::filesystem;
    const ls::Device dev = ls::parse_device(a->device.c_str());
    const ls::models::LoadedRun run = ls::models::load_run(a->run, dev);
    const ls::data::Predictor predict = ls::models::unet_predictor(run.nets.f, run.cfg.data.size);
    const int s = run.cfg.data.size;

    fs::path dir = a->images;
    if (fs::is_directory(dir / "images")) dir /= "images";
    LS_CHECK(fs::is_directory(dir), "segment: image folder '{}' does not exist", a->images);
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir)) {
      std::string ext = e.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
      if (e.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg")) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    LS_CHECK(!files.empty(), "segment: no PNG/JPEG images in '{}'", dir.string());
    fs::create_directories(a->out);

    for (size_t begin = 0; begin < files.size(); begin += size_t(a->batch)) {
      const size_t end = std::min(files.size(), begin + size_t(a->batch));
      std::vector<ls::data::Image> originals, resized;
      for (size_t i = begin; i < end; ++i) {
        originals.push_back(ls::data::read_image(files[i].string()));
        resized.push_back(ls::data::resize(originals.back(), s, s));
      }
      const ls::Tensor prob = predict(ls::models::image_batch(resized, dev));
      for (size_t i = begin; i < end; ++i) {
        const ls::data::Image& img = originals[i - begin];
        const ls::data::Image mask =
            ls::data::threshold(ls::data::resize(ls::models::batch_image(prob, int64_t(i - begin)), img.h, img.w));
        ls::data::write_image((fs::path(a->out) / (files[i].stem().string() + ".png")).string(), mask);
      }
    }
    fmt::print("wrote {} masks to {}\n", files.size(), a->out);
  });
}

}  // namespace

LS_COMMAND("segment", "foreground masks for real images with a trained run's U-Net", setup);
