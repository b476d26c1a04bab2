// apps/cmd_segment.cpp — `layerseg segment`: foreground masks, cut-outs and outlines for real images with a trained
// run's U-Net. Each image is resized to the run's S x S (whole image, bilinear, as the evaluation protocol),
// segmented, and the probability map is resized back to the image's own size. Per image, all at that size:
//   OUT/<stem>.png           the mask, the probability thresholded at 0.5, 0/255 (unless --no-masks)
//   OUT/<stem>_cutout.png    with --cutout: RGBA, the photo with alpha = F's probability (transparent background,
//                            soft edges)
//   OUT/<stem>_overlay.png   with --overlay: the photo with the mask's outline in green
// --images takes a folder of PNG/JPEG files, or a dataset root with images/ inside.
//   layerseg segment --run runs/weizmann64 --images ../shared/data/weizmann_horse --out pred_horse
//   layerseg eval --data ../shared/data/weizmann_horse --stems split_dev.txt --size 64 --pred pred_horse
//   layerseg segment --run runs/weizmann64 --images photos/ --out cutouts --cutout --overlay --no-masks
#include <fmt/core.h>

#include <algorithm>
#include <filesystem>

#include "apps/command.h"
#include "data/dataset.h"
#include "data/image.h"
#include "kernels/error.h"
#include "models/run.h"

namespace {

struct SegmentArgs {
  std::string run, images, out, device = "cpu";
  int batch = 64;
  bool cutout = false, overlay = false, no_masks = false, no_memory_check = false, last_unet = false;
};

// Outline colour and width of --overlay: pure green is rare in photos, and a line about 1/200 of the shorter side
// stays visible when a large photo is shown shrunk.
constexpr float kOutlineColour[3] = {-1.f, 1.f, -1.f};
int outline_width(const ls::data::Image& img) { return std::max(1, std::min(img.h, img.w) / 200); }

void setup(CLI::App& app) {
  auto a = std::make_shared<SegmentArgs>();
  app.add_option("--run", a->run, "run directory of `layerseg train`")->required()->check(CLI::ExistingDirectory);
  app.add_option("--images", a->images, "folder of images (or a dataset root holding images/)")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--out", a->out, "output folder (<stem>.png, <stem>_cutout.png, <stem>_overlay.png)")->required();
  app.add_flag("--cutout", a->cutout, "also write <stem>_cutout.png: RGBA, background transparent, soft edges");
  app.add_flag("--overlay", a->overlay, "also write <stem>_overlay.png: the photo with the mask outline");
  app.add_flag("--no-masks", a->no_masks, "do not write the 0/255 masks <stem>.png (with --cutout or --overlay)");
  app.add_option("--batch", a->batch, "images per forward pass")->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--device", a->device, "cpu | cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  app.add_flag("--last-unet", a->last_unet,
               "use the last U-Net trained instead of the one the run selected without labels (models/selection.h)");
  app.add_flag("--no-memory-check", a->no_memory_check,
               "segment even when a batch's memory estimate exceeds the available memory");
  app.callback([a] {
    ls::data::set_memory_check(!a->no_memory_check);
    namespace fs = std::filesystem;
    LS_CHECK(!a->no_masks || a->cutout || a->overlay,
             "segment: --no-masks leaves nothing to write; add --cutout and/or --overlay");
    ls::models::prepare_output_folder(a->out, "--out");
    const ls::Device dev = ls::parse_device(a->device.c_str());
    const ls::models::LoadedRun run = ls::models::load_run(
        a->run, dev, a->last_unet ? ls::models::UNetChoice::Last : ls::models::UNetChoice::Selected);
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

    for (size_t begin = 0; begin < files.size(); begin += size_t(a->batch)) {
      const size_t end = std::min(files.size(), begin + size_t(a->batch));
      // The batch's photos stay decoded until their results are written: sized from their headers first.
      int64_t pixels = 0, largest = 0;
      for (size_t i = begin; i < end; ++i) {
        const ls::data::ImageSize sz = ls::data::read_image_size(files[i].string());
        pixels += int64_t(sz.h) * sz.w;
        largest = std::max(largest, int64_t(sz.h) * sz.w);
      }
      ls::data::check_memory(
          ls::models::segment_memory_bytes(run.cfg, int(end - begin), pixels, largest),
          fmt::format("segment: {} photos of {:.1f} Mpixel in all (from {}) with --batch {}", end - begin,
                      double(pixels) / (1 << 20), files[begin].filename().string(), a->batch));
      std::vector<ls::data::Image> originals, resized;
      for (size_t i = begin; i < end; ++i) {
        originals.push_back(ls::data::read_image(files[i].string()));
        resized.push_back(ls::data::resize(originals.back(), s, s));
      }
      const ls::Tensor prob = predict(ls::models::image_batch(resized, dev));
      for (size_t i = begin; i < end; ++i) {
        const ls::data::Image& img = originals[i - begin];
        const ls::data::Image p = ls::data::resize(ls::models::batch_image(prob, int64_t(i - begin)), img.h, img.w);
        const ls::data::Image mask = ls::data::threshold(p);
        const auto out = [&](const char* suffix) {
          return (fs::path(a->out) / (files[i].stem().string() + suffix + ".png")).string();
        };
        if (!a->no_masks) ls::data::write_image(out(""), mask);
        if (a->cutout) ls::data::write_image(out("_cutout"), ls::data::with_alpha(img, p));
        if (a->overlay)
          ls::data::write_image(out("_overlay"), ls::data::draw_outline(img, mask, outline_width(img), kOutlineColour));
      }
    }
    std::string what;
    for (const auto& [on, name] : {std::pair{!a->no_masks, "masks"}, {a->cutout, "cut-outs"}, {a->overlay, "overlays"}})
      if (on) what += (what.empty() ? "" : ", ") + std::string(name);
    fmt::print("wrote {} of {} images to {} (U-Net: {})\n", what, files.size(), a->out, run.unet);
  });
}

}  // namespace

LS_COMMAND("segment", "foreground masks for real images with a trained run's U-Net", setup);
