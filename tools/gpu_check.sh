#!/usr/bin/env bash
# tools/gpu_check.sh — everything a GPU machine must prove about the CUDA backend, in one command, within 8 minutes on
# a 16-core H100/H200 machine (a short GPU window holds a rerun). All output goes to one folder; the last line printed
# is a one-line summary (also OUT/summary.txt).
#   bash tools/gpu_check.sh [OUT]                  # on a fresh GPU machine; OUT defaults to gpu-check/
#   GPU_CHECK_EMULATED=1 bash tools/gpu_check.sh OUT   # the same steps against the emulated device (build-emu/)
# Steps:
#  1. dependencies: the Debian packages packed into .deps/ by ../shared/tools/gpu-deps.sh (the GPU machine reaches no
#     registry) are unpacked under /opt/deps; cuDNN from the toolkit, else PyTorch's pip copy (nvidia.cudnn);
#  2. build the real CUDA backend (build-gpu/, -DLAYERSEG_CUDA=ON, sm_90);
#  3. every CUDA test with LAYERSEG_REQUIRE_CUDA=1 (a GPU that fails to come up fails, never skips) and
#     LAYERSEG_CUDA_SYNC=1 (each launch synchronised, so a fault names its launcher), one process per suite so that a
#     fault in one does not poison the rest;
#  4. compute-sanitizer memcheck and racecheck on the CUDA kernel suite (reported as refused when the machine does
#     not allow it);
#  5. `layerseg bench --device cuda`: kernel times against copy bandwidth and FLOP rate;
#  6. a training run on CUDA and on the CPU from the same seed (configs/tiny_test.toml, GPU_CHECK_TRAIN_STEPS GAN steps,
#     default 200), loss curves compared by tools/compare_losses.py with the tolerance it states;
#  7. data parallel over NCCL (docs/DISTRIBUTED.md): one rank per GPU under mpirun, 6 GAN steps of the tiny config
#     against one process with the same global batch (skipped with the reason on one GPU or without mpirun).
# Under GPU_CHECK_EMULATED=1 (what tests/test_gpu_check.cpp runs, so the script cannot rot) step 2 uses the emulated
# build already in GPU_CHECK_BUILD (default build-emu), and steps 4–5 are skipped with the reason: timings and the
# sanitizer need a GPU.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${1:-gpu-check}
EMULATED=${GPU_CHECK_EMULATED:-0}
STEPS=${GPU_CHECK_TRAIN_STEPS:-200}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
declare -a SUMMARY=()
FAILED=0
note() { echo "gpu_check: $*" | tee -a "$OUT/steps.log"; }
result() {  # result NAME STATUS DETAIL
  SUMMARY+=("$1 $2")
  note "$1: $2${3:+ ($3)}"
  [ "$2" = failed ] && FAILED=1
  return 0
}

# ---- 1. dependencies -----------------------------------------------------------------------------------------------
if [ "$EMULATED" != 1 ] && [ -d .deps ] && ls .deps/*.deb > /dev/null 2>&1; then
  mkdir -p /opt/deps
  for f in .deps/*.deb; do dpkg -x "$f" /opt/deps; done
  L=/opt/deps/usr/lib/x86_64-linux-gnu
  export CMAKE_PREFIX_PATH=/opt/deps/usr LIBRARY_PATH=$L:$L/openblas-pthread${LIBRARY_PATH:+:$LIBRARY_PATH}
  export LD_LIBRARY_PATH=$L:$L/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export CPATH=/opt/deps/usr/include:/opt/deps/usr/include/stb${CPATH:+:$CPATH}
  export PKG_CONFIG_PATH=$L/pkgconfig:/opt/deps/usr/share/pkgconfig
  if ! ls /usr/local/cuda/include/cudnn.h > /dev/null 2>&1; then
    CUDNN=$(python3 -c 'import nvidia.cudnn as m; print(list(m.__path__)[0])' 2> /dev/null || true)
    if [ -n "$CUDNN" ]; then
      mkdir -p /opt/deps/cudnn-link
      ln -sf "$(ls "$CUDNN"/lib/libcudnn.so.* | head -1)" /opt/deps/cudnn-link/libcudnn.so
      export CPATH=$CPATH:$CUDNN/include LIBRARY_PATH=$LIBRARY_PATH:/opt/deps/cudnn-link:$CUDNN/lib
      export LD_LIBRARY_PATH=$CUDNN/lib:$LD_LIBRARY_PATH
    fi
  fi
  note "dependencies unpacked from .deps/ into /opt/deps"
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$OUT/device.txt" 2>&1 ||
  echo "no nvidia-smi (emulated device or no driver)" > "$OUT/device.txt"
note "device: $(head -1 "$OUT/device.txt")"

# ---- 2. build ------------------------------------------------------------------------------------------------------
if [ "$EMULATED" = 1 ]; then
  BUILD=${GPU_CHECK_BUILD:-build-emu}
  if [ -x "$BUILD/layerseg_tests" ] && [ -x "$BUILD/layerseg" ]; then
    result build ok "emulated device, $BUILD"
  else
    result build failed "no emulated build in $BUILD"
  fi
else
  BUILD=build-gpu
  start=$SECONDS
  if cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DLAYERSEG_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
    > "$OUT/build.log" 2>&1 && cmake --build "$BUILD" -j "$JOBS" >> "$OUT/build.log" 2>&1; then
    result build ok "$((SECONDS - start)) s"
  else
    result build failed "see build.log"
  fi
fi
if [ "$FAILED" = 1 ]; then
  echo "gpu_check: ${SUMMARY[*]} -> $OUT" | tee "$OUT/summary.txt"
  exit 1
fi

# ---- 3. the CUDA tests, one process per suite ----------------------------------------------------------------------
export LAYERSEG_REQUIRE_CUDA=1
passed=0 failed=0
for suite in CudaKernels CudaOpsCoverage CudaOpsSelfTest CudaTrainStep Cuda/CudaOps; do
  log="$OUT/tests_$(echo "$suite" | tr / _).log"
  LAYERSEG_CUDA_SYNC=1 "$BUILD/layerseg_tests" --gtest_filter="$suite.*" > "$log" 2>&1
  p=$(grep -c '^\[       OK \]' "$log")
  f=$(grep -c '^\[  FAILED  \] .*(' "$log")
  s=$(grep -c '^\[  SKIPPED \]' "$log")
  grep -q '^\[  PASSED  \]' "$log" || f=$((f > 0 ? f : 1))  # a crash ends the process before its summary
  passed=$((passed + p)) failed=$((failed + f + s))
done
if [ "$failed" = 0 ] && [ "$passed" -ge 25 ]; then
  result tests ok "$passed passed"
else
  result tests failed "$passed passed, $failed failed or skipped; tests_*.log"
fi

# ---- 4. compute-sanitizer ------------------------------------------------------------------------------------------
if [ "$EMULATED" = 1 ]; then
  result sanitizer skipped "emulated device: memcheck/racecheck need a GPU (the emulator has its own guards)"
elif ! command -v compute-sanitizer > /dev/null && [ ! -x /usr/local/cuda/bin/compute-sanitizer ]; then
  result sanitizer skipped "compute-sanitizer not installed"
else
  CS=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  for tool in memcheck racecheck; do
    # At most 150 s each: the sanitizer slows kernels 10-100x, and the whole check must fit a short GPU window.
    timeout 150 "$CS" --tool "$tool" --error-exitcode 99 "$BUILD/layerseg_tests" --gtest_filter='CudaKernels.*' \
      > "$OUT/sanitizer_$tool.log" 2>&1
    rc=$?
    if [ "$rc" = 0 ]; then
      result "$tool" ok "CudaKernels"
    elif [ "$rc" = 124 ]; then
      result "$tool" "timed out" "150 s, sanitizer_$tool.log"
    elif grep -qiE "not supported|unable to|could not|permission" "$OUT/sanitizer_$tool.log"; then
      result "$tool" refused "the machine refused the tool: sanitizer_$tool.log"
    else
      result "$tool" failed "exit $rc, sanitizer_$tool.log"
    fi
  done
fi

# ---- 5. benchmark --------------------------------------------------------------------------------------------------
if [ "$EMULATED" = 1 ]; then
  result bench skipped "emulated device: timings mean nothing there"
elif "$BUILD/layerseg" bench --device cuda > "$OUT/bench.txt" 2>&1; then
  result bench ok "bench.txt"
else
  result bench failed "bench.txt"
fi

# ---- 6. training: CUDA against the CPU from the same seed ----------------------------------------------------------
train() {  # train DEVICE
  rm -rf "$OUT/train_$1"
  "$BUILD/layerseg" train --config configs/tiny_test.toml --device "$1" --out "$OUT/train_$1" --set train.rounds=1 \
    --set train.gan_steps="$STEPS" --set train.seg_steps=2 --set train.log_every=1 > "$OUT/train_$1.log" 2>&1
}
if train cuda && train cpu; then
  if python3 tools/compare_losses.py "$OUT/train_cuda/log.jsonl" "$OUT/train_cpu/log.jsonl" \
    > "$OUT/compare_losses.txt" 2>&1; then
    result training ok "$STEPS GAN steps, $(tail -1 "$OUT/compare_losses.txt")"
  else
    result training failed "compare_losses.txt"
  fi
else
  result training failed "train_cuda.log / train_cpu.log"
fi

# ---- 7. data parallel over NCCL -------------------------------------------------------------------------------------
GPUS=$(nvidia-smi -L 2> /dev/null | grep -c '^GPU' || true)
if [ "$EMULATED" = 1 ]; then
  result nccl skipped "emulated device: no NCCL (its 2-rank job is EmuMpi.*, through host memory)"
elif ! command -v mpirun > /dev/null; then
  result nccl skipped "no mpirun on this machine"
elif [ "$GPUS" -lt 2 ]; then
  result nccl skipped "$GPUS GPU: NCCL needs one GPU per rank and at least two ranks"
else
  ranks=2
  while [ $((ranks * 2)) -le "$GPUS" ] && [ $((8 % (ranks * 2))) = 0 ]; do ranks=$((ranks * 2)); done  # divides batch 8
  rm -rf "$OUT/nccl_one" "$OUT/nccl_ranks"
  if "$BUILD/layerseg" train --config configs/tiny_test.toml --device cuda --out "$OUT/nccl_one" --stop-after 6 \
    > "$OUT/nccl_one.log" 2>&1 &&
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np "$ranks" --oversubscribe "$BUILD/layerseg" \
      train --config configs/tiny_test.toml --device cuda --out "$OUT/nccl_ranks" --stop-after 6 \
      > "$OUT/nccl_ranks.log" 2>&1 &&
    python3 tools/compare_losses.py "$OUT/nccl_ranks/log.jsonl" "$OUT/nccl_one/log.jsonl" > "$OUT/nccl_compare.txt" 2>&1
  then
    result nccl ok "$ranks ranks, $(tail -1 "$OUT/nccl_compare.txt")"
  else
    result nccl failed "nccl_one.log, nccl_ranks.log, nccl_compare.txt"
  fi
fi

echo "gpu_check: ${SUMMARY[*]} -> $OUT" | tee "$OUT/summary.txt"
exit "$FAILED"
