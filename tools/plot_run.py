#!/usr/bin/env python3
"""tools/plot_run.py — a training run's curves as one picture: RUN_DIR/log.jsonl -> RUN_DIR/curves.png.

Panels, all against the global step with the round boundaries marked (dashed lines):
  D losses (loss_d, adv_d, mi_d), G losses (loss_g, adv_g, mi_g, bin, bg, size, ils: whatever the run logged),
  the U-Net's loss_f, the generated masks' mean coverage with its spread across samples (± coverage_std),
  steps per second (it_s) of each phase, and per round the held-out evaluation of the U-Net the run selected (acc,
  iou, miou, mean_image_iou, nmi; solid) beside the label-free selection (models/selection.h; dashed): each round's
  own F's score on its synthetic validation set, and the generated masks' near-binary fraction there.
Needs matplotlib (Debian: python3-matplotlib, which tools/setup.sh installs).
  python3 tools/plot_run.py runs/demo                 # writes runs/demo/curves.png and prints its path
  python3 tools/plot_run.py runs/demo --out demo.png
Exit status 1 with a message naming the file (and line) when the log is missing, malformed or holds no step.
"""
import argparse
import json
import os
import sys

WIDTH_IN, HEIGHT_IN, DPI = 12, 10, 100  # curves.png is 1200 x 1000 pixels
NOT_LOSSES = {"step", "round", "phase", "it_s", "coverage", "coverage_std", "bg_detail", "loss_f"}
EVAL_KEYS = ["acc", "iou", "miou", "mean_image_iou", "nmi"]


def fail(message):
    print(f"plot_run: {message}", file=sys.stderr)
    sys.exit(1)


def read_log(path):
    """The log's training lines (those with a phase), its evaluations and its selections, in file order."""
    if not os.path.isfile(path):
        fail(f"{path}: no such file (is the argument a run directory of `layerseg train`?)")
    steps, evals, selections = [], [], []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as e:
                fail(f"{path}:{number}: not a JSON line ({e.msg})")
            if not isinstance(entry, dict) or not isinstance(entry.get("step"), int):
                fail(f"{path}:{number}: expected a JSON object with an integer \"step\"")
            if "phase" in entry:
                steps.append(entry)
            if "eval" in entry:
                evals.append(entry)
            if isinstance(entry.get("selection"), dict):
                selections.append(entry["selection"])
    if not steps:
        fail(f"{path}: no training step logged yet")
    return steps, evals, selections


def series(entries, key):
    """(steps, values) of the entries that logged `key`, with a gap (NaN) where a round ends, so that a GAN loss
    is not drawn across the U-Net phase between two rounds."""
    steps, values, last_round = [], [], None
    for e in entries:
        if not isinstance(e.get(key), (int, float)):
            continue
        if last_round is not None and e["round"] != last_round:
            steps.append(e["step"])
            values.append(float("nan"))
        steps.append(e["step"])
        values.append(e[key])
        last_round = e["round"]
    return steps, values


def round_ends(steps):
    """The last logged step of each round but the last: where one round ends and the next begins."""
    last = {}
    for e in steps:
        last[e["round"]] = max(last.get(e["round"], 0), e["step"])
    return [last[r] for r in sorted(last)[:-1]]


def plot(run_dir, out):
    steps, evals, selections = read_log(os.path.join(run_dir, "log.jsonl"))
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 2, figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    fig.suptitle(f"{run_dir}: {steps[-1]['step']} steps, {steps[-1]['round']} round(s)")
    d_ax, g_ax, f_ax, cov_ax, speed_ax, eval_ax = axes.flat
    losses = sorted({k for e in steps for k, v in e.items() if k not in NOT_LOSSES and isinstance(v, (int, float))})
    for key in losses:
        (d_ax if key.endswith("_d") else g_ax).plot(*series(steps, key), label=key)
    f_ax.plot(*series(steps, "loss_f"), label="loss_f", color="tab:purple")

    x, cov = series(steps, "coverage")
    _, spread = series(steps, "coverage_std")  # logged with every coverage, so the two series align
    cov_ax.plot(x, cov, label="mean coverage", color="tab:green")
    cov_ax.fill_between(x, [c - s for c, s in zip(cov, spread)], [c + s for c, s in zip(cov, spread)],
                        color="tab:green", alpha=0.25, label="± spread across samples")
    if any("bg_detail" in e for e in steps):
        cov_ax.plot(*series(steps, "bg_detail"), "--", label="G_b detail α", color="tab:gray")

    for phase, colour in (("gan", "tab:blue"), ("seg", "tab:orange")):
        speed_ax.plot(*series([e for e in steps if e["phase"] == phase], "it_s"), ".", label=phase, color=colour)

    rounds = [e["round"] for e in evals]
    for key in EVAL_KEYS:
        values = [e["eval"].get(key) for e in evals]
        if any(isinstance(v, (int, float)) for v in values):
            eval_ax.plot(rounds, values, "o-", label=key)

    for label, value in (("selection score (no labels)", lambda s: s["this_round"]["score"]),
                         ("near-binary mask pixels", lambda s: s["masks"]["binary_fraction"])):
        points = [(s["round"], value(s)) for s in selections if "round" in s]
        if points:
            eval_ax.plot(*zip(*points), "s--", label=label)
    rounds += [s["round"] for s in selections if "round" in s]

    titles = ["D losses", "G losses", "U-Net loss (synthetic pairs)", "mask coverage", "steps per second",
              "per round: evaluation (solid), selection (dashed)"]
    for ax, title in zip(axes.flat, titles):
        ax.set_title(title)
        ax.grid(alpha=0.3)
        if ax is not eval_ax:
            ax.set_xlabel("step")
            for end in round_ends(steps):
                ax.axvline(end, color="black", linestyle="--", linewidth=0.8)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="small")
    eval_ax.set_xlabel("round")
    if rounds:
        eval_ax.set_xticks(sorted(set(rounds)))
    else:
        eval_ax.text(0.5, 0.5, "no evaluation logged", ha="center", va="center", transform=eval_ax.transAxes)
    fig.tight_layout()
    fig.savefig(out, dpi=DPI)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description="Draw RUN_DIR/log.jsonl as RUN_DIR/curves.png.")
    parser.add_argument("run_dir", help="run directory of `layerseg train`")
    parser.add_argument("--out", help="picture to write (default RUN_DIR/curves.png)")
    args = parser.parse_args()
    try:
        import matplotlib  # noqa: F401  (checked before reading, so the message names the real problem)
    except ImportError:
        fail("needs matplotlib: apt-get install python3-matplotlib (tools/setup.sh installs it)")
    out = args.out or os.path.join(args.run_dir, "curves.png")
    plot(args.run_dir, out)
    print(out)


if __name__ == "__main__":
    main()
