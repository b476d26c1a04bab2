// data/parallel.h — parallel_for over independent items on all cores, for decoding and generating datasets.
// Each index runs exactly once; results must go to per-index slots so the outcome never depends on timing.
// The first exception thrown by any item is rethrown on the calling thread once all threads have stopped.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ls::data {

template <class Fn>
void parallel_for(int64_t n, Fn fn) {
  std::atomic<int64_t> next{0};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  const int64_t n_threads = std::clamp<int64_t>(std::thread::hardware_concurrency(), 1, std::clamp<int64_t>(n, 1, 16));
  std::vector<std::thread> pool;
  for (int64_t t = 0; t < n_threads; ++t)
    pool.emplace_back([&] {
      for (int64_t i = next++; i < n; i = next++) {
        try {
          fn(i);
        } catch (...) {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (!first_error) first_error = std::current_exception();
          next = n;  // stop handing out work
        }
      }
    });
  for (auto& th : pool) th.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace ls::data
