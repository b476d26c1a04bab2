// apps/cmd_eval.cpp — `layerseg eval`: scores a trained run's U-Net, predicted masks (a folder of PNGs) or a
// baseline predictor against a dataset's ground truth (SPEC §6) and prints one JSON line, also written to --out.
// With --run and a labelled dataset it also reports the NMI of E_x's clusters against the labels.
//   layerseg eval --run runs/demo --data shapes_test    # size: the run's data.eval_size (F runs at data.size)
//   layerseg eval --data ../shared/data/ci_mini --size 64 --baseline ellipse
//   layerseg eval --data shapes_test --size 32 --baseline mean-mask --train-masks shapes_train --out m.json
//   layerseg eval --data shapes_test --size 32 --pred predicted_masks/
#include <fmt/core.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "apps/command.h"
#include "data/dataset.h"
#include "data/evaluate.h"
#include "kernels/error.h"
#include "models/run.h"

namespace {

struct EvalArgs {
  std::string data, layout = "folder", stems, split = "all", run, pred, baseline, train_masks, out, device = "cpu";
  int size = 64, batch = 64;
  float prior_threshold = 0.4f;
  bool no_memory_check = false, last_unet = false;
};

void setup(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  app.add_option("--data", a->data, "ground-truth dataset folder")->required()->check(CLI::ExistingDirectory);
  app.add_option("--layout", a->layout, "dataset layout: folder | cub")->capture_default_str();
  auto* size = app.add_option("--size", a->size,
                              "evaluation size S (image and mask resized to S x S; with --run, "
                              "the run's data.eval_size unless given)")
                   ->capture_default_str()
                   ->check(CLI::Range(4, 4096));
  app.add_option("--stems", a->stems, "folder layout: file listing the stems to evaluate (e.g. split_dev.txt)");
  app.add_option("--split", a->split, "cub layout: all | train | test")->capture_default_str();
  auto* run = app.add_option("--run", a->run, "a training run directory: evaluate its U-Net (and E_x's NMI)")
                  ->check(CLI::ExistingDirectory);
  app.add_option("--device", a->device, "--run: cpu | cuda")->capture_default_str();
  app.add_flag("--last-unet", a->last_unet,
               "--run: the last U-Net trained instead of the one the run selected without labels");
  auto* pred = app.add_option("--pred", a->pred, "folder of predicted masks <stem>.png")->check(CLI::ExistingDirectory);
  auto* base = app.add_option("--baseline", a->baseline, "baseline predictor: ellipse | mean-mask")
                   ->check(CLI::IsMember({"ellipse", "mean-mask"}));
  pred->excludes(base);
  run->excludes(pred)->excludes(base);
  app.add_option("--train-masks", a->train_masks, "mean-mask: folder of training masks (or a dataset with masks/)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--prior-threshold", a->prior_threshold, "mean-mask: foreground where the mean exceeds this")
      ->capture_default_str();
  app.add_option("--batch", a->batch, "batch size for predictors")->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_flag("--no-memory-check", a->no_memory_check,
               "evaluate even when the memory estimate exceeds the available memory");
  app.add_option("--out", a->out, "also write the JSON metrics to this file");
  app.callback([a, size] {
    LS_CHECK(!a->run.empty() || !a->pred.empty() || !a->baseline.empty(),
             "eval: give --run RUN_DIR, --pred DIR or --baseline ellipse|mean-mask");
    ls::data::set_memory_check(!a->no_memory_check);
    if (!a->out.empty()) ls::models::check_output_file(a->out, "--out");
    if (!a->stems.empty()) {
      const std::filesystem::path stems = std::filesystem::path(a->stems).is_absolute()
                                              ? std::filesystem::path(a->stems)
                                              : std::filesystem::path(a->data) / a->stems;
      LS_CHECK(std::filesystem::is_regular_file(stems),
               "--stems {}: {} is not a file (a relative path is taken inside --data)", a->stems, stems.string());
    }
    std::unique_ptr<ls::models::LoadedRun> trained;
    if (!a->run.empty()) {
      trained = std::make_unique<ls::models::LoadedRun>(
          ls::models::load_run(a->run, ls::parse_device(a->device.c_str()),
                               a->last_unet ? ls::models::UNetChoice::Last : ls::models::UNetChoice::Selected));
      if (size->count() == 0) a->size = trained->cfg.data.effective_eval_size();
    }
    LS_CHECK(a->baseline != "mean-mask" || !a->train_masks.empty(),
             "eval: --baseline mean-mask needs --train-masks DIR");
    // One batch of the evaluation holds, per image, the image and mask at S x S as floats, the probabilities at S
    // and the resized copies; the dataset's own cache is checked by its loader.
    ls::data::check_memory(int64_t(a->batch) * a->size * a->size * 4 * 8,
                           fmt::format("eval at --size {} with --batch {}", a->size, a->batch));
    ls::data::DatasetOptions opt;
    opt.layout = a->layout;
    opt.size = a->size;
    opt.masks = ls::data::MaskPolicy::kRequired;
    opt.stems_file = a->stems;
    opt.split = a->split;
    const ls::data::Dataset ds = ls::data::load_dataset(a->data, opt);

    ls::data::SegmentationScores scores;
    if (trained) {
      const auto cluster = ds.has_labels() && trained->cfg.model.c_kind == "categorical"
                               ? ls::models::critic_clusterer(trained->nets.d, trained->cfg.data.size)
                               : ls::data::Clusterer();
      scores = ls::data::evaluate(ds, ls::models::unet_predictor(trained->nets.f, trained->cfg.data.size), a->batch,
                                  cluster);
      scores.predictor = "unet:" + a->run;
    } else if (!a->pred.empty()) {
      scores = ls::data::evaluate_mask_folder(ds, a->pred);
    } else {
      ls::data::Image prior;
      if (a->baseline == "ellipse") {
        prior = ls::data::ellipse_prior(a->size);
      } else {
        prior = ls::data::mean_mask_prior(ls::data::load_masks(a->train_masks, a->size), a->prior_threshold);
      }
      scores = ls::data::evaluate(ds, ls::data::constant_predictor(prior), a->batch);
      scores.predictor = a->baseline;
    }
    nlohmann::json j = scores.to_json();
    if (trained) j["unet"] = trained->unet;  // the selected U-Net or, with --last-unet, the last
    const std::string line = j.dump();
    fmt::print("{}\n", line);
    if (!a->out.empty()) {
      std::ofstream f(a->out);
      f << line << '\n';
      LS_CHECK(f.good(), "{}: cannot write", a->out);
    }
  });
}

}  // namespace

LS_COMMAND("eval", "score predicted masks or a baseline against ground truth; prints one JSON line", setup);
