// kernels/emu/engine.cpp — how the emulated device runs a kernel (kernels/emu/include/cuda_runtime.h).
// A launch checks its configuration as the CUDA runtime does, swaps host pointers among the kernel's argument bytes
// for traps (a kernel that dereferences one dies naming it), opens the device memory its arguments point into
// (kernels/emu/memory.cpp) and runs the blocks one after another in a shuffled order.
// Inside a block every GPU thread is a fiber (Boost.Context) with its own stack and threadIdx; the scheduler runs the
// runnable threads in a random order, each until it finishes or waits:
//  - __syncthreads(): a thread waits until every thread of the block that has not exited waits at the same barrier
//    (the same source line; two different lines is barrier divergence, an error as in compute-sanitizer's synccheck);
//  - __shfl_down_sync(mask, ...): the lanes of `mask` deposit their values and wait for each other; a lane of the mask
//    that has exited, or lanes with different masks, are errors.
// Between two barriers the threads therefore run one after another in an order drawn from a seeded generator
// (LAYERSEG_EMU_SEED, default 1; each launch draws its own order), so a kernel whose result depends on the order of
// its threads, or that reads shared memory another thread has not yet been made to write by a barrier, gives a wrong
// answer. The kernel may touch the allocations its argument words point into; after the launch their guard patterns
// are checked, and damage names the kernel.
// Each launch is counted (kernels/emu/accounting.cpp).
#include <sys/mman.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "kernels/emu/emulator.h"

namespace ls::emu {

uint3 g_thread_idx, g_block_idx;
dim3 g_block_dim, g_grid_dim;

namespace {

namespace ctx = boost::context;

// ---- fibers --------------------------------------------------------------------------------------------------------
// Stacks are reused across blocks and launches: a fresh mapping per GPU thread would cost more than most kernels.
constexpr size_t kStackBytes = 64 * 1024;
struct StackPool {
  std::vector<void*> free;
};
StackPool& stacks() {
  static StackPool* p = new StackPool;
  return *p;
}
struct PooledStack {
  ctx::stack_context allocate() {
    StackPool& p = stacks();
    void* base;
    if (!p.free.empty()) {
      base = p.free.back();
      p.free.pop_back();
    } else {
      // One guard page below each stack: a GPU thread that overflows its stack faults instead of corrupting another.
      base = mmap(nullptr, kStackBytes + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (base == MAP_FAILED) fatal("out of host memory for GPU thread stacks");
      mprotect(base, 4096, PROT_NONE);
    }
    ctx::stack_context sc;
    sc.size = kStackBytes;
    sc.sp = static_cast<char*>(base) + 4096 + kStackBytes;
    return sc;
  }
  void deallocate(ctx::stack_context& sc) { stacks().free.push_back(static_cast<char*>(sc.sp) - kStackBytes - 4096); }
};

enum class Wait { Runnable, Barrier, Shuffle, Exited };

struct GpuThread {
  uint3 idx;
  int lane = 0, warp = 0;
  Wait wait = Wait::Runnable;
  ctx::fiber fiber;
  bool started = false;
  const char* barrier_file = nullptr;
  int barrier_line = 0;
};

struct Warp {
  unsigned mask = 0;
  int arrived = 0;
  unsigned generation = 0;
  unsigned char slot[2][32][8];
};

// One block in flight: its threads, the runnable queue and the barrier state.
struct BlockRun {
  const std::string* kernel_name;
  void (*run_thread)(const void*);
  const void* body;
  std::vector<GpuThread> threads;
  std::vector<Warp> warps;
  std::vector<int> runnable;
  int running = -1;  // index of the thread on the CPU now
  ctx::fiber scheduler;
  std::mt19937_64* rng;

  void make_runnable(std::vector<int> ids) {
    std::shuffle(ids.begin(), ids.end(), *rng);
    runnable.insert(runnable.end(), ids.begin(), ids.end());
  }
  void yield() { scheduler = std::move(scheduler).resume(); }
  [[noreturn]] void error(const std::string& what) const {
    fatal("kernel " + *kernel_name + ", block (" + std::to_string(g_block_idx.x) + "," + std::to_string(g_block_idx.y) +
          "," + std::to_string(g_block_idx.z) + "): " + what);
  }
  void run();
};

BlockRun* g_block = nullptr;  // the block in flight (one at a time)

void BlockRun::run() {
  std::vector<int> all(threads.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = int(i);
  make_runnable(all);
  size_t next = 0;
  for (;;) {
    while (next < runnable.size()) {
      const int id = runnable[next++];
      GpuThread& t = threads[size_t(id)];
      running = id;
      g_thread_idx = t.idx;
      if (!t.started) {
        t.started = true;
        t.fiber = ctx::fiber(std::allocator_arg, PooledStack{}, [this, id](ctx::fiber&& sched) {
          scheduler = std::move(sched);
          run_thread(body);
          threads[size_t(id)].wait = Wait::Exited;
          return std::move(scheduler);
        });
      }
      t.fiber = std::move(t.fiber).resume();
    }
    runnable.clear();
    next = 0;
    // Nothing can run: either all have exited, or every live thread waits at one barrier, or it is a deadlock.
    std::vector<int> at_barrier;
    int exited = 0, shuffling = 0;
    const GpuThread* first = nullptr;
    for (size_t i = 0; i < threads.size(); ++i) {
      const GpuThread& t = threads[i];
      if (t.wait == Wait::Exited) ++exited;
      if (t.wait == Wait::Shuffle) ++shuffling;
      if (t.wait != Wait::Barrier) continue;
      if (first && (t.barrier_line != first->barrier_line || std::strcmp(t.barrier_file, first->barrier_file) != 0))
        error("barrier divergence: threads wait at __syncthreads() of " + std::string(first->barrier_file) + ":" +
              std::to_string(first->barrier_line) + " and of " + t.barrier_file + ":" + std::to_string(t.barrier_line));
      first = first ? first : &t;
      at_barrier.push_back(int(i));
    }
    if (exited == int(threads.size())) return;
    if (shuffling > 0)
      error(std::to_string(shuffling) + " threads wait in a warp shuffle that not every lane of its mask reaches" +
            (at_barrier.empty() ? std::string() : " (the other lanes wait at __syncthreads())"));
    for (int id : at_barrier) threads[size_t(id)].wait = Wait::Runnable;
    make_runnable(at_barrier);
  }
}

uint64_t g_launch_counter = 0;

uint64_t base_seed() {
  static const uint64_t s = [] {
    const char* e = std::getenv("LAYERSEG_EMU_SEED");
    return e ? std::strtoull(e, nullptr, 10) : uint64_t(1);
  }();
  return s;
}

}  // namespace

void block_barrier(const char* file, int line) {
  BlockRun* b = g_block;
  if (b == nullptr) fatal("__syncthreads() called outside a kernel");
  GpuThread& t = b->threads[size_t(b->running)];
  t.wait = Wait::Barrier;
  t.barrier_file = file;
  t.barrier_line = line;
  b->yield();
  g_thread_idx = t.idx;
}

void warp_shuffle_down(unsigned mask, const void* in, void* out, size_t bytes, unsigned delta, int width) {
  BlockRun* b = g_block;
  if (b == nullptr) fatal("__shfl_down_sync called outside a kernel");
  const int id = b->running;
  GpuThread& t = b->threads[size_t(id)];
  Warp& w = b->warps[size_t(t.warp)];
  if (!(mask >> t.lane & 1u)) b->error("lane " + std::to_string(t.lane) + " calls __shfl_down_sync outside its mask");
  if (width <= 0 || width > 32 || (width & (width - 1)))
    b->error("__shfl_down_sync width " + std::to_string(width) + " is not a power of two <= 32");
  if (w.arrived == 0) w.mask = mask;
  if (w.mask != mask) b->error("lanes of one warp call __shfl_down_sync with different masks");
  const unsigned gen = w.generation;
  std::memcpy(w.slot[gen & 1][t.lane], in, bytes);
  // Lanes of the mask that do not exist (a partial last warp) or have exited can never arrive.
  const int first_lane = t.warp * 32;
  int expected = 0;
  for (int l = 0; l < 32; ++l) {
    if (!(mask >> l & 1u)) continue;
    const size_t other = size_t(first_lane + l);
    if (other >= b->threads.size() || b->threads[other].wait == Wait::Exited)
      b->error("__shfl_down_sync with mask 0x" +
               [&] {
                 char m[16];
                 std::snprintf(m, sizeof m, "%08x", mask);
                 return std::string(m);
               }() +
               " but lane " + std::to_string(l) + " of warp " + std::to_string(t.warp) + " has exited");
    ++expected;
  }
  if (++w.arrived < expected) {
    t.wait = Wait::Shuffle;
    b->yield();
    g_thread_idx = t.idx;
  } else {
    // The last lane releases the others (in a random order) and the warp moves to its next generation, whose slots
    // are the other half: a fast lane's next deposit cannot overwrite values a slow lane has yet to read.
    std::vector<int> released;
    for (int l = 0; l < 32; ++l) {
      const size_t other = size_t(first_lane + l);
      if (other < b->threads.size() && b->threads[other].wait == Wait::Shuffle) {
        b->threads[other].wait = Wait::Runnable;
        released.push_back(int(other));
      }
    }
    w.arrived = 0;
    ++w.generation;
    b->make_runnable(released);
  }
  const int segment = t.lane / width * width, src = t.lane + int(delta);
  std::memcpy(out, w.slot[gen & 1][src < segment + width ? src : t.lane], bytes);
}

void check_device_address(const void* p, size_t bytes, const char* what) {
  if (!find_allocation(p, bytes, nullptr, nullptr))
    fatal(std::string(what) + " in kernel " + (g_block ? *g_block->kernel_name : std::string("?")) + " at " +
          describe_address(p));
}

cudaError_t launch(int kernel_id, const void* kernel, dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream,
                   const ArgBytes* args, int n_args, void (*run_thread)(const void*), const void* body) {
  const std::string& name = count_launch(kernel_id, kernel);
  // The configuration limits of the CUDA runtime (compute capability 9.0).
  const uint64_t threads = uint64_t(block.x) * block.y * block.z;
  if (threads == 0 || threads > 1024 || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 ||
      grid.x > 0x7fffffffu || grid.y > 65535 || grid.z > 65535)
    return record_error(cudaErrorInvalidConfiguration,
                        "invalid configuration argument: kernel " + name + " launched with grid (" +
                            std::to_string(grid.x) + "," + std::to_string(grid.y) + "," + std::to_string(grid.z) +
                            ") and block (" + std::to_string(block.x) + "," + std::to_string(block.y) + "," +
                            std::to_string(block.z) + ")");
  if (shared_bytes > 0)
    return record_error(cudaErrorInvalidValue, "kernel " + name +
                                                   ": dynamic shared memory is not emulated (the kernels of "
                                                   "kernels/cuda use static __shared__ arrays)");
  if (!valid_stream(stream))
    return record_error(cudaErrorInvalidResourceHandle, "kernel " + name + " launched on an unknown stream");
  // The allocations the argument words point into are what the kernel may touch; words holding host addresses are
  // swapped for trap addresses (kernels/emu/emulator.h: set_host_trap), so dereferencing one names it.
  std::vector<const void*> reach;
  int traps = 0;
  for (int a = 0; a < n_args; ++a)
    for (size_t off = 0; off + 8 <= args[a].size; off += 8) {
      char* word = static_cast<char*>(args[a].data) + off;
      uint64_t v;
      std::memcpy(&v, word, 8);
      if (is_device_address(v)) {
        reach.push_back(reinterpret_cast<const void*>(v));
      } else if (is_host_address(v)) {
        if (traps == kTraps)
          return record_error(cudaErrorInvalidValue, "kernel " + name + ": more than " + std::to_string(kTraps) +
                                                         " host addresses among its arguments");
        const uint64_t trap = set_host_trap(traps++, v, a, off);
        std::memcpy(word, &trap, 8);
      }
    }
  std::mt19937_64 rng(base_seed() * 0x9E3779B97F4A7C15ull + ++g_launch_counter);
  {
    DeviceAccess access("kernel " + name, reach);
    g_grid_dim = grid;
    g_block_dim = block;
    std::vector<uint64_t> order(uint64_t(grid.x) * grid.y * grid.z);
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (const uint64_t linear : order) {
      g_block_idx = {unsigned(linear % grid.x), unsigned(linear / grid.x % grid.y), unsigned(linear / grid.x / grid.y)};
      BlockRun b;
      b.kernel_name = &name;
      b.run_thread = run_thread;
      b.body = body;
      b.rng = &rng;
      b.threads.resize(size_t(threads));
      b.warps.resize(size_t((threads + 31) / 32));
      for (size_t i = 0; i < b.threads.size(); ++i) {
        GpuThread& t = b.threads[i];
        t.idx = {unsigned(i % block.x), unsigned(i / block.x % block.y), unsigned(i / block.x / block.y)};
        t.lane = int(i % 32);
        t.warp = int(i / 32);
      }
      g_block = &b;
      b.run();
      g_block = nullptr;
    }
    access.require_intact_guards();
  }
  return cudaSuccess;
}

}  // namespace ls::emu
