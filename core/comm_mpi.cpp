// core/comm_mpi.cpp — core/comm.h on MPI (OpenMPI from Debian; any MPI-3 library). Built when CMake finds MPI.
// Collectives are non-blocking calls waited on with a deadline, so a rank that died or hangs ends the job with a
// message instead of leaving the others waiting for ever.
#include <fmt/core.h>
#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/comm.h"
#include "kernels/error.h"

namespace ls::comm {
namespace {

World g_world;
bool g_started = false, g_mpi = false;
double g_timeout_s = 600, g_collective_s = 0;

// Set by mpirun (OpenMPI), by MPICH's and Slurm's PMI, and by PMIx launchers (srun --mpi=pmix): the process is one of
// a launched job. A process started any other way never touches MPI.
bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

// Polls until the request completes; past the deadline the job is ended (the others may be waiting on a dead rank).
void wait(MPI_Request& request, const char* what) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  for (int spins = 0;; ++spins) {
    int done = 0;
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) {
      g_collective_s += std::chrono::duration<double>(Clock::now() - start).count();
      return;
    }
    // Spin briefly (a step's collectives usually complete within microseconds), then yield the core: a waiting rank
    // should not take CPU time from the threads of the ranks it waits for.
    if (spins > 2000) std::this_thread::sleep_for(std::chrono::microseconds(50));
    if (spins % 1000 == 0 && std::chrono::duration<double>(Clock::now() - start).count() > g_timeout_s)
      abort(
          fmt::format("rank {} waited more than {:.0f} s in {} for the other ranks: one of them died or hangs "
                      "(LAYERSEG_COLLECTIVE_TIMEOUT sets the limit)",
                      g_world.rank, g_timeout_s, what));
  }
}

int count_of(size_t n) {
  LS_CHECK(n <= size_t(1) << 30, "comm: {} elements in one collective (at most 2^30; split it)", n);
  return int(n);
}

}  // namespace

const World& init(int* argc, char*** argv) {
  if (g_started) return g_world;
  g_started = true;
  if (const char* t = std::getenv("LAYERSEG_COLLECTIVE_TIMEOUT")) {
    char* end = nullptr;
    const double s = std::strtod(t, &end);
    LS_CHECK(*end == '\0' && s > 0, "LAYERSEG_COLLECTIVE_TIMEOUT={}: expected a positive number of seconds", t);
    g_timeout_s = s;
  }
  if (!launched_by_mpi()) return g_world;
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);  // only the main thread calls MPI
  g_mpi = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &g_world.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_world.size);
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_world.rank, MPI_INFO_NULL, &local);
  MPI_Comm_rank(local, &g_world.local_rank);
  MPI_Comm_size(local, &g_world.local_size);
  MPI_Comm_free(&local);
  return g_world;
}

const World& world() { return g_world; }

void finalize() {
  if (g_mpi) MPI_Finalize();
  g_mpi = false;
}

void abort(const std::string& message) {
  fmt::print(stderr, "layerseg: error: {}{}\n", g_world.size > 1 ? fmt::format("rank {}: ", g_world.rank) : "",
             message);
  std::fflush(stderr);
  if (g_mpi) MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}

double timeout_s() { return g_timeout_s; }
double collective_seconds() { return g_collective_s; }
void set_timeout_s(double seconds) {
  LS_CHECK(seconds > 0, "comm: the collective timeout must be positive, got {}", seconds);
  g_timeout_s = seconds;
}

void allreduce_sum(float* data, size_t n) {
  if (g_world.size == 1 || n == 0) return;
  MPI_Request r;
  MPI_Iallreduce(MPI_IN_PLACE, data, count_of(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &r);
  wait(r, "an all-reduce");
}

void allreduce_max(double* data, size_t n) {
  if (g_world.size == 1 || n == 0) return;
  MPI_Request r;
  MPI_Iallreduce(MPI_IN_PLACE, data, count_of(n), MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD, &r);
  wait(r, "an all-reduce");
}

void allgather(const float* mine, size_t n, float* all) {
  if (g_world.size == 1) {
    std::copy(mine, mine + n, all);
    return;
  }
  MPI_Request r;
  MPI_Iallgather(mine, count_of(n), MPI_FLOAT, all, count_of(n), MPI_FLOAT, MPI_COMM_WORLD, &r);
  wait(r, "an all-gather");
}

void broadcast(void* data, size_t bytes, int root) {
  if (g_world.size == 1) return;
  MPI_Request r;
  MPI_Ibcast(data, count_of(bytes), MPI_BYTE, root, MPI_COMM_WORLD, &r);
  wait(r, "a broadcast");
}

void barrier() {
  if (g_world.size == 1) return;
  MPI_Request r;
  MPI_Ibarrier(MPI_COMM_WORLD, &r);
  wait(r, "a barrier");
}

}  // namespace ls::comm
