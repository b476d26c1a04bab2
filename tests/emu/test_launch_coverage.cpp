// tests/emu/test_launch_coverage.cpp — no kernel of kernels/cuda stays untested: after the whole emulated suite has
// run (CTest runs this after every other test of the build), every kernel compiled into the program
// from kernels/cuda was launched at least once, and every library or runtime entry point that kernels/cuda calls to do
// device work (cuBLAS, cuDNN, copies, fills) was called. Each test process of the suite logged its counts
// (kernels/emu/engine.cpp, LAYERSEG_EMU_LAUNCH_LOG); this test reads them all from LAYERSEG_EMU_LAUNCH_LOG_READ.
//   ctest --test-dir build-emu -L cuda-emu      (alone it fails: it needs the logs of the other tests)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace ls::test {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(EmuLaunchCoverage, EveryKernelAndLibraryCallRan) {
  const char* dir = std::getenv("LAYERSEG_EMU_LAUNCH_LOG_READ");
  ASSERT_TRUE(dir != nullptr) << "run through `ctest --test-dir build-emu -L cuda-emu`: this test reads the launch "
                                 "logs the rest of the emulated suite writes";
  std::map<std::string, uint64_t> kernels, calls;
  int logs = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    ++logs;
    std::istringstream lines(read_file(e.path()));
    std::string kind, count, name;
    while (std::getline(lines, kind, '\t') && std::getline(lines, count, '\t') && std::getline(lines, name)) {
      auto& table = kind == "kernel" ? kernels : calls;
      table[name] += std::stoull(count);
    }
  }
  ASSERT_GE(logs, 25) << "fewer test processes logged launches than the emulated suite has CUDA tests";

  int from_backend = 0;
  for (const auto& [type, n] : kernels) {
    if (type.find("ls::cuda::") == std::string::npos) continue;  // toy kernels of the harness tests
    ++from_backend;
    EXPECT_GT(n, 0u) << "never launched by the emulated suite: " << type;
  }
  EXPECT_GE(from_backend, 40) << "the kernels of kernels/cuda did not register (is layerseg_cuda linked whole?)";

  // The entry points the emulator counts; those that kernels/cuda calls must have been called.
  const std::string sources = [] {
    std::string all;
    for (const auto& e : std::filesystem::directory_iterator(std::string(LAYERSEG_SOURCE_DIR) + "/kernels/cuda"))
      all += read_file(e.path());
    return all;
  }();
  for (const char* entry :
       {"cublasSgemm", "cudnnConvolutionForward", "cudnnConvolutionBackwardData", "cudnnConvolutionBackwardFilter",
        "cudaMemcpyAsync", "cudaMemcpy2DAsync", "cudaMemsetAsync"}) {
    if (sources.find(std::string(entry) + "(") == std::string::npos) continue;
    EXPECT_GT(calls[entry], 0u) << "kernels/cuda calls " << entry << " but the emulated suite never reached it";
  }
}

}  // namespace
}  // namespace ls::test
