// kernels/cuda/all.h — every CUDA twin header, so core/dispatch.h (and through it every op) sees ls::cuda::NAME for
// each ls::cpu::NAME. Adding a kernels/cuda/FAMILY.h means adding it here.
#pragma once
#include "kernels/cuda/adam.h"
#include "kernels/cuda/batchnorm.h"
#include "kernels/cuda/compose.h"
#include "kernels/cuda/conv.h"
#include "kernels/cuda/fir.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/loss.h"
#include "kernels/cuda/pointwise.h"
#include "kernels/cuda/pool.h"
#include "kernels/cuda/reduce.h"
#include "kernels/cuda/resample.h"
#include "kernels/cuda/rng.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/shape.h"
#include "kernels/cuda/spectral.h"
#include "kernels/cuda/style.h"
