#!/usr/bin/env bash
# tools/test.sh — the test command: installs what is missing, builds, and runs every test (CTest over GoogleTest).
#   bash tools/test.sh             # everything (about 15 minutes on 2 cores)
#   CTEST_ARGS="-R GradCheck" bash tools/test.sh   # a subset (the filter applies to both builds)
# Two builds: build/ (the CPU backend, and the real CUDA backend where nvcc and cuDNN are; its CUDA tests skip without
# a GPU) and build-emu/ (kernels/cuda on the emulated CUDA device, docs/CUDA.md: every CUDA test runs there, label
# cuda-emu, none may skip). EMULATION=0 leaves the second out.
# Then a 20 s run of each libFuzzer target (tools/fuzz.sh, build-fuzz/; about 2 minutes; skipped without clang++;
# FUZZ=0 leaves it out, FUZZ_SECONDS=N changes it).
#   SANITIZE=1 bash tools/test.sh  # instead: the CPU suite under AddressSanitizer + UndefinedBehaviorSanitizer, in
#                                  # build-asan/ (no CUDA, no emulated build, no fuzzing; docs/RELIABILITY.md: time)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ "${SANITIZE:-0}" != 0 ]; then
  # gcc's -Wmaybe-uninitialized misfires on libstdc++'s <regex> under the sanitizers; warnings are the plain
  # build's business.
  # Without MPI: LeakSanitizer reports what libmpi keeps until exit as leaks. The single-process paths of the data-
  # parallel code (core/distributed.h in a world of one) are still built and tested.
  BUILD_DIR=build-asan LAYERSEG_CUDA=OFF LAYERSEG_WERROR=OFF EMULATION=0 FUZZ=0
  CMAKE_ARGS="-DLAYERSEG_SANITIZE=ON -DLAYERSEG_MPI=OFF ${CMAKE_ARGS:-}"
  # UBSan's checks print and carry on by default; halting makes each finding fail its test.
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
fi
source tools/setup.sh
if [ "${EMULATION:-1}" != 0 ]; then
  BUILD_DIR=build-emu CMAKE_ARGS="-DLAYERSEG_CUDA_EMULATION=ON ${CMAKE_ARGS:-}" bash tools/setup.sh
fi
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "${JOBS:-$(nproc)}" ${CTEST_ARGS:-}
if [ "${EMULATION:-1}" != 0 ]; then
  ctest --test-dir build-emu --output-on-failure -j "${JOBS:-$(nproc)}" ${CTEST_ARGS:-}
fi
if [ "${FUZZ:-1}" != 0 ]; then
  rc=0
  # A fixed seed makes the smoke run the same regression check every time (the seeds and the fixes of
  # docs/RELIABILITY.md); exploring belongs to the long runs of tools/fuzz.sh. FUZZ_SEED=N picks another.
  FUZZ_ARGS="-seed=${FUZZ_SEED:-1} ${FUZZ_ARGS:-}" JOBS=$JOBS bash tools/fuzz.sh all "${FUZZ_SECONDS:-20}" || rc=$?
  if [ "$rc" = 77 ]; then
    echo "tools/test.sh: fuzz smoke runs skipped (no clang++ with libFuzzer)"
  elif [ "$rc" != 0 ]; then
    exit "$rc"
  fi
fi
