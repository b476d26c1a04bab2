#!/usr/bin/env bash
# tools/test.sh — the test command: installs what is missing, builds, and runs every test (CTest over GoogleTest).
#   bash tools/test.sh             # everything (about 10 minutes on 2 cores)
#   CTEST_ARGS="-R GradCheck" bash tools/test.sh   # a subset
# GPU tests skip with a message when no CUDA device is present.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/setup.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "${JOBS:-$(nproc)}" ${CTEST_ARGS:-}
