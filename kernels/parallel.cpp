// kernels/parallel.cpp — the pool behind kernels/parallel.h: workers that sleep until a job is posted, take chunks
// from a shared counter, and report back when the job has none left.
#include "kernels/parallel.h"

#include <cblas.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kernels/error.h"

namespace ls {
namespace {

thread_local bool t_inside_chunk = false;  // a nested parallel_for runs serially

class Pool {
 public:
  int size() const { return int(workers_.size()) + 1; }
  int64_t jobs() const { return jobs_; }

  void resize(int threads) {
    std::lock_guard<std::mutex> busy(busy_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& w : workers_) w.join();
    workers_.clear();
    stop_ = false;
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
  }

  // Posts the job, runs chunks on the caller too, then closes the job and waits only for the workers that joined it:
  // a worker the OS has not scheduled yet (a busy machine) finds the job closed when it wakes and goes back to sleep,
  // so no call ever waits for a thread that has no chunk.
  void run(int64_t n, int64_t grain, void (*body)(void*, int64_t, int64_t), void* ctx) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (workers_.empty() || t_inside_chunk || !busy.owns_lock()) return serial(n, grain, body, ctx);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = {n, grain, chunk_count(n, grain), body, ctx};
      next_ = 0;
      error_ = nullptr;
      open_ = true;
      ++generation_;
      ++jobs_;
    }
    wake_.notify_all();
    take_chunks();
    std::unique_lock<std::mutex> lock(mutex_);
    open_ = false;
    done_.wait(lock, [this] { return active_ == 0; });
    if (error_) std::rethrow_exception(error_);
  }

 private:
  struct Job {
    int64_t n = 0, grain = 1, chunks = 0;
    void (*body)(void*, int64_t, int64_t) = nullptr;
    void* ctx = nullptr;
  };

  static void serial(int64_t n, int64_t grain, void (*body)(void*, int64_t, int64_t), void* ctx) {
    for (int64_t begin = 0; begin < n; begin += grain) body(ctx, begin, std::min(n, begin + grain));
  }

  // Runs chunks until none is left; the first exception stops the handing out.
  void take_chunks() {
    t_inside_chunk = true;
    for (int64_t k = next_++; k < job_.chunks; k = next_++) {
      try {
        job_.body(job_.ctx, k * job_.grain, std::min(job_.n, (k + 1) * job_.grain));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
        next_ = job_.chunks;
      }
    }
    t_inside_chunk = false;
  }

  void work() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        if (!open_) continue;  // woke after the job was done
        ++active_;
      }
      take_chunks();
      std::lock_guard<std::mutex> lock(mutex_);
      if (--active_ == 0 && !open_) done_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex busy_;   // held by the thread whose job the pool runs
  std::mutex mutex_;  // guards the fields below but next_
  std::condition_variable wake_, done_;
  Job job_;
  std::atomic<int64_t> next_{0};
  std::exception_ptr error_;
  int active_ = 0;     // workers inside the current job
  bool open_ = false;  // the current job still takes workers
  uint64_t generation_ = 0;
  std::atomic<int64_t> jobs_{0};
  bool stop_ = false;
};

int usable_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

// The pool starts at the default size on first use; set_thread_count changes it.
Pool& pool() {
  static Pool* p = [] {
    auto* created = new Pool;  // never destroyed: workers must outlive every static that may still run kernels
    // The pool splits the work and each chunk calls a single-threaded SGEMM: OpenBLAS's own threads would spin beside
    // the pool's, and the bits of a result would depend on how OpenBLAS split the GEMM for its thread count.
    openblas_set_num_threads(1);
    created->resize(default_thread_count());
    return created;
  }();
  return *p;
}

}  // namespace

int default_thread_count() {
  const char* env = std::getenv("LAYERSEG_THREADS");
  if (!env || !*env) return usable_cores();
  char* end = nullptr;
  const long n = std::strtol(env, &end, 10);
  LS_CHECK(*end == '\0' && n >= 1 && n <= 4096, "LAYERSEG_THREADS={}: expected a positive number of threads", env);
  return int(n);
}

int thread_count() { return pool().size(); }
int64_t pool_jobs() { return pool().jobs(); }

void set_thread_count(int n) {
  LS_CHECK(n >= 0, "--threads {}: expected a positive number of threads (0 = the default, {})", n,
           default_thread_count());
  const int threads = n == 0 ? default_thread_count() : n;
  Pool& p = pool();  // its first use pins OpenBLAS to one thread
  if (threads != p.size()) p.resize(threads);
}

namespace detail {
void parallel_for_impl(int64_t n, int64_t grain, void (*body)(void*, int64_t, int64_t), void* ctx) {
  pool().run(n, grain, body, ctx);
}
}  // namespace detail

}  // namespace ls
