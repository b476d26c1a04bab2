// tests/emu/test_mpi_cuda.cpp — a data-parallel job on the CUDA device, run on the emulated one (label cuda-emu): two
// ranks, each with its own emulated device, whose gradients are CUDA tensors averaged through host memory and MPI
// (the emulator has no NCCL; on GPUs NCCL takes that part, tools/gpu_check.sh). Same bar as the CPU's
// MpiTrain.TwoRanksTrainAsOneProcessWithTheSameGlobalBatch, on the GAN steps.
//   build-emu/layerseg_tests --gtest_filter='EmuMpi*'
#include <gtest/gtest.h>

#include "tests/mpi_jobs.h"

namespace ls::test::mpi {
namespace {

// 6 GAN steps on the CUDA device, alone and as 2 ranks: every tensor of the checkpoint agrees to 1e-5 (the order of
// the float sums differs; measured 4e-6 with the emulator's contracted multiply-adds).
TEST(EmuMpi, TwoRanksOnTheCudaDeviceTrainAsOneProcess) {
  SKIP_UNLESS_MPIRUN();
  TempDir dir("cuda");
  ASSERT_EQ(train(dir / "one", 0, "--device cuda --stop-after 6"), 0) << read_text(dir / "one.err");
  ASSERT_EQ(train(dir / "two", 2, "--device cuda --stop-after 6"), 0) << read_text(dir / "two.err");
  const auto one = checkpoint_values(dir / "one"), two = checkpoint_values(dir / "two");
  ASSERT_EQ(one.size(), two.size());
  for (const auto& [name, a] : one) {
    const std::vector<float>& b = two.at(name);
    ASSERT_EQ(a.size(), b.size()) << name;
    for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5f) << name << "[" << i << "]";
  }
}

}  // namespace
}  // namespace ls::test::mpi
