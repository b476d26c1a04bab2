#!/usr/bin/env bash
# tools/setup.sh — installs what the build needs (Debian packages) and configures + builds layerseg in build/.
# Sourced by tools/test.sh and tools/demo.sh; run it alone to just build:  bash tools/setup.sh
# Environment: BUILD_DIR (default build), LAYERSEG_CUDA (AUTO|ON|OFF, default AUTO), JOBS (default nproc),
# CMAKE_ARGS (more -D options: -DLAYERSEG_CUDA_EMULATION=ON for the emulated CUDA device, as tools/test.sh does).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(build-essential cmake pkg-config libstb-dev libfmt-dev libgtest-dev libgmock-dev libopenblas-dev
          libcli11-dev libtomlplusplus-dev nlohmann-json3-dev python3-matplotlib libboost-context-dev
          clang libclang-rt-dev  # clang: the libFuzzer targets (tools/fuzz.sh)
          libopenmpi-dev openmpi-bin)  # data-parallel training and its tests (docs/DISTRIBUTED.md)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "layerseg setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DLAYERSEG_CUDA="${LAYERSEG_CUDA:-AUTO}" \
      -DLAYERSEG_WERROR="${LAYERSEG_WERROR:-ON}" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
