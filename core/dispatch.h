// core/dispatch.h — calls the CPU or CUDA twin of a kernel by device.
// Every kernel exists as ls::cpu::NAME(args...) and ls::cuda::NAME(args..., stream) with the same leading
// arguments (raw pointers and sizes), so an op writes LS_DISPATCH(x.device(), NAME, args...) once. The CUDA twins
// are all declared through kernels/cuda/all.h; the CPU ones come from the kernels/cpu/FAMILY.h the op includes.
#pragma once
#include "core/device.h"

#ifdef LAYERSEG_WITH_CUDA
#include "kernels/cuda/all.h"  // every ls::cuda twin
#include "kernels/cuda/nvtx.h"
// The CUDA branch runs inside an NVTX range named after the kernel (the temporary lives to the end of the full
// expression), so Nsight Systems shows every op of a step by name.
#define LS_DISPATCH(dev, fn, ...)                                                                                \
  ((dev) == ::ls::Device::CUDA ? (::ls::cuda::NvtxRange(#fn), ::ls::cuda::fn(__VA_ARGS__, ::ls::cuda::stream())) \
                               : ::ls::cpu::fn(__VA_ARGS__))
#else
#define LS_DISPATCH(dev, fn, ...) ((dev) == ::ls::Device::CUDA ? ::ls::fail_no_cuda(#fn) : ::ls::cpu::fn(__VA_ARGS__))
#endif
