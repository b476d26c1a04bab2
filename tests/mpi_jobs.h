// tests/mpi_jobs.h — what the tests that start data-parallel jobs share (tests/test_mpi.cpp, and the emulated CUDA
// device's tests/emu/test_mpi_cuda.cpp): `layerseg train` on the tiny config under mpirun, and reading its results.
#pragma once
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/checkpoint.h"
#include "models/run.h"

namespace ls::test::mpi {

namespace fs = std::filesystem;
inline const std::string kBin = LAYERSEG_BINARY, kMpirun = LAYERSEG_MPIRUN;
inline const std::string kTiny = std::string(LAYERSEG_SOURCE_DIR) + "/configs/tiny_test.toml";

#define SKIP_UNLESS_MPIRUN()                                                                \
  if (::ls::test::mpi::kMpirun.empty()) GTEST_SKIP() << "built without MPI (LAYERSEG_MPI)"; \
  static_assert(true)

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / fmt::format("layerseg_mpi_{}_{}", name, getpid())) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

inline std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// OpenMPI refuses to start as root (CI's containers) unless told; --oversubscribe lets 2 ranks share fewer cores.
inline std::string launcher(int ranks) {
  setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
  setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
  return fmt::format("{} -np {} --oversubscribe", kMpirun, ranks);
}

// `layerseg train` on the tiny config, one thread per process, alone (ranks 0) or as `ranks` processes under mpirun;
// stdout and stderr go to OUT.out and OUT.err. Returns the exit code.
inline int train(const std::string& out, int ranks, const std::string& more = "") {
  const std::string cmd = fmt::format("{} {} train --config {} --out {} --threads 1 {} > {}.out 2> {}.err",
                                      ranks > 0 ? launcher(ranks) : "", kBin, kTiny, out, more, out, out);
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

inline std::map<std::string, std::vector<float>> checkpoint_values(const std::string& run) {
  std::map<std::string, std::vector<float>> v;
  for (const auto& [name, t] : load_checkpoint(models::run_file(run, models::kCheckpointFile)).tensors)
    v[name] = t.to_vector();
  return v;
}

// Every value of `key` in the run's log, in order.
inline std::vector<double> logged(const std::string& run, const std::string& key) {
  std::vector<double> values;
  std::ifstream in(models::run_file(run, models::kLogFile));
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);
    if (j.contains(key)) values.push_back(j[key].get<double>());
  }
  return values;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace ls::test::mpi
