#!/usr/bin/env bash
# tools/fuzz.sh — builds the libFuzzer targets of tests/fuzz (clang++, ASan + UBSan, in build-fuzz/) and runs them.
#   bash tools/fuzz.sh                       # every target for 20 s (what tools/test.sh runs)
#   bash tools/fuzz.sh image 3600            # one target for an hour
#   FUZZ_ARGS="-runs=10000000" bash tools/fuzz.sh config 0   # any libFuzzer flags; 0 seconds = no time limit
# Targets: checkpoint, image, config, dataset. Each starts from its committed seeds (tests/fuzz/corpus/<name>/, never
# written to) plus what earlier runs found (build-fuzz/corpus/<name>/). A crash is saved as
# build-fuzz/crashes/<name>/crash-* and fails the script; reproduce with build-fuzz/fuzz_<name> <that file>, and once
# the reader is fixed, add the file to the committed corpus so every later run replays it.
# Exit status: 0 no crash, 1 a crash, 2 a usage error, 77 no clang++/libFuzzer here.
# One fuzzer process at a time (-jobs is not used): the machines this runs on are shared.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

all_targets=(checkpoint image config dataset)
target=${1:-all}
seconds=${2:-20}
if [ "$target" = all ]; then targets=("${all_targets[@]}"); else targets=("$target"); fi
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target '$t' (${all_targets[*]} or all)" >&2; exit 2; }
done
# Exit status 77 (what tools/test.sh reports as skipped): no clang++, or one without libFuzzer's runtime.
if ! command -v clang++ >/dev/null || ! compgen -G "$(clang++ -print-runtime-dir)/libclang_rt.fuzzer*.a" >/dev/null; then
  echo "fuzz.sh: clang++ with libFuzzer not found (apt-get install clang libclang-rt-dev)" >&2
  exit 77
fi

# Warnings are the gcc builds' business (LAYERSEG_WERROR there); clang's own set would fail this one for nothing.
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DLAYERSEG_CUDA=OFF -DLAYERSEG_FUZZ=ON -DLAYERSEG_WERROR=OFF >/dev/null
cmake --build build-fuzz -j "${JOBS:-1}" --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null

symbolizer=$(command -v llvm-symbolizer || ls /usr/lib/llvm-*/bin/llvm-symbolizer 2>/dev/null | tail -n 1 || true)
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH=$symbolizer
failed=()
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/crashes/$t"
  log=build-fuzz/fuzz_$t.log
  # 2 GB is libFuzzer's default memory limit, stated here because an allocation past it is a finding: a reader must
  # refuse a file that asks for that much rather than try.
  set +e
  "build-fuzz/fuzz_$t" "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" -max_total_time="$seconds" -timeout=20 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$t/" ${FUZZ_ARGS:-} >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    echo "fuzz $t: FAILED after ${execs:-?} executions; the end of $log:"
    tail -n 40 "$log"
  else
    echo "fuzz $t: ${execs} executions (${secs}/s), no crash; corpus build-fuzz/corpus/$t"
  fi
done
((${#failed[@]} == 0)) || { echo "fuzz.sh: crashes in ${failed[*]} (build-fuzz/crashes/)" >&2; exit 1; }
