// core/trace.h — named ranges around training phases, for Nsight Systems:
//   nsys profile --trace=cuda,nvtx build/layerseg train --config configs/demo.toml --out runs/prof --device cuda
// In CUDA builds LS_TRACE_RANGE("gan_step") opens an NVTX range until the end of the scope; in CPU builds it is
// nothing. Every kernel launch is already inside a range named after the kernel (core/dispatch.h).
#pragma once

#ifdef LAYERSEG_WITH_CUDA
#include "kernels/cuda/nvtx.h"
#define LS_TRACE_CAT2(a, b) a##b
#define LS_TRACE_CAT(a, b) LS_TRACE_CAT2(a, b)
#define LS_TRACE_RANGE(name) ::ls::cuda::NvtxRange LS_TRACE_CAT(ls_trace_range_, __LINE__)(name)
#else
#define LS_TRACE_RANGE(name) static_cast<void>(0)
#endif
