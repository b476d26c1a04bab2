// kernels/emu/include/nvtx3/nvToolsExt.h — NVTX ranges on the emulated device: there is no profiler to name ranges
// for, so a push/pop only keeps the nesting depth (the real NVTX costs a branch without a profiler, too).
#pragma once

inline int& ls_emu_nvtx_depth() {
  static int depth = 0;
  return depth;
}
inline int nvtxRangePushA(const char*) { return ls_emu_nvtx_depth()++; }
inline int nvtxRangePop() { return --ls_emu_nvtx_depth(); }
