// kernels/cuda/conv_cudnn.cu — every cuDNN call of the backend (kernels/cuda/conv.h), behind three functions so a
// cuDNN graph-API version can replace the legacy convolution API (deprecated in cuDNN 9, still shipped) later.
// How an algorithm is chosen, once per (shape, math mode, determinism) and pass:
//  1. cuDNN's heuristics rank the algorithms (cudnnGet*Algorithm_v7: no benchmarking, no allocation);
//  2. candidates are those it reports as supported, deterministic when set_deterministic(true), within the
//     workspace cap; the pass's fallback algorithm (implicit GEMM / ALGO_1: deterministic, workspace-free or nearly)
//     is appended, so "no algorithm" never reaches a user;
//  3. the first candidate that runs is kept; one that reports NOT_SUPPORTED at run time is skipped.
// Math: FP32 mode forces CUDNN_FMA_MATH (no TF32: tests compare with the CPU at 1e-4); TF32 mode applies the math
// type the heuristic returned with the algorithm.
// Compared with the CPU by build/layerseg_tests --gtest_filter='CudaOps*:CudaKernels.Conv*'.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/conv.h"
#include "kernels/error.h"

namespace ls::cuda {
namespace {

struct ConvKey {
  int N, C, H, W, K, R, S, stride, pad_h, pad_w, groups;
  bool tf32, deterministic;
  auto tie() const { return std::tie(N, C, H, W, K, R, S, stride, pad_h, pad_w, groups, tf32, deterministic); }
  bool operator<(const ConvKey& o) const { return tie() < o.tie(); }
};

enum Pass { kForward, kBackwardData, kBackwardFilter, kPasses };
const char* const kPassNames[kPasses] = {"fwd", "bwd-data", "bwd-filter"};

struct Choice {
  int algo = -1;  // -1: not chosen yet
  cudnnMathType_t math = CUDNN_FMA_MATH;
  size_t workspace = 0;
};

// Descriptors live as long as the process: the cache holds a few dozen shapes per model.
struct ConvPlan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  Choice choice[kPasses];
};

std::unique_ptr<ConvPlan> make_plan(const ConvKey& k) {
  auto p = std::make_unique<ConvPlan>();
  const int P = (k.H + 2 * k.pad_h - k.R) / k.stride + 1, Q = (k.W + 2 * k.pad_w - k.S) / k.stride + 1;
  LS_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p->x));
  LS_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p->y));
  LS_CUDNN_CHECK(cudnnCreateFilterDescriptor(&p->w));
  LS_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&p->conv));
  LS_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p->x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, k.N, k.C, k.H, k.W));
  LS_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p->y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, k.N, k.K, P, Q));
  LS_CUDNN_CHECK(cudnnSetFilter4dDescriptor(p->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, k.K, k.C / k.groups, k.R, k.S));
  LS_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(p->conv, k.pad_h, k.pad_w, k.stride, k.stride, 1, 1,
                                                 CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  LS_CUDNN_CHECK(cudnnSetConvolutionGroupCount(p->conv, k.groups));
  // FP32 mode restricts the heuristics (and execution) to FMA kernels; TF32 mode lets them rank tensor-core ones.
  LS_CUDNN_CHECK(cudnnSetConvolutionMathType(p->conv, k.tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
  int n, c, h, w;  // cuDNN must agree with the PyTorch geometry of kernels/cpu/conv.h
  LS_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(p->conv, p->x, p->w, &n, &c, &h, &w));
  LS_CHECK(n == k.N && c == k.K && h == P && w == Q, "cuDNN output {}x{}x{}x{} differs from the expected {}x{}x{}x{}",
           n, c, h, w, k.N, k.K, P, Q);
  return p;
}

// The per-pass cuDNN entry points, so one chooser serves all three passes.
struct ForwardPass {
  using Perf = cudnnConvolutionFwdAlgoPerf_t;
  using Algo = cudnnConvolutionFwdAlgo_t;
  static constexpr int kCount = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
  static constexpr Algo kFallback = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  static cudnnStatus_t rank(const ConvPlan& p, int* returned, Perf* perf) {
    return cudnnGetConvolutionForwardAlgorithm_v7(cudnn(), p.x, p.w, p.conv, p.y, kCount, returned, perf);
  }
  static cudnnStatus_t workspace(const ConvPlan& p, Algo a, size_t* bytes) {
    return cudnnGetConvolutionForwardWorkspaceSize(cudnn(), p.x, p.w, p.conv, p.y, a, bytes);
  }
};
struct BackwardDataPass {
  using Perf = cudnnConvolutionBwdDataAlgoPerf_t;
  using Algo = cudnnConvolutionBwdDataAlgo_t;
  static constexpr int kCount = CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
  static constexpr Algo kFallback = CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
  static cudnnStatus_t rank(const ConvPlan& p, int* returned, Perf* perf) {
    return cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnn(), p.w, p.y, p.conv, p.x, kCount, returned, perf);
  }
  static cudnnStatus_t workspace(const ConvPlan& p, Algo a, size_t* bytes) {
    return cudnnGetConvolutionBackwardDataWorkspaceSize(cudnn(), p.w, p.y, p.conv, p.x, a, bytes);
  }
};
struct BackwardFilterPass {
  using Perf = cudnnConvolutionBwdFilterAlgoPerf_t;
  using Algo = cudnnConvolutionBwdFilterAlgo_t;
  static constexpr int kCount = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
  static constexpr Algo kFallback = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1;
  static cudnnStatus_t rank(const ConvPlan& p, int* returned, Perf* perf) {
    return cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnn(), p.x, p.y, p.conv, p.w, kCount, returned, perf);
  }
  static cudnnStatus_t workspace(const ConvPlan& p, Algo a, size_t* bytes) {
    return cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnn(), p.x, p.y, p.conv, p.w, a, bytes);
  }
};

struct ConvState {
  std::mutex mu;
  std::map<ConvKey, std::unique_ptr<ConvPlan>> plans;
  void* workspace = nullptr;  // grow-only, from the caching allocator
  size_t workspace_bytes = 0, workspace_limit = size_t(1) << 30;

  void* workspace_of(size_t bytes) {
    if (bytes > workspace_bytes) {
      device_free(workspace);  // stream-ordered: earlier convolutions still using it run first
      workspace = device_alloc(bytes);
      workspace_bytes = bytes;
    }
    return workspace;
  }
};
ConvState& state() {
  static ConvState* s = new ConvState;  // never destroyed: like the allocator, it may be used during exit
  return *s;
}

// A status after which the next candidate algorithm may still run: this one cannot do the shape (NOT_SUPPORTED) or
// refuses an argument of its own (BAD_PARAM, such as its workspace). cuDNN 9 reports either with a sub-code
// (3001–3014, 2002–2012), so the comparison is by category.
bool try_next_algorithm(cudnnStatus_t s) {
#ifdef CUDNN_STATUS_CATEGORY
  const int category = CUDNN_STATUS_CATEGORY(int(s));
#else  // cuDNN 8: plain codes
  const int category = int(s);
#endif
  return category == CUDNN_STATUS_NOT_SUPPORTED || category == CUDNN_STATUS_BAD_PARAM;
}

// Runs `run(plan, algo, workspace, bytes)` (a cuDNN convolution call returning its status) with the cached choice for
// this pass, choosing it first if needed (see the file comment). Called with state().mu held.
template <class PassT, class Run>
void run_pass(const ConvKey& key, ConvPlan& plan, Pass pass, Run run) {
  using Algo = typename PassT::Algo;
  Choice& chosen = plan.choice[pass];
  if (chosen.algo >= 0) {
    LS_CUDNN_CHECK(cudnnSetConvolutionMathType(plan.conv, chosen.math));
    LS_CUDNN_CHECK(run(plan, Algo(chosen.algo), state().workspace_of(chosen.workspace), chosen.workspace));
    return;
  }
  typename PassT::Perf perf[PassT::kCount];
  int returned = 0;
  LS_CUDNN_CHECK(PassT::rank(plan, &returned, perf));
  std::vector<Choice> candidates;
  for (int i = 0; i < returned; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
    if (key.deterministic && perf[i].determinism != CUDNN_DETERMINISTIC) continue;
    if (perf[i].algo == PassT::kFallback) continue;  // appended last in any case
    candidates.push_back({int(perf[i].algo), key.tf32 ? perf[i].mathType : CUDNN_FMA_MATH, 0});
  }
  candidates.push_back({int(PassT::kFallback), CUDNN_FMA_MATH, 0});
  cudnnStatus_t last = CUDNN_STATUS_NOT_SUPPORTED;
  for (size_t i = 0; i < candidates.size(); ++i) {
    Choice c = candidates[i];
    const bool fallback = i + 1 == candidates.size();
    LS_CUDNN_CHECK(cudnnSetConvolutionMathType(plan.conv, c.math));
    if (PassT::workspace(plan, Algo(c.algo), &c.workspace) != CUDNN_STATUS_SUCCESS) continue;
    if (c.workspace > state().workspace_limit && !fallback) continue;  // the fallback runs whatever it needs
    last = run(plan, Algo(c.algo), state().workspace_of(c.workspace), c.workspace);
    if (last == CUDNN_STATUS_SUCCESS) {
      chosen = c;
      return;
    }
    if (!try_next_algorithm(last)) break;  // a real failure: report it
  }
  fail_cuda(
      __FILE__, __LINE__, kPassNames[pass],
      fmt::format("no cuDNN algorithm ran for N={} C={} H={} W={} K={} R={} S={} stride={} pad={}x{} groups={}: {}",
                  key.N, key.C, key.H, key.W, key.K, key.R, key.S, key.stride, key.pad_h, key.pad_w, key.groups,
                  cudnnGetErrorString(last)));
}

// Looks up (or builds) the plan of this shape in the current modes and runs one pass on stream s.
template <class PassT, class Run>
void convolve(Pass pass, int N, int C, int H, int W, int K, int R, int S, int stride, int pad_h, int pad_w, int groups,
              cudaStream_t s, Run run) {
  if (N == 0 || C == 0 || K == 0) return;
  const ConvKey key{N, C, H, W, K, R, S, stride, pad_h, pad_w, groups, allow_tf32(), deterministic()};
  ConvState& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  LS_CUDNN_CHECK(cudnnSetStream(cudnn(), s));
  auto it = st.plans.find(key);
  if (it == st.plans.end()) it = st.plans.emplace(key, make_plan(key)).first;
  run_pass<PassT>(key, *it->second, pass, run);
  if (sync_after_launch()) LS_CUDA_CHECK(cudaStreamSynchronize(s));
}

const float kOne = 1.f, kZero = 0.f;  // alpha = 1, beta = 0: outputs are overwritten and never read

}  // namespace

void conv2d_forward(const float* x, const float* w, float* y, int N, int C, int H, int W, int K, int R, int S,
                    int stride, int pad_h, int pad_w, int groups, cudaStream_t s) {
  convolve<ForwardPass>(kForward, N, C, H, W, K, R, S, stride, pad_h, pad_w, groups, s,
                        [=](const ConvPlan& p, cudnnConvolutionFwdAlgo_t algo, void* ws, size_t bytes) {
                          return cudnnConvolutionForward(cudnn(), &kOne, p.x, x, p.w, w, p.conv, algo, ws, bytes,
                                                         &kZero, p.y, y);
                        });
}

void conv2d_backward_data(const float* dy, const float* w, float* dx, int N, int C, int H, int W, int K, int R, int S,
                          int stride, int pad_h, int pad_w, int groups, cudaStream_t s) {
  convolve<BackwardDataPass>(kBackwardData, N, C, H, W, K, R, S, stride, pad_h, pad_w, groups, s,
                             [=](const ConvPlan& p, cudnnConvolutionBwdDataAlgo_t algo, void* ws, size_t bytes) {
                               return cudnnConvolutionBackwardData(cudnn(), &kOne, p.w, w, p.y, dy, p.conv, algo, ws,
                                                                   bytes, &kZero, p.x, dx);
                             });
}

void conv2d_backward_weight(const float* x, const float* dy, float* dw, int N, int C, int H, int W, int K, int R, int S,
                            int stride, int pad_h, int pad_w, int groups, cudaStream_t s) {
  convolve<BackwardFilterPass>(kBackwardFilter, N, C, H, W, K, R, S, stride, pad_h, pad_w, groups, s,
                               [=](const ConvPlan& p, cudnnConvolutionBwdFilterAlgo_t algo, void* ws, size_t bytes) {
                                 return cudnnConvolutionBackwardFilter(cudnn(), &kOne, p.x, x, p.y, dy, p.conv, algo,
                                                                       ws, bytes, &kZero, p.w, dw);
                               });
}

void set_conv_workspace_limit(size_t bytes) {
  std::lock_guard<std::mutex> lock(state().mu);
  state().workspace_limit = bytes;
}

std::string conv_algorithm_report() {
  std::lock_guard<std::mutex> lock(state().mu);
  std::string out;
  for (const auto& [k, plan] : state().plans)
    for (int pass = 0; pass < kPasses; ++pass) {
      const Choice& c = plan->choice[pass];
      if (c.algo < 0) continue;
      out += fmt::format(
          "conv N={} C={} H={} W={} K={} R={} S={} s={} p={}x{} g={}{}{} {}: algo {} math {} "
          "workspace {:.1f} MiB\n",
          k.N, k.C, k.H, k.W, k.K, k.R, k.S, k.stride, k.pad_h, k.pad_w, k.groups, k.tf32 ? " tf32" : "",
          k.deterministic ? " deterministic" : "", kPassNames[pass], c.algo, int(c.math),
          double(c.workspace) / (1 << 20));
    }
  return out;
}

}  // namespace ls::cuda
