#!/usr/bin/env bash
# tools/test.sh — the test command: installs what is missing, builds, and runs every test (CTest over GoogleTest).
#   bash tools/test.sh             # everything (about 15 minutes on 2 cores)
#   CTEST_ARGS="-R GradCheck" bash tools/test.sh   # a subset (the filter applies to both builds)
# Two builds: build/ (the CPU backend, and the real CUDA backend where nvcc and cuDNN are; its CUDA tests skip without
# a GPU) and build-emu/ (kernels/cuda on the emulated CUDA device, docs/CUDA.md: every CUDA test runs there, label
# cuda-emu, none may skip). EMULATION=0 leaves the second out.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/setup.sh
if [ "${EMULATION:-1}" != 0 ]; then
  BUILD_DIR=build-emu CMAKE_ARGS="-DLAYERSEG_CUDA_EMULATION=ON ${CMAKE_ARGS:-}" bash tools/setup.sh
fi
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "${JOBS:-$(nproc)}" ${CTEST_ARGS:-}
if [ "${EMULATION:-1}" != 0 ]; then
  ctest --test-dir build-emu --output-on-failure -j "${JOBS:-$(nproc)}" ${CTEST_ARGS:-}
fi
