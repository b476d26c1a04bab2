// kernels/parallel.h — the one thread pool of the CPU kernels, and parallel_for over it.
//   ls::set_thread_count(4);                       // `--threads 4`; 0 = LAYERSEG_THREADS, else the usable cores
//   ls::parallel_for(n, 4096, [&](int64_t begin, int64_t end) { for (auto i = begin; i < end; ++i) y[i] = f(x[i]); });
// Determinism: [0, n) is cut into chunks of `grain` items, chunk k = [k·grain, min(n, (k+1)·grain)), whatever the
// thread count; threads only decide who runs a chunk. A kernel whose chunks write disjoint outputs, or whose per-chunk
// partial results are combined in chunk order afterwards, gives the same bits with 1, 2 or 64 threads.
// Politeness: idle workers sleep on a condition variable (no spinning), so on a machine shared with other work a
// waiting worker costs nothing; the calling thread runs chunks too. OpenBLAS runs single-threaded inside chunks
// (set_thread_count pins it), so pool threads and BLAS threads never compete for the cores.
// A parallel_for inside a chunk, or from a second thread while the pool is busy, runs serially on its caller.
// The first exception a chunk throws is rethrown on the caller once every chunk has stopped.
// Tested by tests/test_parallel.cpp; kernels that use it are compared at 1 and several threads there too.
#pragma once
#include <algorithm>
#include <cstdint>

namespace ls {

// The threads parallel_for uses, the caller included (≥ 1).
int thread_count();

// Sets the pool size: n ≥ 1 threads, or 0 for the default (LAYERSEG_THREADS when set, else the cores this process
// may run on). Throws ls::Error for n < 0 or a LAYERSEG_THREADS that is not a positive integer.
void set_thread_count(int n);

// The default of set_thread_count(0), for messages.
int default_thread_count();

// How many parallel_for calls the pool's workers have shared since the process started (calls that ran serially, as
// one chunk or nested, do not count): lets a test check that a kernel really splits its work.
int64_t pool_jobs();

namespace detail {
void parallel_for_impl(int64_t n, int64_t grain, void (*body)(void*, int64_t, int64_t), void* ctx);
}

// Runs body(begin, end) once for every chunk of `grain` items of [0, n) (see the header comment), on the pool.
template <class Body>
void parallel_for(int64_t n, int64_t grain, Body&& body) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  if (n <= grain) return body(int64_t(0), n);  // one chunk: no pool round-trip
  auto thunk = [](void* ctx, int64_t begin, int64_t end) { (*static_cast<Body*>(ctx))(begin, end); };
  detail::parallel_for_impl(n, grain, thunk, const_cast<void*>(static_cast<const void*>(&body)));
}

// The grain of element-wise kernels: 32768 floats (128 KB) is tens of microseconds of work, several times what waking
// the pool costs, and a tensor smaller than one grain runs on its caller alone.
constexpr int64_t kElementGrain = 32768;

// Chunk count of parallel_for(n, grain, ...), for kernels that keep one partial result per chunk.
inline int64_t chunk_count(int64_t n, int64_t grain) { return n <= 0 ? 0 : (n + grain - 1) / grain; }

// The grain that gives each chunk about `work` units when one item costs `per_item` units (at least 1 item).
inline int64_t grain_for(int64_t per_item, int64_t work) {
  return std::max<int64_t>(1, work / std::max<int64_t>(per_item, 1));
}

}  // namespace ls
