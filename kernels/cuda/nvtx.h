// kernels/cuda/nvtx.h — a named NVTX range for Nsight Systems, usable from plain C++:
//   { ls::cuda::NvtxRange r("conv2d_forward"); ... }   // nsys profile --trace=cuda,nvtx layerseg train ...
// NVTX 3 is header-only and costs a branch when no profiler is attached. The name must outlive the range (a literal).
#pragma once
#include <nvtx3/nvToolsExt.h>

namespace ls::cuda {

class NvtxRange {
 public:
  explicit NvtxRange(const char* name) { nvtxRangePushA(name); }
  ~NvtxRange() { nvtxRangePop(); }
  NvtxRange(const NvtxRange&) = delete;
  NvtxRange& operator=(const NvtxRange&) = delete;
};

}  // namespace ls::cuda
