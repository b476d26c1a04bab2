#!/usr/bin/env python3
"""tools/compare_losses.py — do two training runs from the same seed (one on CUDA, one on the CPU) follow one curve?

    python3 tools/compare_losses.py RUN_A/log.jsonl RUN_B/log.jsonl

Reads the per-step lines of each log.jsonl (those with a "phase") and compares every loss and statistic both have
(the mask coverage too; not the speed).
Tolerance, and why:
  - the first 5 logged steps: |a - b| <= 1e-3 * (1 + |b|). Both runs start from the same bits and the same batches; they
    differ only in summation order (cuDNN/cuBLAS against im2col + OpenBLAS, atomics in the composition's backward),
    about 1e-6 relative per step, which a few Adam steps amplify by well under a factor 100;
  - later steps: a GAN amplifies those last-bit differences until single steps decorrelate, so the curves are compared
    as means over windows of 25 steps: |mean_a - mean_b| <= 0.1 * (1 + |mean_b|). A wrong kernel moves the first
    steps by far more than 1e-3, or the curve by more than 10 %.
Exits 1 on a mismatch, naming the loss, the step and both values; the last line printed is a one-line verdict.
"""
import json
import sys

EARLY_STEPS, EARLY_TOL, WINDOW, WINDOW_TOL = 5, 1e-3, 25, 0.1
NOT_LOSSES = {"step", "round", "it_s"}  # counters and the speed; every other number of a step line is compared


def read(path):
    steps = {}
    try:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    sys.exit(f"compare_losses: {path}:{n}: not JSON ({e})")
                if "phase" in row and "step" in row:
                    steps[row["step"]] = {
                        k: v for k, v in row.items() if isinstance(v, (int, float)) and k not in NOT_LOSSES
                    }
    except OSError as e:
        sys.exit(f"compare_losses: cannot read {path}: {e.strerror}")
    if not steps:
        sys.exit(f"compare_losses: {path} has no per-step lines")
    return steps


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = read(sys.argv[1]), read(sys.argv[2])
    common = sorted(set(a) & set(b))
    if len(common) != len(a) or len(common) != len(b):
        sys.exit(f"compare_losses: the logs cover different steps ({len(a)} and {len(b)} lines, {len(common)} shared)")
    bad = []
    for i, step in enumerate(common[:EARLY_STEPS]):
        for k in sorted(set(a[step]) & set(b[step])):
            x, y = a[step][k], b[step][k]
            if abs(x - y) > EARLY_TOL * (1 + abs(y)):
                bad.append(f"step {step} {k}: {x:.6g} vs {y:.6g} (early steps: tolerance {EARLY_TOL} relative)")
    windows = 0
    for w in range(EARLY_STEPS, len(common), WINDOW):
        chunk = common[w : w + WINDOW]
        windows += 1
        for k in sorted({k for s in chunk for k in a[s]}):
            with_k = [s for s in chunk if k in a[s] and k in b[s]]  # GAN and U-Net steps log different losses
            if not with_k:
                continue
            ma = sum(a[s][k] for s in with_k) / len(with_k)
            mb = sum(b[s][k] for s in with_k) / len(with_k)
            if abs(ma - mb) > WINDOW_TOL * (1 + abs(mb)):
                bad.append(f"steps {chunk[0]}-{chunk[-1]} mean {k}: {ma:.6g} vs {mb:.6g} (tolerance {WINDOW_TOL})")
    for line in bad[:20]:
        print(line)
    verdict = f"{len(common)} steps, {min(EARLY_STEPS, len(common))} compared step by step, {windows} windows"
    if bad:
        print(f"MISMATCH: {len(bad)} comparisons out of tolerance ({verdict})")
        sys.exit(1)
    print(f"curves agree: {verdict}")


if __name__ == "__main__":
    main()
