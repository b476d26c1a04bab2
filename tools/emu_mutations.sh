#!/usr/bin/env bash
# tools/emu_mutations.sh — shows that the emulated CUDA suite catches broken kernels: each mutation below is applied to
# a copy of kernels/cuda in a scratch checkout, the emulated build is rebuilt there, and `ctest -L cuda-emu` must fail.
#   bash tools/emu_mutations.sh [SCRATCH_DIR]      # about 5 minutes on 2 cores; prints one line per mutation
# The mutations are the ones a reviewer worries about most: a lost atomicAdd (here: the scatter into g_pi in the
# composition's backward), an off-by-one in the grid-stride bound every element-wise kernel uses, and swapped
# transpose flags in the cuBLAS call. A mutation the suite does not catch makes the script exit 1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SCRATCH=${1:-/tmp/layerseg-mutations}
rm -rf "$SCRATCH"
git worktree add --detach -q "$SCRATCH" HEAD
trap 'cp "$SCRATCH/build.log" "$SCRATCH.build.log" 2> /dev/null; git worktree remove --force "$SCRATCH"' EXIT
cd "$SCRATCH"
cmake -S . -B build-emu -DCMAKE_BUILD_TYPE=Release -DLAYERSEG_CUDA_EMULATION=ON > /dev/null
cmake --build build-emu -j "$(nproc)" > build.log 2>&1

# name | file | sed expression that breaks it
mutations=(
  "dropped atomicAdd into g_pi|kernels/cuda/compose.cu|s/if (t.w\[k\] != 0.f) atomicAdd(g_pi + smp \* hw + t.at\[k\], mul(t.w\[k\], g_m));/;/"
  "grid-stride bound i <= n|kernels/cuda/check.cuh|s/i < (n); i +=/i <= (n); i +=/"
  "swapped GEMM transpose flags|kernels/cuda/gemm.cu|s/cublasSgemm(h, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ?/cublasSgemm(h, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, trans_b ?/"
)
missed=0
for m in "${mutations[@]}"; do
  IFS='|' read -r name file expr <<< "$m"
  cp "$file" "$file.orig"
  sed -i "$expr" "$file"
  if cmp -s "$file" "$file.orig"; then
    echo "mutation '$name': the expression no longer matches $file (update this script)"
    missed=1
  elif ! cmake --build build-emu -j "$(nproc)" >> build.log 2>&1; then
    echo "mutation '$name': does not compile (update this script; build.log)"
    missed=1
  else
    failed=$(ctest --test-dir build-emu -L cuda-emu -j "$(nproc)" 2>&1 | grep -c '\*\*\*' || true)
    if [ "$failed" -gt 0 ]; then
      echo "mutation '$name': caught, $failed tests fail"
    else
      echo "mutation '$name': NOT caught"
      missed=1
    fi
  fi
  mv "$file.orig" "$file"
  touch "$file"  # newer than the mutated object, so the next build restores it
done
exit "$missed"
