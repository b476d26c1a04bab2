// core/comm.h — the processes of a data-parallel job and the collectives between them, on MPI (docs/DISTRIBUTED.md).
// A process started by `mpirun -np N` or `srun` (the launcher's environment says so) joins MPI in comm::init; any
// other process is a world of one that never calls MPI, so single-process runs need no MPI at run time. Builds
// without MPI (LAYERSEG_MPI=OFF, or no libopenmpi-dev) compile core/comm_single.cpp instead of core/comm_mpi.cpp and
// refuse a launch of more than one process.
//   ls::comm::init(&argc, &argv);                 // once, first thing in main
//   if (ls::comm::world().rank == 0) write_log();
//   ls::comm::allreduce_sum(buffer.data(), buffer.size());
// Every collective is called by every rank in the same order. A collective that waits longer than timeout_s() for
// the others ends the whole job (a rank that died or hangs), and so does comm::abort, with the message on stderr.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ls::comm {

struct World {
  int rank = 0, size = 1;              // this process among all of the job's
  int local_rank = 0, local_size = 1;  // ... among those on this machine (one GPU per local rank)
};

// Reads the launcher's environment and starts MPI when the job has more than one process. Idempotent.
const World& init(int* argc, char*** argv);
const World& world();
inline bool is_root() { return world().rank == 0; }
// Leaves MPI (a no-op in a world of one); main calls it before returning.
void finalize();
// Ends every process of the job with exit status 1 after printing `message` on stderr (MPI_Abort); alone, exits.
[[noreturn]] void abort(const std::string& message);

// Wall time this process has spent inside collectives so far, waiting for slower ranks included (the benchmark's
// communication share, `layerseg bench --step` under mpirun).
double collective_seconds();

// Seconds a collective may wait for the other ranks before abort (default 600; LAYERSEG_COLLECTIVE_TIMEOUT).
double timeout_s();
void set_timeout_s(double seconds);

// In place, on host memory: every rank ends with the element-wise sum (or maximum) over all ranks, bit-identical on
// every rank (the reduction order is MPI's, the same for all ranks of one call).
void allreduce_sum(float* data, size_t n);
void allreduce_max(double* data, size_t n);
// Each rank's `n` values, in rank order, into `all` (n × size values) on every rank.
void allgather(const float* mine, size_t n, float* all);
// Rank `root`'s bytes into every rank's buffer.
void broadcast(void* data, size_t bytes, int root = 0);
void barrier();

}  // namespace ls::comm
