// tests/test_cuda_util.h — what the CUDA suites (tests/test_cuda_ops.cpp, tests/test_cuda_kernels.cpp) share: the skip
// that keeps them green on machines without a GPU or builds without CUDA (a failure under LAYERSEG_REQUIRE_CUDA=1),
// the allocator poison switch, and the
// element-wise comparison |gpu − cpu| ≤ atol + rtol·|cpu| that reports the first ten mismatches with their index.
#pragma once
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/device.h"
#ifdef LAYERSEG_WITH_CUDA
#include "kernels/cuda/runtime.h"
#endif

// Skips a CUDA test where there is no usable device, with the reason; with LAYERSEG_REQUIRE_CUDA=1 (the emulated suite,
// tools/gpu_check.sh) it fails instead, so a GPU that fails to come up cannot pass as a machine without one.
#define LS_REQUIRE_CUDA()                                                                              \
  if (!::ls::cuda_available()) {                                                                       \
    if (::ls::test::cuda_required()) FAIL() << "LAYERSEG_REQUIRE_CUDA=1 but: " << ::ls::cuda_status(); \
    GTEST_SKIP() << ::ls::cuda_status();                                                               \
  }

namespace ls::test {

inline bool cuda_required() {
  const char* s = std::getenv("LAYERSEG_REQUIRE_CUDA");
  return s != nullptr && std::string(s) != "0" && *s != 0;
}

// While alive, every CUDA block handed out is first filled with NaN bytes (kernels/cuda/runtime.h), so an output
// element a kernel forgets to write shows up as NaN.
class PoisonGuard {
 public:
  PoisonGuard() { set(true); }
  ~PoisonGuard() { set(false); }
  PoisonGuard(const PoisonGuard&) = delete;
  PoisonGuard& operator=(const PoisonGuard&) = delete;

 private:
  static void set(bool on) {
#ifdef LAYERSEG_WITH_CUDA
    cuda::set_poison_fill(on);
#else
    (void)on;  // no CUDA allocator to poison
#endif
  }
};

// Empty when every element matches and is finite in both; otherwise the first ten problems, one per line.
inline std::string compare_close(const std::vector<float>& got, const std::vector<float>& want, float atol,
                                 float rtol) {
  if (got.size() != want.size()) return fmt::format("  {} elements, expected {}\n", got.size(), want.size());
  std::string out;
  int shown = 0, bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const float g = got[i], w = want[i];
    const bool finite = std::isfinite(g) && std::isfinite(w);
    if (finite && std::fabs(g - w) <= atol + rtol * std::fabs(w)) continue;
    ++bad;
    if (shown++ < 10)
      out += fmt::format("  [{}] got {:.9g} expected {:.9g}{}\n", i, g, w, finite ? "" : " (not finite)");
  }
  if (bad > 10) out += fmt::format("  ... {} mismatches in all\n", bad);
  return out;
}

}  // namespace ls::test
