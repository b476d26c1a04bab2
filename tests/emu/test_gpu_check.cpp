// tests/emu/test_gpu_check.cpp — tools/gpu_check.sh cannot rot while no GPU is at hand: its steps that need no GPU
// run here against the emulated device (the CUDA test suites one process per suite, a training run on CUDA against
// the CPU compared by tools/compare_losses.py), and the comparison itself must catch a curve that is off. Built in the
// emulated build only (label cuda-emu):  build-emu/layerseg_tests --gtest_filter='GpuCheck*'
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/emu/shell.h"

namespace ls::test {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const char* name) {
  const fs::path d = fs::temp_directory_path() / (std::string(name) + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

TEST(GpuCheck, CpuPartRunsOnTheEmulatedDevice) {
  const fs::path out = fresh_dir("layerseg_gpu_check");
  const std::string build = fs::path(LAYERSEG_BINARY).parent_path().string();
  const Shell r = shell("cd " LAYERSEG_SOURCE_DIR " && GPU_CHECK_EMULATED=1 GPU_CHECK_BUILD=" + build +
                        " GPU_CHECK_TRAIN_STEPS=6 bash tools/gpu_check.sh " + out.string());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("gpu_check: build ok tests ok sanitizer skipped bench skipped training ok"), std::string::npos)
      << r.out;
  for (const char* f : {"summary.txt", "steps.log", "tests_CudaKernels.log", "tests_Cuda_CudaOps.log",
                        "compare_losses.txt", "train_cuda/log.jsonl", "train_cpu/log.jsonl"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  fs::remove_all(out);
}

// A curve off by 5 % in one loss at one early step is a mismatch, named; an identical pair agrees; a broken log is a
// clear error.
TEST(GpuCheck, LossComparisonCatchesADeviatingCurve) {
  const fs::path dir = fresh_dir("layerseg_compare_losses");
  fs::create_directories(dir);
  const auto write = [&](const char* name, double scale) {
    std::ofstream f(dir / name);
    for (int step = 1; step <= 40; ++step)
      f << "{\"step\":" << step
        << ",\"round\":1,\"phase\":\"gan\",\"loss_d\":" << (step == 3 ? scale : 1.0) * (2.0 + 0.01 * step)
        << ",\"loss_g\":" << 1.0 / step << ",\"it_s\":" << step << "}\n";
  };
  write("a.jsonl", 1.0);
  write("b.jsonl", 1.05);
  const std::string tool = "python3 " LAYERSEG_SOURCE_DIR "/tools/compare_losses.py ";
  const Shell same = shell(tool + (dir / "a.jsonl").string() + " " + (dir / "a.jsonl").string());
  EXPECT_EQ(same.status, 0) << same.out;
  EXPECT_NE(same.out.find("curves agree: 40 steps"), std::string::npos) << same.out;
  const Shell off = shell(tool + (dir / "b.jsonl").string() + " " + (dir / "a.jsonl").string());
  EXPECT_NE(off.status, 0) << off.out;
  EXPECT_NE(off.out.find("step 3 loss_d"), std::string::npos) << off.out;
  std::ofstream(dir / "broken.jsonl") << "{\"step\": 1, \"phase\"\n";
  const Shell broken = shell(tool + (dir / "broken.jsonl").string() + " " + (dir / "a.jsonl").string());
  EXPECT_NE(broken.status, 0);
  EXPECT_NE(broken.out.find("broken.jsonl:1: not JSON"), std::string::npos) << broken.out;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ls::test
