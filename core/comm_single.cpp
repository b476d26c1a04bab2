// core/comm_single.cpp — core/comm.h in a build without MPI: a world of one process, in which every collective is
// the identity. A launch by mpirun or srun is refused with what to install.
#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>

#include "core/comm.h"
#include "kernels/error.h"

namespace ls::comm {
namespace {
World g_world;
double g_timeout_s = 600;
}  // namespace

const World& init(int*, char***) {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* n = std::getenv(v); n && std::atoi(n) > 1)
      LS_FAIL(
          "started as one of {} processes ({}), but this layerseg was built without MPI: install "
          "libopenmpi-dev and rebuild (LAYERSEG_MPI, docs/DISTRIBUTED.md)",
          n, v);
  return g_world;
}
const World& world() { return g_world; }
void finalize() {}
void abort(const std::string& message) {
  fmt::print(stderr, "layerseg: error: {}\n", message);
  std::_Exit(1);
}
double timeout_s() { return g_timeout_s; }
double collective_seconds() { return 0; }
void set_timeout_s(double seconds) {
  LS_CHECK(seconds > 0, "comm: the collective timeout must be positive, got {}", seconds);
  g_timeout_s = seconds;
}
void allreduce_sum(float*, size_t) {}
void allreduce_max(double*, size_t) {}
void allgather(const float* mine, size_t n, float* all) { std::copy(mine, mine + n, all); }
void broadcast(void*, size_t, int) {}
void barrier() {}

}  // namespace ls::comm
