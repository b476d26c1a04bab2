#!/usr/bin/env bash
# tools/demo.sh — the main job on the embedded default: installs what is missing, builds, then trains the layered
# GAN and the U-Net on the procedural shapes dataset at 32×32 on the CPU (10–20 minutes on 2 cores, by what shares
# them), prints the held-out metrics next to the ellipse and mean-mask baselines with the paths of the run's files,
# and draws the training curves (tools/plot_run.py) into runs/demo/curves.png. Each run starts afresh in runs/demo
# (--restart removes only the files `train` writes there).
#   bash tools/demo.sh                 # run dir: runs/demo
#   bash tools/demo.sh --set train.rounds=1     # any `layerseg train` option is passed through
# PYTHON picks the interpreter for the curves (default /usr/bin/python3, where Debian's python3-matplotlib is).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/setup.sh
"${BUILD_DIR:-build}/layerseg" train --config configs/demo.toml --out runs/demo --restart "$@"
curves=$("${PYTHON:-/usr/bin/python3}" tools/plot_run.py runs/demo)  # fails the script if the log cannot be drawn
echo "curves: $curves"
