// tests/test_reliability.cpp — bad inputs and faults (docs/RELIABILITY.md): path arguments checked before any work,
// sizes refused before allocation, images refused by their header, one `train` per run folder, SIGKILL at random
// moments (mid-checkpoint included) then --resume ending bit-identical, a full disk during a checkpoint, a log line
// or a picture, a read-only output folder, and NaN/Inf in a loss or a gradient. Most drive the `layerseg` binary.
//   build/layerseg_tests --gtest_filter='Validation*:ImageLimit*:RunLock*:FaultInjection*:NumericalFault*'
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stb/stb_image_write.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "core/checkpoint.h"
#include "core/ops.h"
#include "data/dataset.h"
#include "data/image.h"
#include "kernels/error.h"
#include "models/config.h"
#include "models/run.h"
#include "models/trainer.h"

namespace ls {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kBin = LAYERSEG_BINARY;
const std::string kTiny = std::string(LAYERSEG_SOURCE_DIR) + "/configs/tiny_test.toml";

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// A fresh folder under the temp directory, removed with the object.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / fmt::format("layerseg_rel_{}_{}", name, getpid())) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

struct Output {
  int status;  // the exit code, or -1 when the process did not exit normally
  std::string err;
};
// Runs `layerseg ARGS` with the given environment assignments, stdout and stderr going to files.
Output layerseg(const std::string& args, const std::string& env = "") {
  const std::string base = (fs::temp_directory_path() / fmt::format("layerseg_rel_out_{}", getpid())).string();
  const int st = std::system((env + " " + kBin + " " + args + " > " + base + ".out 2> " + base + ".err").c_str());
  Output r{WIFEXITED(st) ? WEXITSTATUS(st) : -1, read_text(base + ".err")};
  fs::remove(base + ".out"), fs::remove(base + ".err");
  return r;
}

// The tiny training of these tests: 2 rounds of 8 GAN + 4 U-Net steps (by default), a checkpoint every 3 steps.
constexpr int64_t kEvery = 3;
std::string tiny_train(const std::string& out, int gan_steps = 8, int seg_steps = 4) {
  return fmt::format(
      "train --config {} --out {} --set train.gan_steps={} --set train.seg_steps={} --set train.checkpoint_every={}",
      kTiny, out, gan_steps, seg_steps, kEvery);
}

int64_t checkpoint_step(const std::string& run) {
  return std::stoll(load_checkpoint(models::run_file(run, models::kCheckpointFile)).metadata.at("step"));
}
// The last step the run's log reports: what the killed process had done.
int64_t last_logged_step(const std::string& run) {
  std::ifstream in(models::run_file(run, models::kLogFile));
  int64_t last = 0;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) last = std::max(last, nlohmann::json::parse(line).value("step", int64_t(0)));
  return last;
}
bool has_temp_checkpoint(const std::string& run) {
  for (const auto& e : fs::directory_iterator(run))
    if (e.path().filename().string().rfind(std::string(models::kCheckpointFile) + ".tmp.", 0) == 0) return true;
  return false;
}

// ---- item 1: validate before working -------------------------------------------------------------------------

TEST(Validation, TrainRefusesAFolderAsItsConfigNamingTheFlag) {
  TempDir dir("cfgdir");
  const Output r = layerseg("train --config " + dir / "" + " --out " + dir / "run");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--config"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "run/log.jsonl")) << "training started on the defaults";
}

TEST(Validation, PathArgumentsOfEveryKindAreCheckedNamingTheFlag) {
  TempDir dir("paths");
  std::ofstream(dir / "file") << "x";
  const std::string file = dir / "file", missing = dir / "missing";
  for (const auto& [args, flag] : std::vector<std::pair<std::string, std::string>>{
           {tiny_train(file), "--out"},  // an output folder that is a file
           {"segment --run " + missing + " --images " + dir / "" + " --out " + dir / "o", "--run"},
           {"segment --run " + dir / "" + " --images " + file + " --out " + dir / "o", "--images"},
           {"synth --run " + file + " --n 1 --out " + dir / "o", "--run"},
           {"eval --data " + file + " --baseline ellipse", "--data"},
           {"eval --data " + dir / "" + " --pred " + missing + " --size 8", "--pred"},
           {"eval --data " + dir / "" + " --baseline ellipse --out " + dir / "", "--out"},
           {"eval --data " + dir / "" + " --baseline ellipse --stems nowhere.txt", "--stems"},
           {"fid --run " + dir / "" + " --weights " + dir / "", "--weights"},
           {"info " + file, "run_dir"},
           {"data shapes --n 2 --out " + file, "--out"}}) {
    const Output r = layerseg(args);
    EXPECT_NE(r.status, 0) << args;
    EXPECT_NE(r.err.find(flag), std::string::npos) << args << "\n" << r.err;
  }
}

TEST(Validation, EvalRefusesASizeTheMachineCannotHoldBeforeAllocating) {
  TempDir dir("evalsize");
  ASSERT_EQ(layerseg("data shapes --n 40 --size 16 --out " + dir / "data").status, 0);
  // A 1 GiB limit: --size 4096 with the default batch of 64 needs tens of GiB.
  const std::string limit = "LAYERSEG_MEMORY_LIMIT=1073741824";
  const auto t0 = Clock::now();
  const Output r = layerseg("eval --data " + dir / "data" + " --size 4096 --baseline ellipse", limit);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 10.0) << "it allocated first";
  EXPECT_NE(r.status, 0);
  for (const char* part : {"--size 4096", "GiB of memory", "1.00 GiB is available", "--no-memory-check"})
    EXPECT_NE(r.err.find(part), std::string::npos) << part << "\n" << r.err;
  // The dataset loader checks its own cache: 40 images at 4096 x 4096 (2.5 GiB) do not fit in 1 GiB, where one
  // image's batch (0.5 GiB) does.
  const Output d = layerseg("eval --data " + dir / "data" + " --size 4096 --batch 1 --baseline ellipse", limit);
  EXPECT_NE(d.err.find("(40 images at 4096x4096) needs about 2.50 GiB"), std::string::npos) << d.err;
  EXPECT_EQ(layerseg("eval --data " + dir / "data" + " --size 16 --baseline ellipse", limit).status, 0);
}

TEST(Validation, TrainRefusesASizeTheMachineCannotHoldAndTheFlagOverrides) {
  TempDir dir("trainsize");
  const Output r = layerseg(tiny_train(dir / "run") + " --set data.size=256 --set train.batch=1024",
                            "LAYERSEG_MEMORY_LIMIT=4294967296");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("training at data.size 256 with train.batch 1024"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("4.00 GiB is available"), std::string::npos) << r.err;
  // The tiny run fits a small limit, and --no-memory-check lets it run under one it does not fit.
  models::Config tiny = models::load_config(kTiny);
  EXPECT_LT(models::training_memory_bytes(tiny), int64_t(256) << 20);
  EXPECT_EQ(layerseg(tiny_train(dir / "ok") + " --stop-after 1 --no-memory-check", "LAYERSEG_MEMORY_LIMIT=1").status,
            0);
}

TEST(Validation, TheTrainingEstimateGrowsWithSizeAndBatch) {
  models::Config c = models::load_config(std::string(LAYERSEG_SOURCE_DIR) + "/configs/demo.toml");
  const int64_t base = models::training_memory_bytes(c);
  EXPECT_GT(base, int64_t(50) << 20);  // the demo measures a few hundred MB resident
  EXPECT_LT(base, int64_t(4) << 30);
  c.train.batch *= 4, c.train.seg_batch *= 4;
  const int64_t batch4 = models::training_memory_bytes(c);
  c.data.size *= 4, c.data.shapes_n = 10;
  EXPECT_GT(batch4, 2 * base);
  EXPECT_GT(models::training_memory_bytes(c), 8 * batch4);
}

// ---- images: the header first ----------------------------------------------------------------------------------

// A valid 8x8 grey PNG whose IHDR then claims w x h: what stb's header reader sees, without the gigabytes. Grey,
// because stb itself refuses a PNG of more than 1 GB decoded; 30000x30000 grey (900 MB, 11 GB as floats) it decodes.
std::string png_declaring(const std::string& path, uint32_t w, uint32_t h) {
  std::vector<unsigned char> px(8 * 8, 128);
  EXPECT_NE(stbi_write_png(path.c_str(), 8, 8, 1, px.data(), 8), 0);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(16);  // 8-byte signature, 4-byte length, "IHDR"
  for (uint32_t v : {w, h})
    for (int i = 3; i >= 0; --i) f.put(char(v >> (8 * i)));
  return path;
}

TEST(ImageLimit, AHugeDeclaredImageIsRefusedByItsHeaderNamingTheFile) {
  TempDir dir("bomb");
  const std::string bomb = png_declaring(dir / "bomb.png", 30000, 30000);
  for (const auto& read : {data::read_image, data::read_mask}) {
    try {
      read(bomb);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(bomb), std::string::npos) << m;
      EXPECT_NE(m.find("30000x30000 (858.3 Mpixel), more than the limit of 64.0 Mpixel"), std::string::npos) << m;
    }
  }
}

TEST(ImageLimit, TheLimitIsConfigurable) {
  TempDir dir("limit");
  std::vector<unsigned char> px(16 * 16 * 3, 0);
  const std::string png = dir / "a.png";
  ASSERT_NE(stbi_write_png(png.c_str(), 16, 16, 3, px.data(), 16 * 3), 0);
  ::setenv("LAYERSEG_MAX_IMAGE_PIXELS", "255", 1);
  EXPECT_THROW(data::read_image(png), Error);
  ::setenv("LAYERSEG_MAX_IMAGE_PIXELS", "256", 1);
  EXPECT_EQ(data::read_image(png).w, 16);
  ::unsetenv("LAYERSEG_MAX_IMAGE_PIXELS");
}

// `segment` keeps a batch's photos decoded until their results are written: their headers size the batch first. Three
// photos declaring 6000x6000 (34.3 Mpixel each, under the image limit) need about 1.9 GiB at the default --batch;
// the check refuses them under a 1 GiB limit before decoding (their pixel data would not even decode), and real
// photos pass under the same limit.
TEST(Validation, SegmentRefusesABatchOfPhotosTheMachineCannotHoldBeforeDecoding) {
  TempDir dir("segsize");
  ASSERT_EQ(layerseg(tiny_train(dir / "run", 2, 2)).status, 0);
  fs::create_directories(dir / "big");
  for (const char* name : {"a.png", "b.png", "c.png"}) png_declaring(dir / ("big/" + std::string(name)), 6000, 6000);
  const std::string limit = "LAYERSEG_MEMORY_LIMIT=1073741824";
  const Output r = layerseg("segment --run " + dir / "run" + " --images " + dir / "big" + " --out " + dir / "o", limit);
  EXPECT_NE(r.status, 0);
  for (const char* part : {"segment: 3 photos of 103.0 Mpixel in all (from a.png) with --batch 64", "GiB of memory",
                           "1.00 GiB is available", "--no-memory-check"})
    EXPECT_NE(r.err.find(part), std::string::npos) << part << "\n" << r.err;
  fs::create_directories(dir / "small");
  std::vector<unsigned char> px(64 * 48 * 3, 90);
  ASSERT_NE(stbi_write_png((dir / "small/p.png").c_str(), 64, 48, 3, px.data(), 64 * 3), 0);
  const Output ok =
      layerseg("segment --run " + dir / "run" + " --images " + dir / "small" + " --out " + dir / "o", limit);
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_TRUE(fs::exists(dir / "o/p.png"));
}

// ---- item 2: one run per folder -------------------------------------------------------------------------------

TEST(RunLock, ASecondTrainOnTheSameFolderIsRefusedWithTheHoldersPid) {
  TempDir dir("lock");
  {
    fs::create_directories(dir / "run");
    const models::RunLock held(dir / "run");  // this process plays the first `train`
    const Output r = layerseg(tiny_train(dir / "run") + " --stop-after 1");
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find(fmt::format("in use by another `layerseg train` (pid {})", getpid())), std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(dir / "run/log.jsonl"));
  }
  EXPECT_EQ(layerseg(tiny_train(dir / "run") + " --stop-after 1").status, 0) << "the lock outlived its holder";
}

// ---- item 3: fault injection ----------------------------------------------------------------------------------

// Starts `layerseg` with argv split on spaces and extra environment, output to `log`; returns the child's pid.
pid_t spawn(const std::string& args, const std::string& log, const char* env_key = nullptr, const char* env = nullptr) {
  std::vector<std::string> parts{kBin};
  std::istringstream ss(args);
  for (std::string w; ss >> w;) parts.push_back(w);
  const pid_t pid = fork();
  if (pid == 0) {
    if (env_key) ::setenv(env_key, env, 1);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1), ::dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& p : parts) argv.push_back(p.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

TEST(FaultInjection, KilledAtTwentyRandomMomentsResumesToBitIdenticalCheckpoints) {
  TempDir dir("kill");
  const std::string ref = dir / "ref", run = dir / "run", log = dir / "out.txt";
  // 64 steps: long enough that the 20 kills, each after a process start, spread over the whole run.
  const int gan = 24, seg = 8;
  const auto train = [&](const std::string& out) { return tiny_train(out, gan, seg); };
  const auto t0 = Clock::now();
  ASSERT_EQ(layerseg(train(ref)).status, 0);
  const double full_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const std::string expected = read_text(models::run_file(ref, models::kCheckpointFile));

  std::mt19937 rng(19);
  int mid_checkpoint = 0, mid_run = 0;
  for (int kill = 0; kill < 20; ++kill) {
    const bool resume = fs::exists(models::run_file(run, models::kCheckpointFile));
    // Every third kill pauses each checkpoint write halfway and lands in the pause: the temp file is half written.
    const bool in_write = kill % 3 == 2;
    const pid_t pid = spawn(train(run) + (resume ? " --resume" : " --restart"), log,
                            in_write ? "LAYERSEG_TEST_CHECKPOINT_PAUSE_MS" : nullptr, "400");
    bool exited = false;  // reaped already: the process ended before its kill
    if (in_write) {
      const auto deadline = Clock::now() + std::chrono::seconds(60);
      while (!(fs::is_directory(run) && has_temp_checkpoint(run)) && Clock::now() < deadline &&
             !(exited = waitpid(pid, nullptr, WNOHANG) == pid))
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 300)(rng)));
    } else {
      std::this_thread::sleep_for(
          std::chrono::duration<double>(std::uniform_real_distribution<double>(0.02, full_s / 4)(rng)));
    }
    if (in_write && has_temp_checkpoint(run)) ++mid_checkpoint;
    if (!exited && waitpid(pid, nullptr, WNOHANG) == 0) {
      ++mid_run;
      ::kill(pid, SIGKILL);
      ASSERT_EQ(waitpid(pid, nullptr, 0), pid);
    }
    if (!fs::exists(models::run_file(run, models::kCheckpointFile))) {
      EXPECT_LE(last_logged_step(run), kEvery) << "kill " << kill << ": no checkpoint after a full interval";
      continue;
    }
    int64_t saved = 0;
    ASSERT_NO_THROW(saved = checkpoint_step(run)) << "kill " << kill << ": the checkpoint does not load";
    EXPECT_LE(last_logged_step(run) - saved, kEvery) << "kill " << kill << ": more than one interval lost";
  }
  EXPECT_GE(mid_checkpoint, 5) << "too few kills landed inside a checkpoint write";
  EXPECT_GE(mid_run, 15) << "too few kills landed before the process ended";
  const bool resume = fs::exists(models::run_file(run, models::kCheckpointFile));
  ASSERT_EQ(layerseg(train(run) + (resume ? " --resume" : " --restart")).status, 0) << read_text(log);
  EXPECT_EQ(checkpoint_step(run), 2 * (gan + seg));
  EXPECT_FALSE(has_temp_checkpoint(run)) << "the killed writes' temp files were left behind";
  EXPECT_TRUE(read_text(models::run_file(run, models::kCheckpointFile)) == expected)
      << "the resumed run's checkpoint differs from the uninterrupted one";
}

// A run stopped with a checkpoint at step 3; returns that checkpoint's bytes.
std::string run_to_step_three(const std::string& run) {
  EXPECT_EQ(layerseg(tiny_train(run) + " --stop-after 3").status, 0);
  return read_text(models::run_file(run, models::kCheckpointFile));
}

void expect_checkpoint_intact(const std::string& run, const std::string& bytes) {
  EXPECT_TRUE(read_text(models::run_file(run, models::kCheckpointFile)) == bytes) << "the checkpoint changed";
  EXPECT_EQ(checkpoint_step(run), 3);
  EXPECT_FALSE(has_temp_checkpoint(run));
}

TEST(FaultInjection, AFullDiskDuringACheckpointEndsTheRunAndKeepsThePreviousOne) {
  TempDir dir("enospc_ckpt");
  const std::string run = dir / "run", bytes = run_to_step_three(run);
  const Output r = layerseg(tiny_train(run) + " --resume", "LAYERSEG_FAULT_ENOSPC=checkpoint");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("checkpoint.safetensors: write failed: No space left on device"), std::string::npos) << r.err;
  expect_checkpoint_intact(run, bytes);
}

TEST(FaultInjection, AFullDiskDuringALogLineEndsTheRunAndKeepsTheCheckpoint) {
  TempDir dir("enospc_log");
  const std::string run = dir / "run", bytes = run_to_step_three(run);
  const Output r = layerseg(tiny_train(run) + " --resume", "LAYERSEG_FAULT_ENOSPC=log");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("log.jsonl: cannot write the log: No space left on device"), std::string::npos) << r.err;
  expect_checkpoint_intact(run, bytes);
}

TEST(FaultInjection, AFullDiskDuringAPictureEndsTheRunAndKeepsTheCheckpoint) {
  TempDir dir("enospc_png");
  const std::string run = dir / "run";
  run_to_step_three(run);
  // /dev/full fails every write with ENOSPC: the round's sample grid (after GAN step 8) lands on a full disk, a
  // checkpoint interval after the one at step 6, which must then be kept.
  fs::create_symlink("/dev/full", run + "/samples_round1.png");
  const Output r = layerseg(tiny_train(run) + " --resume");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("samples_round1.png: write failed: No space left on device"), std::string::npos) << r.err;
  EXPECT_EQ(checkpoint_step(run), 6);
  EXPECT_FALSE(has_temp_checkpoint(run));
}

TEST(FaultInjection, AReadOnlyOutputFolderIsRefusedUpFront) {
  TempDir dir("readonly");
  const std::string out = dir / "out";
  fs::create_directories(out);
  fs::permissions(out, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(dir.path, fs::perms::others_all, fs::perm_options::add);
  // Root writes anywhere, so as root the binary runs as nobody, for whom the folder is read-only.
  const std::string as_user = geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
  if (!as_user.empty() && std::system("command -v setpriv > /dev/null") != 0) GTEST_SKIP() << "needs setpriv as root";
  const std::string base = dir / "err";
  const int st = std::system((as_user + kBin + " " + tiny_train(out) + " 2> " + base).c_str());
  EXPECT_NE(st, 0);
  const std::string err = read_text(base);
  EXPECT_NE(err.find("--out " + out + ": the folder is not writable: Permission denied"), std::string::npos) << err;
}

// ---- item 4: numerical faults ---------------------------------------------------------------------------------

TEST(NumericalFault, ANaNInTheWeightsStopsTrainingNamingTheLossAndTheStepAndKeepsTheCheckpoint) {
  TempDir dir("nan");
  const std::string run = dir / "run";
  run_to_step_three(run);
  // Poison the generator in the checkpoint (rewritten with valid checksums): the next D loss is NaN.
  const std::string path = models::run_file(run, models::kCheckpointFile);
  Checkpoint ck = load_checkpoint(path);
  NamedTensors all;
  for (auto& [name, t] : ck.tensors) {
    if (name.rfind("g.", 0) == 0) {
      std::vector<float> v = t.to_vector();
      v.assign(v.size(), std::numeric_limits<float>::quiet_NaN());
      t = Tensor::from_vector(t.shape(), v);
    }
    all.emplace_back(name, t);
  }
  std::map<std::string, std::string> meta;
  for (const auto& [k, v] : ck.metadata)
    if (k.rfind("layerseg.", 0) != 0) meta[k] = v;
  save_checkpoint(path, all, meta);
  const std::string poisoned = read_text(path);
  const Output r = layerseg(tiny_train(run) + " --resume");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("training diverged: loss_d is "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nan at step 4; stopped without writing a checkpoint"), std::string::npos) << r.err;
  EXPECT_TRUE(read_text(path) == poisoned) << "a diverged run wrote a checkpoint";
}

TEST(NumericalFault, ANonFiniteGradientIsNamedWithItsParameterLossAndStep) {
  Tensor w = Tensor::from_vector({2}, {1.f, 2.f});
  w.set_requires_grad(true);
  sum(mul(w, Tensor::from_vector({2}, {0.f, std::numeric_limits<float>::infinity()}))).backward();
  try {
    models::check_finite_gradients({{"f.enc0.conv.weight", w}}, "loss_f", 12);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the gradient of loss_f is inf in f.enc0.conv.weight at step 12"),
              std::string::npos)
        << e.what();
  }
  Tensor ok = Tensor::from_vector({1}, {1.f});
  ok.set_requires_grad(true);
  sum(ok).backward();
  EXPECT_NO_THROW(models::check_finite_gradients({{"ok", ok}}, "loss_f", 1));
}

}  // namespace
}  // namespace ls
