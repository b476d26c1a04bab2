// kernels/emu/cudnn.cpp — cuDNN's legacy convolution API on the emulated device (kernels/emu/include/cudnn.h).
// Semantics from the cuDNN documentation: NCHW float descriptors; y = alpha·conv(x, w) + beta·y (y not read when
// beta = 0); cross-correlation, or convolution with the filter flipped; padding, stride, dilation and groups; the
// output size (H + 2·pad − dilation·(R − 1) − 1) / stride + 1; BAD_PARAM (with cuDNN 9's sub-codes) for descriptors
// that do not fit together or a workspace smaller than the algorithm's, NOT_SUPPORTED for algorithms that cannot
// run a shape. Every algorithm computes the exact sums in double, so what the emulation tests is how the project
// uses the API; what differs between algorithms is what the project must handle:
//   forward      FFT (workspace; refuses odd H or W when run, NOT_SUPPORTED_SHAPE), GEMM (im2col workspace; TF32),
//                IMPLICIT_PRECOMP_GEMM (small workspace; TF32), IMPLICIT_GEMM (no workspace)
//   bwd data     ALGO_0 (atomics: non-deterministic), FFT_TILING (workspace; refuses odd sizes), ALGO_1
//   bwd filter   ALGO_0 (non-deterministic), FFT (workspace; refuses odd sizes), ALGO_3 (non-deterministic,
//                workspace), ALGO_1
// in the order the heuristics rank them; the others are reported NOT_SUPPORTED. Non-deterministic algorithms add
// their partial sums (per output-channel or image group) in float in a random order, so two runs differ in the last
// bits as atomics make them on a GPU. TF32-capable algorithms round their operands to TF32 unless the descriptor's
// math type is CUDNN_FMA_MATH. Algorithms write garbage over the whole workspace they asked for.
#include "cudnn.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kernels/emu/emulator.h"

struct cudnnContext {
  cudaStream_t stream = nullptr;
};
struct cudnnTensorStruct {
  bool set = false;
  int n = 0, c = 0, h = 0, w = 0;
};
struct cudnnFilterStruct {
  bool set = false;
  int k = 0, c = 0, h = 0, w = 0;
};
struct cudnnConvolutionStruct {
  bool set = false;
  int pad_h = 0, pad_w = 0, u = 1, v = 1, dil_h = 1, dil_w = 1, groups = 1;
  bool flip = false;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

namespace {

std::set<const void*>& objects() {  // every handle and descriptor handed out
  static auto* s = new std::set<const void*>;
  return *s;
}
template <class T>
bool known(const T* p) {
  return p != nullptr && objects().count(p) > 0;
}
template <class T>
cudnnStatus_t create(T** out) {
  *out = new T;
  objects().insert(*out);
  return CUDNN_STATUS_SUCCESS;
}

struct Geometry {
  int N, C, H, W, K, Cg, Kg, R, S, P, Q, groups, pad_h, pad_w, u, v, dh, dw;
  bool flip;
  size_t x_elems() const { return size_t(N) * C * H * W; }
  size_t w_elems() const { return size_t(K) * Cg * R * S; }
  size_t y_elems() const { return size_t(N) * K * P * Q; }
};

// The geometry of (x, w, conv, y) when they fit together, as the documentation lists the BAD_PARAM cases.
cudnnStatus_t geometry(const cudnnTensorStruct* x, const cudnnFilterStruct* w, const cudnnConvolutionStruct* conv,
                       const cudnnTensorStruct* y, Geometry* g) {
  if (!known(x) || !known(w) || !known(conv) || !known(y)) return CUDNN_STATUS_BAD_PARAM_NULL_POINTER;
  if (!x->set || !w->set || !conv->set || !y->set) return CUDNN_STATUS_BAD_PARAM;
  Geometry r{};
  r.N = x->n, r.C = x->c, r.H = x->h, r.W = x->w, r.K = w->k, r.Cg = w->c, r.R = w->h, r.S = w->w;
  r.groups = conv->groups, r.pad_h = conv->pad_h, r.pad_w = conv->pad_w, r.u = conv->u, r.v = conv->v;
  r.dh = conv->dil_h, r.dw = conv->dil_w, r.flip = conv->flip;
  if (r.C != r.Cg * r.groups || r.K % r.groups != 0) return CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH;
  r.Kg = r.K / r.groups;
  const int eff_r = r.dh * (r.R - 1) + 1, eff_s = r.dw * (r.S - 1) + 1;
  if (r.H + 2 * r.pad_h < eff_r || r.W + 2 * r.pad_w < eff_s) return CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH;
  r.P = (r.H + 2 * r.pad_h - eff_r) / r.u + 1;
  r.Q = (r.W + 2 * r.pad_w - eff_s) / r.v + 1;
  if (y->n != r.N || y->c != r.K || y->h != r.P || y->w != r.Q) return CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH;
  *g = r;
  return CUDNN_STATUS_SUCCESS;
}

enum Pass { kForward, kBackwardData, kBackwardFilter };

struct AlgoSpec {
  int algo;
  bool deterministic, tf32_capable, refuses_odd_sizes;
  enum Workspace { kNone, kSmall, kIm2col, kTransform } workspace;
};
const std::vector<AlgoSpec>& algorithms(Pass pass) {
  static const std::vector<AlgoSpec> fwd = {
      {CUDNN_CONVOLUTION_FWD_ALGO_FFT, true, false, true, AlgoSpec::kTransform},
      {CUDNN_CONVOLUTION_FWD_ALGO_GEMM, true, true, false, AlgoSpec::kIm2col},
      {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, true, true, false, AlgoSpec::kSmall},
      {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, true, false, false, AlgoSpec::kNone}};
  static const std::vector<AlgoSpec> bwd_data = {
      {CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, false, false, false, AlgoSpec::kNone},
      {CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING, true, false, true, AlgoSpec::kTransform},
      {CUDNN_CONVOLUTION_BWD_DATA_ALGO_1, true, true, false, AlgoSpec::kNone}};
  static const std::vector<AlgoSpec> bwd_filter = {
      {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0, false, false, false, AlgoSpec::kNone},
      {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT, true, false, true, AlgoSpec::kTransform},
      {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3, false, false, false, AlgoSpec::kSmall},
      {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, true, true, false, AlgoSpec::kNone}};
  return pass == kForward ? fwd : pass == kBackwardData ? bwd_data : bwd_filter;
}
const AlgoSpec* find_algorithm(Pass pass, int algo) {
  for (const AlgoSpec& a : algorithms(pass))
    if (a.algo == algo) return &a;
  return nullptr;
}

// TF32-capable algorithms multiply TF32 operands unless the descriptor restricts the math to FMA.
bool uses_tf32(const AlgoSpec& a, const cudnnConvolutionStruct* conv) {
  return a.tf32_capable && conv->math != CUDNN_FMA_MATH;
}

size_t workspace_bytes(const AlgoSpec& a, const Geometry& g) {
  switch (a.workspace) {
    case AlgoSpec::kNone:
      return 0;
    case AlgoSpec::kSmall:
      return size_t(g.K) * g.Cg * g.R * g.S * sizeof(int) + 4096;
    case AlgoSpec::kIm2col:
      return size_t(g.Cg) * g.R * g.S * g.P * g.Q * sizeof(float);
    case AlgoSpec::kTransform:
      return (size_t(g.N) * g.C + size_t(g.K) * g.Cg + size_t(g.N) * g.K) * size_t(g.H + g.R) * size_t(g.W + g.S) * 2 *
             sizeof(float);
  }
  return 0;
}

template <class Perf>
cudnnStatus_t rank(Pass pass, int count, const cudnnConvolutionStruct* conv, const Geometry& g, int requested,
                   int* returned, Perf* perf) {
  if (requested <= 0 || returned == nullptr || perf == nullptr) return CUDNN_STATUS_BAD_PARAM;
  std::vector<Perf> all;
  for (const AlgoSpec& a : algorithms(pass)) {
    Perf p{};
    p.algo = decltype(p.algo)(a.algo);
    p.status = CUDNN_STATUS_SUCCESS;
    p.time = -1.f;
    p.memory = workspace_bytes(a, g);
    p.determinism = a.deterministic ? CUDNN_DETERMINISTIC : CUDNN_NON_DETERMINISTIC;
    p.mathType = uses_tf32(a, conv) ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
    all.push_back(p);
  }
  for (int algo = 0; algo < count; ++algo)
    if (!find_algorithm(pass, algo)) {
      Perf p{};
      p.algo = decltype(p.algo)(algo);
      p.status = CUDNN_STATUS_NOT_SUPPORTED;
      p.time = -1.f;
      all.push_back(p);
    }
  *returned = std::min(requested, int(all.size()));
  std::copy(all.begin(), all.begin() + *returned, perf);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t query_workspace(Pass pass, int algo, cudnnStatus_t geometry_status, const Geometry& g, size_t* bytes) {
  if (geometry_status != CUDNN_STATUS_SUCCESS) return geometry_status;
  if (bytes == nullptr) return CUDNN_STATUS_BAD_PARAM_NULL_POINTER;
  const AlgoSpec* a = find_algorithm(pass, algo);
  if (a == nullptr) return CUDNN_STATUS_NOT_SUPPORTED;
  *bytes = workspace_bytes(*a, g);
  return CUDNN_STATUS_SUCCESS;
}

uint64_t g_calls = 0;

// Runs one pass: checks, then out = alpha·result + beta·out where result[o] sums term(o, chunk-visitor).
// `sum(o, add)` calls add(chunk, value) for every product of output o; chunk < chunks groups the terms as a
// non-deterministic algorithm's atomics would.
template <class Sum>
cudnnStatus_t run(Pass pass, const char* entry, cudnnHandle_t handle, int algo, cudnnStatus_t geometry_status,
                  const cudnnConvolutionStruct* conv, const Geometry& g, const void* in_a, size_t a_elems,
                  const void* in_b, size_t b_elems, void* out, size_t out_elems, void* workspace, size_t workspace_size,
                  const void* alpha, const void* beta, int chunks_if_atomic, Sum sum) {
  if (!known(handle)) return CUDNN_STATUS_NOT_INITIALIZED;
  if (geometry_status != CUDNN_STATUS_SUCCESS) return geometry_status;
  if (alpha == nullptr || beta == nullptr || in_a == nullptr || in_b == nullptr || out == nullptr)
    return CUDNN_STATUS_BAD_PARAM_NULL_POINTER;
  const AlgoSpec* a = find_algorithm(pass, algo);
  if (a == nullptr) return CUDNN_STATUS_NOT_SUPPORTED;
  if (a->refuses_odd_sizes && (g.H % 2 || g.W % 2)) return CUDNN_STATUS_NOT_SUPPORTED_SHAPE;
  const size_t need = workspace_bytes(*a, g);
  if (workspace_size < need) return CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT;
  ls::emu::count_call(entry);
  ls::emu::require_device_range(in_a, a_elems * sizeof(float), entry, "input");
  ls::emu::require_device_range(in_b, b_elems * sizeof(float), entry, "filter or gradient");
  ls::emu::require_device_range(out, out_elems * sizeof(float), entry, "output");
  ls::emu::require_device_range(workspace, need, entry, "workspace");
  const float al = *static_cast<const float*>(alpha), be = *static_cast<const float*>(beta);
  const int chunks = a->deterministic ? 1 : chunks_if_atomic;
  const bool tf32 = uses_tf32(*a, conv);
  std::mt19937 order(uint32_t(++g_calls));
  ls::emu::DeviceAccess access(entry, {in_a, in_b, out, workspace});
  if (need > 0) std::memset(workspace, 0xFF, need);
  float* o = static_cast<float*>(out);
  std::vector<double> part(static_cast<size_t>(chunks));
  std::vector<int> perm(static_cast<size_t>(chunks));
  for (int c = 0; c < chunks; ++c) perm[size_t(c)] = c;
  for (size_t i = 0; i < out_elems; ++i) {
    std::fill(part.begin(), part.end(), 0.0);
    sum(i, tf32, [&](int chunk, double value) { part[size_t(chunk % chunks)] += value; });
    float result;
    if (chunks == 1) {
      result = float(part[0]);
    } else {
      std::shuffle(perm.begin(), perm.end(), order);
      result = 0.f;
      for (int c : perm) result += float(part[size_t(c)]);
    }
    o[i] = be == 0.f ? float(double(al) * result) : float(double(al) * result + double(be) * o[i]);
  }
  access.require_intact_guards();
  return CUDNN_STATUS_SUCCESS;
}

float operand(const float* p, size_t i, bool tf32) { return tf32 ? ls::emu::round_to_tf32(p[i]) : p[i]; }

}  // namespace

cudnnStatus_t cudnnCreate(cudnnHandle_t* handle) { return create(handle); }

cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t stream) {
  if (!known(handle)) return CUDNN_STATUS_NOT_INITIALIZED;
  if (!ls::emu::valid_stream(stream)) return CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH;
  handle->stream = stream;
  return CUDNN_STATUS_SUCCESS;
}

const char* cudnnGetErrorString(cudnnStatus_t status) {
  switch (status) {
    case CUDNN_STATUS_SUCCESS:
      return "CUDNN_STATUS_SUCCESS";
    case CUDNN_STATUS_NOT_INITIALIZED:
      return "CUDNN_STATUS_NOT_INITIALIZED";
    case CUDNN_STATUS_BAD_PARAM:
      return "CUDNN_STATUS_BAD_PARAM";
    case CUDNN_STATUS_BAD_PARAM_NULL_POINTER:
      return "CUDNN_STATUS_BAD_PARAM_NULL_POINTER";
    case CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER:
      return "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER";
    case CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND:
      return "CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND";
    case CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT:
      return "CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT";
    case CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH:
      return "CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH";
    case CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH:
      return "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH";
    case CUDNN_STATUS_NOT_SUPPORTED:
      return "CUDNN_STATUS_NOT_SUPPORTED";
    case CUDNN_STATUS_NOT_SUPPORTED_SHAPE:
      return "CUDNN_STATUS_NOT_SUPPORTED_SHAPE";
    case CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE:
      return "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE";
    case CUDNN_STATUS_NOT_SUPPORTED_LAYOUT:
      return "CUDNN_STATUS_NOT_SUPPORTED_LAYOUT";
    case CUDNN_STATUS_INTERNAL_ERROR:
      return "CUDNN_STATUS_INTERNAL_ERROR";
    case CUDNN_STATUS_EXECUTION_FAILED:
      return "CUDNN_STATUS_EXECUTION_FAILED";
  }
  return "CUDNN_STATUS_UNKNOWN";
}

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t* desc) { return create(desc); }
cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t* desc) { return create(desc); }
cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t* desc) { return create(desc); }

cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t desc, cudnnTensorFormat_t format, cudnnDataType_t type,
                                         int n, int c, int h, int w) {
  if (!known(desc)) return CUDNN_STATUS_BAD_PARAM_NULL_POINTER;
  if (n <= 0 || c <= 0 || h <= 0 || w <= 0) return CUDNN_STATUS_BAD_PARAM;
  if (type != CUDNN_DATA_FLOAT) return CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE;
  if (format != CUDNN_TENSOR_NCHW) return CUDNN_STATUS_NOT_SUPPORTED_LAYOUT;
  *desc = {true, n, c, h, w};
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t desc, cudnnDataType_t type, cudnnTensorFormat_t format,
                                         int k, int c, int h, int w) {
  if (!known(desc)) return CUDNN_STATUS_BAD_PARAM_NULL_POINTER;
  if (k <= 0 || c <= 0 || h <= 0 || w <= 0) return CUDNN_STATUS_BAD_PARAM;
  if (type != CUDNN_DATA_FLOAT) return CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE;
  if (format != CUDNN_TENSOR_NCHW) return CUDNN_STATUS_NOT_SUPPORTED_LAYOUT;
  *desc = {true, k, c, h, w};
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t desc, int pad_h, int pad_w, int u, int v,
                                              int dilation_h, int dilation_w, cudnnConvolutionMode_t mode,
                                              cudnnDataType_t compute_type) {
  if (!known(desc)) return CUDNN_STATUS_BAD_PARAM_NULL_POINTER;
  if (pad_h < 0 || pad_w < 0 || u <= 0 || v <= 0 || dilation_h <= 0 || dilation_w <= 0 ||
      (mode != CUDNN_CONVOLUTION && mode != CUDNN_CROSS_CORRELATION))
    return CUDNN_STATUS_BAD_PARAM;
  if (compute_type != CUDNN_DATA_FLOAT) return CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE;
  desc->set = true;
  desc->pad_h = pad_h, desc->pad_w = pad_w, desc->u = u, desc->v = v, desc->dil_h = dilation_h;
  desc->dil_w = dilation_w, desc->flip = mode == CUDNN_CONVOLUTION;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t desc, int groups) {
  if (!known(desc)) return CUDNN_STATUS_BAD_PARAM_NULL_POINTER;
  if (groups <= 0) return CUDNN_STATUS_BAD_PARAM;
  desc->groups = groups;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t desc, cudnnMathType_t math) {
  if (!known(desc)) return CUDNN_STATUS_BAD_PARAM_NULL_POINTER;
  if (math < CUDNN_DEFAULT_MATH || math > CUDNN_FMA_MATH) return CUDNN_STATUS_BAD_PARAM;
  desc->math = math;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(cudnnConvolutionDescriptor_t conv, cudnnTensorDescriptor_t x,
                                                    cudnnFilterDescriptor_t w, int* n, int* c, int* h, int* wd) {
  if (!known(conv) || !known(x) || !known(w) || !conv->set || !x->set || !w->set) return CUDNN_STATUS_BAD_PARAM;
  if (x->c != w->c * conv->groups) return CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH;
  *n = x->n;
  *c = w->k;
  *h = (x->h + 2 * conv->pad_h - conv->dil_h * (w->h - 1) - 1) / conv->u + 1;
  *wd = (x->w + 2 * conv->pad_w - conv->dil_w * (w->w - 1) - 1) / conv->v + 1;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(cudnnHandle_t handle, cudnnTensorDescriptor_t x,
                                                     cudnnFilterDescriptor_t w, cudnnConvolutionDescriptor_t conv,
                                                     cudnnTensorDescriptor_t y, int requested, int* returned,
                                                     cudnnConvolutionFwdAlgoPerf_t* perf) {
  if (!known(handle)) return CUDNN_STATUS_NOT_INITIALIZED;
  Geometry g;
  if (cudnnStatus_t s = geometry(x, w, conv, y, &g)) return s;
  return rank(kForward, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, conv, g, requested, returned, perf);
}

cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnnHandle_t handle, cudnnFilterDescriptor_t w,
                                                          cudnnTensorDescriptor_t dy, cudnnConvolutionDescriptor_t conv,
                                                          cudnnTensorDescriptor_t dx, int requested, int* returned,
                                                          cudnnConvolutionBwdDataAlgoPerf_t* perf) {
  if (!known(handle)) return CUDNN_STATUS_NOT_INITIALIZED;
  Geometry g;
  if (cudnnStatus_t s = geometry(dx, w, conv, dy, &g)) return s;
  return rank(kBackwardData, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, conv, g, requested, returned, perf);
}

cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnnHandle_t handle, cudnnTensorDescriptor_t x,
                                                            cudnnTensorDescriptor_t dy,
                                                            cudnnConvolutionDescriptor_t conv,
                                                            cudnnFilterDescriptor_t dw, int requested, int* returned,
                                                            cudnnConvolutionBwdFilterAlgoPerf_t* perf) {
  if (!known(handle)) return CUDNN_STATUS_NOT_INITIALIZED;
  Geometry g;
  if (cudnnStatus_t s = geometry(x, dw, conv, dy, &g)) return s;
  return rank(kBackwardFilter, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, conv, g, requested, returned, perf);
}

cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t handle, cudnnTensorDescriptor_t x,
                                                      cudnnFilterDescriptor_t w, cudnnConvolutionDescriptor_t conv,
                                                      cudnnTensorDescriptor_t y, cudnnConvolutionFwdAlgo_t algo,
                                                      size_t* bytes) {
  if (!known(handle)) return CUDNN_STATUS_NOT_INITIALIZED;
  Geometry g{};
  return query_workspace(kForward, algo, geometry(x, w, conv, y, &g), g, bytes);
}

cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t handle, cudnnFilterDescriptor_t w,
                                                           cudnnTensorDescriptor_t dy,
                                                           cudnnConvolutionDescriptor_t conv,
                                                           cudnnTensorDescriptor_t dx,
                                                           cudnnConvolutionBwdDataAlgo_t algo, size_t* bytes) {
  if (!known(handle)) return CUDNN_STATUS_NOT_INITIALIZED;
  Geometry g{};
  return query_workspace(kBackwardData, algo, geometry(dx, w, conv, dy, &g), g, bytes);
}

cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnnHandle_t handle, cudnnTensorDescriptor_t x,
                                                             cudnnTensorDescriptor_t dy,
                                                             cudnnConvolutionDescriptor_t conv,
                                                             cudnnFilterDescriptor_t dw,
                                                             cudnnConvolutionBwdFilterAlgo_t algo, size_t* bytes) {
  if (!known(handle)) return CUDNN_STATUS_NOT_INITIALIZED;
  Geometry g{};
  return query_workspace(kBackwardFilter, algo, geometry(x, dw, conv, dy, &g), g, bytes);
}

cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t handle, const void* alpha, cudnnTensorDescriptor_t x_desc,
                                      const void* x, cudnnFilterDescriptor_t w_desc, const void* w,
                                      cudnnConvolutionDescriptor_t conv, cudnnConvolutionFwdAlgo_t algo,
                                      void* workspace, size_t workspace_bytes, const void* beta,
                                      cudnnTensorDescriptor_t y_desc, void* y) {
  Geometry g{};
  const cudnnStatus_t gs = geometry(x_desc, w_desc, conv, y_desc, &g);
  const float *xs = static_cast<const float*>(x), *ws = static_cast<const float*>(w);
  return run(kForward, "cudnnConvolutionForward", handle, algo, gs, conv, g, x, g.x_elems(), w, g.w_elems(), y,
             g.y_elems(), workspace, workspace_bytes, alpha, beta, 1, [&](size_t i, bool tf32, auto add) {
               const int q = int(i % size_t(g.Q)), p = int(i / size_t(g.Q) % size_t(g.P));
               const int k = int(i / (size_t(g.Q) * g.P) % size_t(g.K)), n = int(i / (size_t(g.Q) * g.P * g.K));
               const int grp = k / g.Kg;
               for (int c = 0; c < g.Cg; ++c)
                 for (int r = 0; r < g.R; ++r) {
                   const int h = p * g.u - g.pad_h + r * g.dh;
                   if (h < 0 || h >= g.H) continue;
                   for (int s = 0; s < g.S; ++s) {
                     const int wc = q * g.v - g.pad_w + s * g.dw;
                     if (wc < 0 || wc >= g.W) continue;
                     const int rr = g.flip ? g.R - 1 - r : r, ss = g.flip ? g.S - 1 - s : s;
                     const size_t xi = ((size_t(n) * g.C + size_t(grp) * g.Cg + c) * g.H + h) * g.W + wc;
                     const size_t wi = ((size_t(k) * g.Cg + c) * g.R + rr) * g.S + ss;
                     add(0, double(operand(xs, xi, tf32)) * double(operand(ws, wi, tf32)));
                   }
                 }
             });
}

cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t handle, const void* alpha, cudnnFilterDescriptor_t w_desc,
                                           const void* w, cudnnTensorDescriptor_t dy_desc, const void* dy,
                                           cudnnConvolutionDescriptor_t conv, cudnnConvolutionBwdDataAlgo_t algo,
                                           void* workspace, size_t workspace_bytes, const void* beta,
                                           cudnnTensorDescriptor_t dx_desc, void* dx) {
  Geometry g{};
  const cudnnStatus_t gs = geometry(dx_desc, w_desc, conv, dy_desc, &g);
  const float *dys = static_cast<const float*>(dy), *ws = static_cast<const float*>(w);
  return run(kBackwardData, "cudnnConvolutionBackwardData", handle, algo, gs, conv, g, dy, g.y_elems(), w, g.w_elems(),
             dx, g.x_elems(), workspace, workspace_bytes, alpha, beta, 4, [&](size_t i, bool tf32, auto add) {
               const int wc = int(i % size_t(g.W)), h = int(i / size_t(g.W) % size_t(g.H));
               const int ci = int(i / (size_t(g.W) * g.H) % size_t(g.C)), n = int(i / (size_t(g.W) * g.H * g.C));
               const int grp = ci / g.Cg, c = ci % g.Cg;
               for (int k = grp * g.Kg; k < (grp + 1) * g.Kg; ++k)
                 for (int r = 0; r < g.R; ++r) {
                   const int ph = h + g.pad_h - r * g.dh;
                   if (ph < 0 || ph % g.u != 0 || ph / g.u >= g.P) continue;
                   for (int s = 0; s < g.S; ++s) {
                     const int qw = wc + g.pad_w - s * g.dw;
                     if (qw < 0 || qw % g.v != 0 || qw / g.v >= g.Q) continue;
                     const int rr = g.flip ? g.R - 1 - r : r, ss = g.flip ? g.S - 1 - s : s;
                     const size_t yi = ((size_t(n) * g.K + k) * g.P + ph / g.u) * g.Q + qw / g.v;
                     const size_t wi = ((size_t(k) * g.Cg + c) * g.R + rr) * g.S + ss;
                     add(k, double(operand(dys, yi, tf32)) * double(operand(ws, wi, tf32)));
                   }
                 }
             });
}

cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t handle, const void* alpha, cudnnTensorDescriptor_t x_desc,
                                             const void* x, cudnnTensorDescriptor_t dy_desc, const void* dy,
                                             cudnnConvolutionDescriptor_t conv, cudnnConvolutionBwdFilterAlgo_t algo,
                                             void* workspace, size_t workspace_bytes, const void* beta,
                                             cudnnFilterDescriptor_t dw_desc, void* dw) {
  Geometry g{};
  const cudnnStatus_t gs = geometry(x_desc, dw_desc, conv, dy_desc, &g);
  const float *xs = static_cast<const float*>(x), *dys = static_cast<const float*>(dy);
  return run(kBackwardFilter, "cudnnConvolutionBackwardFilter", handle, algo, gs, conv, g, x, g.x_elems(), dy,
             g.y_elems(), dw, g.w_elems(), workspace, workspace_bytes, alpha, beta, 4,
             [&](size_t i, bool tf32, auto add) {
               const int s = int(i % size_t(g.S)), r = int(i / size_t(g.S) % size_t(g.R));
               const int c = int(i / (size_t(g.S) * g.R) % size_t(g.Cg)), k = int(i / (size_t(g.S) * g.R * g.Cg));
               const int grp = k / g.Kg, rr = g.flip ? g.R - 1 - r : r, ss = g.flip ? g.S - 1 - s : s;
               for (int n = 0; n < g.N; ++n)
                 for (int p = 0; p < g.P; ++p) {
                   const int h = p * g.u - g.pad_h + rr * g.dh;
                   if (h < 0 || h >= g.H) continue;
                   for (int q = 0; q < g.Q; ++q) {
                     const int wc = q * g.v - g.pad_w + ss * g.dw;
                     if (wc < 0 || wc >= g.W) continue;
                     const size_t yi = ((size_t(n) * g.K + k) * g.P + p) * g.Q + q;
                     const size_t xi = ((size_t(n) * g.C + size_t(grp) * g.Cg + c) * g.H + h) * g.W + wc;
                     add(n, double(operand(dys, yi, tf32)) * double(operand(xs, xi, tf32)));
                   }
                 }
             });
}
