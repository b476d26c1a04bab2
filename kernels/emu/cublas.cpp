// kernels/emu/cublas.cpp — cuBLAS on the emulated device (kernels/emu/include/cublas_v2.h). cublasSgemm follows the
// cuBLAS documentation: column-major C = alpha·op(A)·op(B) + beta·C with op(X) = X or Xᵀ, m, n, k ≥ 0, lda ≥ max(1,
// rows of A as stored), ldb likewise, ldc ≥ max(1, m), else CUBLAS_STATUS_INVALID_VALUE; C is not read when beta = 0.
// Each element is summed in double and rounded once (a correct FP32 result; cuBLAS's own summation order is vendor
// numerics that only a GPU shows). In CUBLAS_TF32_TENSOR_OP_MATH the operands are rounded to TF32 first.
// Operands must be device memory of the extent the arguments imply (on a GPU, anything else is an illegal address).
#include <cstring>
#include <set>
#include <string>

#include "cublas_v2.h"
#include "kernels/emu/emulator.h"

struct cublasContext {
  cudaStream_t stream = nullptr;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
  cublasMath_t math = CUBLAS_DEFAULT_MATH;
};

namespace {
std::set<cublasHandle_t>& handles() {
  static auto* h = new std::set<cublasHandle_t>;
  return *h;
}
bool valid(cublasHandle_t h) { return h != nullptr && handles().count(h) > 0; }
}  // namespace

cublasStatus_t cublasCreate(cublasHandle_t* handle) {
  *handle = new cublasContext;
  handles().insert(*handle);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
  if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!ls::emu::valid_stream(stream)) return CUBLAS_STATUS_INVALID_VALUE;
  handle->stream = stream;
  handle->workspace = nullptr;  // documented: setting the stream resets the workspace to cuBLAS's default pool
  handle->workspace_bytes = 0;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetWorkspace(cublasHandle_t handle, void* workspace, size_t bytes) {
  if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (bytes > 0) ls::emu::require_device_range(workspace, bytes, "cublasSetWorkspace", "workspace");
  handle->workspace = workspace;
  handle->workspace_bytes = bytes;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->math = mode;
  return CUBLAS_STATUS_SUCCESS;
}

const char* cublasGetStatusString(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR:
      return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "CUBLAS_STATUS_NOT_SUPPORTED";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}

cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                           int k, const float* alpha, const float* A, int lda, const float* B, int ldb,
                           const float* beta, float* C, int ldc) {
  if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  const auto is_op = [](cublasOperation_t op) { return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C; };
  const auto at_least_one = [](int v) { return v > 1 ? v : 1; };
  const bool ta = transa != CUBLAS_OP_N, tb = transb != CUBLAS_OP_N;
  if (m < 0 || n < 0 || k < 0 || !is_op(transa) || !is_op(transb) || alpha == nullptr || beta == nullptr ||
      lda < at_least_one(ta ? k : m) || ldb < at_least_one(tb ? n : k) || ldc < at_least_one(m))
    return CUBLAS_STATUS_INVALID_VALUE;
  if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
  ls::emu::count_call("cublasSgemm");
  // Stored extents: A is (ta ? k : m) rows by (ta ? m : k) columns, column-major with leading dimension lda.
  const auto extent = [](int rows, int cols, int ld) { return (size_t(cols) - 1) * size_t(ld) + size_t(rows); };
  if (k > 0) {
    ls::emu::require_device_range(A, extent(ta ? k : m, ta ? m : k, lda) * sizeof(float), "cublasSgemm", "A");
    ls::emu::require_device_range(B, extent(tb ? n : k, tb ? k : n, ldb) * sizeof(float), "cublasSgemm", "B");
  }
  ls::emu::require_device_range(C, extent(m, n, ldc) * sizeof(float), "cublasSgemm", "C");
  const bool tf32 = handle->math == CUBLAS_TF32_TENSOR_OP_MATH;
  const float a = *alpha, b = *beta;
  ls::emu::DeviceAccess access("cublasSgemm", {A, B, C});
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      double acc = 0;
      for (int l = 0; l < k; ++l) {
        float x = ta ? A[size_t(i) * lda + l] : A[size_t(l) * lda + i];
        float y = tb ? B[size_t(l) * ldb + j] : B[size_t(j) * ldb + l];
        if (tf32) x = ls::emu::round_to_tf32(x), y = ls::emu::round_to_tf32(y);
        acc += double(x) * double(y);
      }
      float& c = C[size_t(j) * ldc + i];
      c = b == 0.f ? float(double(a) * acc) : float(double(a) * acc + double(b) * double(c));
    }
  access.require_intact_guards();
  return CUBLAS_STATUS_SUCCESS;
}
