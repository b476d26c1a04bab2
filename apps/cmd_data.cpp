// apps/cmd_data.cpp — `layerseg data shapes`: writes the procedural shapes dataset in the folder layout
// (images/, masks/, labels.txt), optionally with a PNG grid of samples.
//   layerseg data shapes --n 2000 --size 32 --seed 1 --out data/shapes32 [--kinds 8] [--grid shapes.png]
#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "apps/command.h"
#include "data/dataset.h"
#include "data/grid.h"
#include "data/shapes.h"
#include "kernels/error.h"
#include "models/run.h"

namespace {

struct ShapesArgs {
  ls::data::ShapesOptions opt;
  std::string out, grid;
  bool no_memory_check = false;
  int grid_columns = 12;
};

// Rows of the sample grid: images, then their masks, two such pairs.
void write_sample_grid(const ls::data::Dataset& ds, const std::string& path, int columns) {
  ls::data::PictureGrid grid;
  for (int64_t start = 0; start < ds.count(); start += columns) {
    if (start >= 2 * int64_t(columns)) break;
    std::vector<ls::data::Image> images, masks;
    for (int64_t i = start; i < std::min<int64_t>(ds.count(), start + columns); ++i) {
      images.push_back(ds.image(i));
      masks.push_back(ds.mask(i));
    }
    grid.add_row(images);
    grid.add_row(masks);
  }
  grid.write(path);
}

void setup(CLI::App& app) {
  app.require_subcommand(1);
  auto args = std::make_shared<ShapesArgs>();
  CLI::App* shapes = app.add_subcommand("shapes", "generate the procedural shapes dataset in the folder layout");
  shapes->add_option("--n", args->opt.n, "number of images")->required()->check(CLI::PositiveNumber);
  shapes->add_option("--size", args->opt.size, "image side S in pixels")
      ->capture_default_str()
      ->check(CLI::Range(8, 1024));
  shapes->add_option("--seed", args->opt.seed, "random seed")->capture_default_str();
  shapes->add_option("--kinds", args->opt.kinds, "number of object kinds K_c (labels)")
      ->capture_default_str()
      ->check(CLI::Range(2, ls::data::kMaxShapeKinds));
  shapes->add_option("--out", args->out, "output folder (created)")->required();
  shapes->add_option("--grid", args->grid, "also write a PNG grid of the first samples (images over masks)");
  shapes->add_option("--grid-columns", args->grid_columns, "samples per grid row")->capture_default_str();
  shapes->add_flag("--no-memory-check", args->no_memory_check,
                   "generate even when the memory estimate exceeds the available memory");
  shapes->callback([args] {
    ls::data::set_memory_check(!args->no_memory_check);
    ls::data::check_memory(ls::data::dataset_bytes(args->opt.n, args->opt.size),
                           fmt::format("data shapes --n {} --size {}", args->opt.n, args->opt.size));
    LS_CHECK(!std::filesystem::is_directory(args->out) || std::filesystem::is_empty(args->out),
             "--out {}: the folder exists and is not empty", args->out);
    ls::models::prepare_output_folder(args->out, "--out");
    const ls::data::Dataset ds = ls::data::make_shapes(args->opt);
    ls::data::write_folder(ds, args->out);
    if (!args->grid.empty()) write_sample_grid(ds, args->grid, args->grid_columns);
    fmt::print("wrote {} shapes images of {}x{} ({} kinds, seed {}) to {}\n", ds.count(), ds.size(), ds.size(),
               args->opt.kinds, args->opt.seed, args->out);
  });
}

}  // namespace

LS_COMMAND("data", "dataset tools: generate the procedural shapes dataset", setup);
