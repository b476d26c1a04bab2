// tests/test_run_outputs.cpp — what a person sees of a run: progress lines off a terminal, picture grids at a
// readable scale, cut-outs and outlines, `layerseg info`, the curves of tools/plot_run.py and the Python snippet of
// docs/TRAINING.md that opens a checkpoint. The app-level tests share one tiny run of the `layerseg` binary, trained
// with stdout and stderr going to files (so not a terminal). Python tests skip with a message when no interpreter
// with matplotlib (or safetensors and numpy) is found.
//   build/layerseg_tests --gtest_filter='Progress*:PictureGrid*:CutOut*:RunOutputs*'
#include <gtest/gtest.h>
#include <stb/stb_image.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>

#include "data/grid.h"
#include "data/image.h"
#include "models/trainer.h"
#include "tests/error_message.h"

namespace ls {
namespace {
namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

struct Output {
  int status;
  std::string out, err;
};
// Runs a shell command with stdout and stderr captured in files (neither is a terminal).
Output shell(const std::string& cmd) {
  const std::string base = (fs::temp_directory_path() / fmt::format("layerseg_outputs_{}", getpid())).string();
  const int status = std::system((cmd + " > " + base + ".out 2> " + base + ".err").c_str());
  Output r{status, read_text(base + ".out"), read_text(base + ".err")};
  fs::remove(base + ".out"), fs::remove(base + ".err");
  return r;
}

// ---- progress --------------------------------------------------------------------------------------------------

TEST(Progress, OffATerminalALineAtTheStartAtPhaseEndsAndEveryInterval) {
  models::ProgressGate gate(/*tty=*/false, /*interval_s=*/30);
  EXPECT_TRUE(gate.due(0.5, false));  // the first step: the run is alive
  EXPECT_FALSE(gate.due(10, false));
  EXPECT_FALSE(gate.due(30.4, false));  // 29.9 s after the last line
  EXPECT_TRUE(gate.due(30.5, false));
  EXPECT_FALSE(gate.due(45, false));
  EXPECT_TRUE(gate.due(46, true));    // a phase end always prints
  EXPECT_FALSE(gate.due(75, false));  // the interval counts from the phase-end line
  EXPECT_TRUE(gate.due(76, false));
  // Steps slower than the interval: every step prints.
  for (double t = 200; t < 400; t += 31) EXPECT_TRUE(gate.due(t, false)) << t;
}

TEST(Progress, OnATerminalEveryStep) {
  models::ProgressGate gate(/*tty=*/true, /*interval_s=*/30);
  for (double t = 0; t < 1; t += 0.1) EXPECT_TRUE(gate.due(t, false)) << t;
}

TEST(Progress, TheLineNamesPhaseRoundStepsSpeedEtaAndLosses) {
  models::ProgressStatus p;
  p.round = 2, p.rounds = 3, p.phase = "seg", p.local = 150, p.len = 300, p.step = 2250, p.total = 6300;
  p.it_s = 7.25, p.eta_s = 3725;
  p.losses = {{"D", 1.2345}, {"F", 0.25}};
  EXPECT_EQ(models::progress_text(p),
            "round 2/3 seg 150/300 (step 2250/6300) D 1.234 F 0.250 | 7.2 it/s | ETA 1:02:05");
}

// ---- picture grids ---------------------------------------------------------------------------------------------

data::Image checker(int h, int w) {  // RGB cells of alternating black and white pixels
  data::Image img(h, w, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) img.at(y, x, c) = (x + y) % 2 ? 1.f : -1.f;
  return img;
}

TEST(PictureGrid, TilesAreEnlargedNearestNeighbourToAtLeast128PixelsWithSeparators) {
  data::PictureGrid grid;  // 128-pixel tiles, 2-pixel separators, no labels
  grid.add_row({checker(32, 32), checker(32, 32), checker(32, 32)});
  grid.add_row({data::Image(32, 32, 1, 1.f)});  // a white mask; a shorter row leaves white space
  EXPECT_EQ(grid.scale(), 4);
  const data::Image g = grid.compose();
  EXPECT_EQ(g.h, 2 + 2 * (128 + 2));
  EXPECT_EQ(g.w, 2 + 3 * (128 + 2));
  // Tile (0, 1) starts at (2, 132); each source pixel is a 4x4 block of one value.
  for (int y = 0; y < 128; ++y)
    for (int x = 0; x < 128; ++x)
      ASSERT_EQ(g.at(2 + y, 132 + x, 0), ((x / 4 + y / 4) % 2 ? 1.f : -1.f)) << y << "," << x;
  for (int y = 0; y < g.h; ++y) EXPECT_EQ(g.at(y, 130, 0), 1.f) << y;  // the separator column is white
  // 64-pixel cells double; 24-pixel cells need 6x to reach 128 (5x would be 120).
  data::PictureGrid g64, g24;
  g64.add_row({checker(64, 64)});
  g24.add_row({checker(24, 24)});
  EXPECT_EQ(g64.scale(), 2);
  EXPECT_EQ(g24.scale(), 6);
}

TEST(PictureGrid, RowLabelsAreDrawnInALeftColumn) {
  data::PictureGrid labelled, plain;
  labelled.add_row({checker(32, 32)}, "Mask");
  labelled.add_row({checker(32, 32)}, "fg * mask");
  plain.add_row({checker(32, 32)});
  plain.add_row({checker(32, 32)});
  const data::Image a = labelled.compose(), b = plain.compose();
  const int label_w = a.w - b.w;
  EXPECT_EQ(label_w, 2 * 8 + 9 * 12 - 2);  // margins and the longest label: 9 characters of 12 pixels
  // Black text pixels in the label column, next to each row's tile and only there.
  for (int row = 0; row < 2; ++row) {
    int black = 0;
    for (int y = 2 + row * 130; y < 130 + row * 130; ++y)
      for (int x = 0; x < label_w; ++x) black += a.at(y, x, 0) == -1.f;
    EXPECT_GT(black, 40) << "row " << row;
  }
  EXPECT_NE(test::error_message([&] { labelled.add_row({checker(32, 32)}, "x_b"); }).find("font has no '_'"),
            std::string::npos);
}

// ---- cut-outs and outlines -------------------------------------------------------------------------------------

TEST(CutOut, AlphaIsTheProbabilityAndThePngKeepsIt) {
  data::Image photo = checker(5, 7), prob(5, 7, 1);
  for (size_t i = 0; i < prob.px.size(); ++i) prob.px[i] = float(i) / float(prob.px.size() - 1);
  const data::Image rgba = data::with_alpha(photo, prob);
  ASSERT_EQ(rgba.c, 4);
  const std::string path = (fs::temp_directory_path() / fmt::format("layerseg_cutout_{}.png", getpid())).string();
  data::write_image(path, rgba);
  int w = 0, h = 0, c = 0;
  std::unique_ptr<unsigned char, void (*)(void*)> px(stbi_load(path.c_str(), &w, &h, &c, 0), stbi_image_free);
  ASSERT_TRUE(px) << path;
  ASSERT_EQ(w, 7);
  ASSERT_EQ(h, 5);
  ASSERT_EQ(c, 4);
  for (int i = 0; i < w * h; ++i) {
    EXPECT_EQ(px.get()[4 * i + 3], std::lround(prob.px[size_t(i)] * 255.f)) << i;  // soft: 0, ..., 255
    EXPECT_EQ(px.get()[4 * i], photo.px[size_t(3 * i)] > 0 ? 255 : 0) << i;
  }
  fs::remove(path);
  EXPECT_NE(test::error_message([&] { data::write_image(path + ".jpg", rgba); }).find("JPEG has no alpha"),
            std::string::npos);
  EXPECT_NE(test::error_message([&] { data::with_alpha(photo, data::Image(5, 6, 1)); }).find("of one size"),
            std::string::npos);
}

TEST(CutOut, OutlineIsTheObjectsOwnBorderAndOpenAtTheFrame) {
  // A 4x5 rectangle at rows 2..5, columns 0..4 of a 9x9 mask: it touches the left edge.
  data::Image photo(9, 9, 3, 0.f), mask(9, 9, 1, 0.f);
  for (int y = 2; y <= 5; ++y)
    for (int x = 0; x <= 4; ++x) mask.at(y, x) = 1.f;
  const float green[3] = {-1.f, 1.f, -1.f};
  const data::Image o = data::draw_outline(photo, mask, 1, green);
  for (int y = 0; y < 9; ++y)
    for (int x = 0; x < 9; ++x) {
      const bool border = mask.at(y, x) > 0.5f && (y == 2 || y == 5 || x == 4);  // not x == 0: the frame
      EXPECT_EQ(o.at(y, x, 1), border ? 1.f : 0.f) << y << "," << x;
    }
  // Width 2: every pixel of the 4-row rectangle is within 2 of row 1 or row 6 (outside), so all are painted.
  const data::Image o2 = data::draw_outline(photo, mask, 2, green);
  for (int y = 2; y <= 5; ++y)
    for (int x = 0; x <= 4; ++x) EXPECT_EQ(o2.at(y, x, 1), 1.f) << y << "," << x;
  EXPECT_EQ(o2.at(1, 1, 1), 0.f);  // never outside the object
}

// ---- the app on one tiny run ------------------------------------------------------------------------------------

class RunOutputs : public ::testing::Test {
 protected:
  static std::string dir, train_out, train_err;
  static int train_status;

  static void SetUpTestSuite() {
    dir = (fs::temp_directory_path() / fmt::format("layerseg_outputs_run_{}", getpid())).string();
    fs::remove_all(dir);
    const Output r = shell(
        std::string(LAYERSEG_BINARY) + " train --config " + LAYERSEG_SOURCE_DIR + "/configs/tiny_test.toml --out " +
        dir + " --set data.shapes_n=32 --set data.eval_n=8 --set train.gan_steps=4 --set train.seg_steps=3");
    train_status = r.status, train_out = r.out, train_err = r.err;
  }
  static void TearDownTestSuite() { fs::remove_all(dir); }
  void SetUp() override { ASSERT_EQ(train_status, 0) << train_err; }
};
std::string RunOutputs::dir, RunOutputs::train_out, RunOutputs::train_err;
int RunOutputs::train_status = -1;

TEST_F(RunOutputs, PipedTrainPrintsProgressLinesAndWhereEveryFileIs) {
  // Off a terminal: whole lines, no carriage returns; the first step and the end of each of the 4 phases.
  EXPECT_EQ(train_err.find('\r'), std::string::npos);
  const std::regex line(R"(round \d/2 (gan|seg) \d/\d \(step \d+/14\).* \| [0-9.]+ it/s \| ETA \d+:\d\d)");
  const auto n = std::distance(std::sregex_iterator(train_err.begin(), train_err.end(), line), std::sregex_iterator());
  EXPECT_EQ(n, 5) << train_err;
  EXPECT_NE(train_err.find("round 2/2 seg 3/3 (step 14/14) F "), std::string::npos) << train_err;
  for (const char* f : {"checkpoint.safetensors", "log.jsonl", "curves.png", "metrics.json", "samples_round2.png",
                        "segmentation_round2.png", "tools/plot_run.py"})
    EXPECT_NE(train_out.find(f), std::string::npos) << f << " missing from\n" << train_out;
}

TEST_F(RunOutputs, GridsOfTheRunAreReadable) {
  // 16x16 shapes: 8x enlarged to 128; 12 columns (train.grid_columns), 4 labelled rows of samples.
  int w = 0, h = 0, c = 0;
  ASSERT_TRUE(stbi_info((dir + "/samples_round1.png").c_str(), &w, &h, &c));
  EXPECT_EQ(h, 2 + 4 * 130);
  EXPECT_GT(w, 2 + 8 * 130);
}

TEST_F(RunOutputs, SegmentWritesCutOutsAndOverlaysAtEachInputsOwnSize) {
  const std::string images = dir + "_photos", out = dir + "_segment";
  fs::create_directories(images);
  const std::pair<int, int> sizes[] = {{23, 37}, {40, 18}};  // h, w
  for (const auto& [h, w] : sizes) {
    data::Image img(h, w, 3);
    for (size_t i = 0; i < img.px.size(); ++i) img.px[i] = float(i % 7) / 3.f - 1.f;
    data::write_image(fmt::format("{}/p{}.png", images, h), img);
  }
  const std::string bin = LAYERSEG_BINARY;
  const Output r =
      shell(bin + " segment --run " + dir + " --images " + images + " --out " + out + " --cutout --overlay");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("wrote masks, cut-outs, overlays of 2 images"), std::string::npos) << r.out;
  for (const auto& [h, w] : sizes) {
    const data::Image photo = data::read_image(fmt::format("{}/p{}.png", images, h));
    int pw = 0, ph = 0, pc = 0;
    std::unique_ptr<unsigned char, void (*)(void*)> photo_bytes(
        stbi_load(fmt::format("{}/p{}.png", images, h).c_str(), &pw, &ph, &pc, 3), stbi_image_free);
    const data::Image mask = data::read_mask(fmt::format("{}/p{}.png", out, h));
    const data::Image overlay = data::read_image(fmt::format("{}/p{}_overlay.png", out, h));
    int cw = 0, ch = 0, cc = 0;
    std::unique_ptr<unsigned char, void (*)(void*)> cut(
        stbi_load(fmt::format("{}/p{}_cutout.png", out, h).c_str(), &cw, &ch, &cc, 0), stbi_image_free);
    ASSERT_TRUE(cut);
    EXPECT_EQ(cc, 4);
    ASSERT_TRUE(mask.h == h && mask.w == w && overlay.h == h && overlay.w == w && ch == h && cw == w);
    for (int i = 0; i < h * w; ++i) {
      const unsigned char alpha = cut.get()[4 * i + 3];
      // The mask is the probability (alpha) thresholded at 0.5; the colour is the photo's.
      EXPECT_EQ(mask.px[size_t(i)] > 0.5f, alpha >= 128) << i << " alpha " << int(alpha);
      for (int c = 0; c < 3; ++c) EXPECT_EQ(cut.get()[4 * i + c], photo_bytes.get()[3 * i + c]) << i;
      // The overlay is the photo except for green pixels, which lie inside the mask.
      const bool green = overlay.px[size_t(3 * i)] == -1.f && overlay.px[size_t(3 * i + 1)] == 1.f &&
                         overlay.px[size_t(3 * i + 2)] == -1.f;
      if (green)
        EXPECT_GT(mask.px[size_t(i)], 0.5f) << i;
      else
        EXPECT_EQ(overlay.px[size_t(3 * i)], photo.px[size_t(3 * i)]) << i;
    }
  }
  const Output none = shell(bin + " segment --run " + dir + " --images " + images + " --out " + out + " --no-masks");
  EXPECT_NE(none.status, 0);
  EXPECT_NE(none.err.find("--no-masks leaves nothing to write"), std::string::npos) << none.err;
  fs::remove_all(images), fs::remove_all(out);
}

TEST_F(RunOutputs, InfoPrintsConfigStepMetricsAndTensors) {
  const Output r = shell(std::string(LAYERSEG_BINARY) + " info " + dir);
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* s : {"step 14 of 14, round 2 of 2", "last evaluation (step 14", "final metrics", "[train]\n",
                        "gan_steps = 4", "shapes_n = 32", "tensors,"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << " missing from\n" << r.out;
  // Every tensor on its own line with its shape: U-Net and Adam states among them.
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\nf\.\S+ +\[8, 3, 3, 3\] +216 values\n)"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\nadam_g\.\S+ +\[)"))) << r.out;

  const Output missing = shell(std::string(LAYERSEG_BINARY) + " info " + dir + "_nowhere");
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
}

// The first Python interpreter (python3 on PATH, then Debian's /usr/bin/python3) that can import `modules`.
std::string python_with(const std::string& modules) {
  for (const char* py : {"python3", "/usr/bin/python3"})
    if (shell(std::string(py) + " -c 'import " + modules + "'").status == 0) return py;
  return "";
}

TEST_F(RunOutputs, PlotRunDrawsCurvesAndFailsClearlyOnABadLog) {
  const std::string py = python_with("matplotlib");
  if (py.empty()) GTEST_SKIP() << "no python3 with matplotlib (apt-get install python3-matplotlib)";
  const std::string script = std::string(LAYERSEG_SOURCE_DIR) + "/tools/plot_run.py";
  const Output r = shell(py + " " + script + " " + dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, dir + "/curves.png\n");
  int w = 0, h = 0, c = 0;
  ASSERT_TRUE(stbi_info((dir + "/curves.png").c_str(), &w, &h, &c));
  EXPECT_EQ(w, 1200);
  EXPECT_EQ(h, 1000);

  const std::string bad = dir + "_badlog";
  fs::create_directories(bad);
  const Output missing = shell(py + " " + script + " " + bad);
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find(bad + "/log.jsonl: no such file"), std::string::npos) << missing.err;
  std::ofstream(bad + "/log.jsonl") << read_text(dir + "/log.jsonl").substr(0, 40) << "\n{\"step\": 3}\n";
  const Output malformed = shell(py + " " + script + " " + bad);
  EXPECT_NE(malformed.status, 0);
  EXPECT_NE(malformed.err.find(bad + "/log.jsonl:1: not a JSON line"), std::string::npos) << malformed.err;
  EXPECT_FALSE(fs::exists(bad + "/curves.png"));
  fs::remove_all(bad);
}

// docs/TRAINING.md's snippet, run as written but on this run's checkpoint.
TEST_F(RunOutputs, TrainingDocsOpenTheCheckpointWithSafetensors) {
  const std::string py = python_with("safetensors, numpy");
  if (py.empty()) GTEST_SKIP() << "no python3 with the safetensors and numpy packages (pip install safetensors numpy)";
  const std::string doc = read_text(std::string(LAYERSEG_SOURCE_DIR) + "/docs/TRAINING.md");
  const size_t begin = doc.find("```python\n"), end = doc.find("```\n", begin + 1);
  ASSERT_TRUE(begin != std::string::npos && end != std::string::npos) << "no ```python block in docs/TRAINING.md";
  std::string snippet = doc.substr(begin + 10, end - begin - 10);
  const size_t at = snippet.find("runs/demo");
  ASSERT_NE(at, std::string::npos) << snippet;
  snippet.replace(at, 9, dir);
  const std::string file = dir + "_snippet.py";
  std::ofstream(file) << snippet;
  const Output r = shell(py + " " + file);
  fs::remove(file);
  ASSERT_EQ(r.status, 0) << r.err << "\n" << snippet;
  EXPECT_NE(r.out.find("step 14 round 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gan_steps = 4"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(f\.\S+ \(8, 3, 3, 3\) float32)"))) << r.out;
}

// --restart discards what the earlier run wrote (its pictures and curves too, or they would pass for the new run's)
// and nothing else in the folder.
TEST(RunRestart, DiscardsTheOldRunsFilesAndKeepsForeignOnes) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("layerseg_restart_{}", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* f : {"curves.png", "samples_round7.png", "segmentation_round7.png", "notes.txt"})
    std::ofstream(dir / f) << "old";
  const Output r = shell(std::string(LAYERSEG_BINARY) + " train --config " + LAYERSEG_SOURCE_DIR +
                         "/configs/tiny_test.toml --out " + dir.string() +
                         " --restart --set data.shapes_n=32 --set data.eval_n=8 --set train.rounds=1 "
                         "--set train.gan_steps=1 --set train.seg_steps=1");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(fs::exists(dir / "curves.png"));
  EXPECT_FALSE(fs::exists(dir / "samples_round7.png"));
  EXPECT_FALSE(fs::exists(dir / "segmentation_round7.png"));
  EXPECT_TRUE(fs::exists(dir / "samples_round1.png"));
  EXPECT_EQ(read_text((dir / "notes.txt").string()), "old");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ls
