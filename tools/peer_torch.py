#!/usr/bin/env python3
"""tools/peer_torch.py — layerseg's training step written in PyTorch: the peer of `layerseg bench --step`.

Builds the `lite` networks of a layerseg config (models/lite.h, models/unet.h) with PyTorch's own layers and times
the steps `layerseg bench --step` times (Trainer::time_steps, models/trainer.cpp): `warmup` untimed and `repeats`
timed GAN steps as in round 1 (no L_bg yet), then as many U-Net steps, each step timed alone. It prints the medians
as one JSON line with layerseg's keys plus "peer", so the two lines sit side by side. CPU, float32.

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch
    /tmp/torchenv/bin/python tools/peer_torch.py --config configs/weizmann64.toml --threads 2 \
        [--repeats 7] [--warmup 2] [--set section.key=value ...]
    build/layerseg bench --step --config configs/weizmann64.toml --threads 2        # layerseg's line, to compare

Optional: the build and the tests never import or run it, and PyTorch is no dependency of the project.
The parameter counts of G (G_b + G_f), D (with E_x, E_π) and F go to stderr; they equal layerseg's (the tensors of
its checkpoint without the buffers): 119415, 258017, 488001 for configs/demo.toml and 185719, 2305437, 1964097 for
configs/weizmann64.toml.

Where the PyTorch step differs from layerseg's, and why:
  - Real images are drawn (with data.flip's flips) from a pool of 512 random images in memory, not from the data
    set: layerseg copies them from an in-memory data set too, and the pixels' content costs nothing.
  - Where layerseg has one fused kernel (the perturbed composition and its backward, the hinge, cross-entropy and
    binarization losses) this file writes what PyTorch code would: affine_grid + grid_sample + blend, and a few
    pointwise and reduction ops per loss. The work is the same; the count of kernels and temporaries is not.
  - DiffAugment's translation (train.d_augment) warps the images alone with grid_sample; layerseg runs its
    composition with an opaque foreground over a zero background: the same result, one channel less.
  - The step's logged values (.item() of each loss) and the mask-coverage monitor are left out: a few scalar reads.
  - Initial weights come from torch's generator with layerseg's distributions (U(±1/√fan_in) weights, zero biases),
    so the losses differ from layerseg's; the shapes and the work do not.
"""
import argparse
import copy
import itertools
import json
import math
import os
import statistics
import sys
import time
import tomllib
from collections import namedtuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

# ---- configuration: layerseg's keys and defaults (models/config.h) ------------------------------------------------
DEFAULTS = {
    "data": {
        "source": "shapes", "root": "", "train_split": "all", "size": 32, "crop": "none", "flip": True,
        "shapes_n": 4000, "shapes_kinds": 4, "shapes_seed": 1, "eval_source": "shapes", "eval_root": "",
        "eval_stems": "", "eval_split": "test", "eval_n": 500, "eval_seed": 1000, "eval_size": 0,
    },
    "model": {
        "arch": "lite", "z_dim": 64, "c_kind": "categorical", "c_dim": 4, "embed_dim": 64, "g_width": 64,
        "bg_size": 0, "bg_detail_start": 0, "bg_detail_steps": 1000, "d_width": 32, "d_spectral_norm": True,
        "e_pi_width": 16, "unet_width": 16, "unet_input_size": 0, "mask_bias": -1.0,
    },
    "loss": {
        "gamma_mi": 1.0, "gamma_b": 2.0, "gamma_bg": 1.0, "b_warmup": 0, "gamma_size": 0.0, "min_coverage": 0.25,
        "gamma_ils": 0.0,
    },
    "perturb": {"translate": 0.25, "rotate_deg": 10.0, "scale_log2": 0.1},
    "train": {
        "seed": 1, "rounds": 2, "gan_steps": 1000, "seg_steps": 500, "batch": 64, "seg_batch": 32, "lr_g": 2e-4,
        "lr_d": 2e-4, "lr_f": 1e-3, "beta1": 0.5, "beta2": 0.999, "ema": True, "ema_decay": 0.999,
        "colour_aug": True, "seg_scale_log2": 0.0, "d_augment": "none", "checkpoint_every": 500, "log_every": 25,
        "grid_columns": 8,
    },
    "monitor": {"low": 0.02, "high": 0.98, "patience": 200},
}


def fail(message):
    sys.exit(f"peer_torch: {message}")


def set_key(cfg, name, value, origin):
    """Stores one value, checked against the type of layerseg's default (a float key also takes an integer)."""
    section, _, key = name.partition(".")
    if key not in cfg.get(section, {}):
        fail(f"config {origin}: unknown key '{name}'")
    default = cfg[section][key]
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, str)
    if not ok:
        fail(f"config {origin}: {name} must be of type {type(default).__name__}, got {value!r}")
    cfg[section][key] = value


def load_config(path, overrides):
    """The TOML file over layerseg's defaults, then each --set section.key=value, as models/config.cpp reads them."""
    cfg = copy.deepcopy(DEFAULTS)
    with open(path, "rb") as f:
        for section, table in tomllib.load(f).items():
            if not isinstance(table, dict):
                fail(f"config {path}: '{section}' must be a [section]")
            for key, value in table.items():
                set_key(cfg, f"{section}.{key}", value, path)
    for assignment in overrides:
        name, eq, text = assignment.partition("=")
        if not eq or not name:
            fail(f"--set '{assignment}': expected section.key=value")
        section, _, key = name.partition(".")
        # As layerseg: a string key may be given bare (--set train.d_augment=cutout); anything else is TOML.
        bare_string = isinstance(cfg.get(section, {}).get(key), str) and not (len(text) >= 2 and text[0] in "\"'")
        try:
            value = tomllib.loads("v = " + (json.dumps(text, ensure_ascii=False) if bare_string else text))["v"]
        except tomllib.TOMLDecodeError as e:
            fail(f"--set {name}: cannot parse value '{text}': {e}")
        set_key(cfg, name, value, "--set")
    if cfg["model"]["arch"] != "lite":
        fail(f"model.arch = '{cfg['model']['arch']}': only lite exists")
    return cfg


def diff_augment_policy(text):
    """train.d_augment: "none" or a comma-separated subset of colour, translation, cutout (models/augment.h)."""
    if text == "none":
        return frozenset()
    parts = text.split(",")
    if len(set(parts)) != len(parts) or not set(parts) <= {"colour", "translation", "cutout"}:
        fail(f"train.d_augment = '{text}': use 'none' or a subset of colour, translation, cutout, each once")
    return frozenset(parts)


# ---- layers -------------------------------------------------------------------------------------------------------
def init(layer, sn):
    # torch's default weight init is layerseg's U(±1/√fan_in); layerseg starts biases at zero (core/layers.cpp).
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return spectral_norm(layer) if sn else layer


def conv(cin, cout, kernel, stride=1, pad=0, bias=True, sn=False):
    return init(nn.Conv2d(cin, cout, kernel, stride, pad, bias=bias), sn)


def linear(fin, fout, sn=False):
    return init(nn.Linear(fin, fout), sn)


def up2(x):
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def doublings(size):
    """Steps of ×2 from 4×4 to size×size."""
    n = int(math.log2(size)) - 2
    if n < 1 or 4 << n != size:
        fail(f"image size {size} must be a power of two >= 8")
    return n


# ---- the lite generator (models/lite.h) ---------------------------------------------------------------------------
MIN_WIDTH = 16  # kMinWidth of models/lite.cpp


def up_blocks(width, n):
    """n blocks {nearest ×2, conv3×3, BN, ReLU}, halving the width down to MIN_WIDTH; returns them, the last width."""
    blocks = []
    for _ in range(n):
        out = max(width // 2, MIN_WIDTH)
        blocks += [nn.Upsample(scale_factor=2, mode="nearest"), conv(width, out, 3, 1, 1, bias=False),
                   nn.BatchNorm2d(out), nn.ReLU()]
        width = out
    return nn.Sequential(*blocks), width


class GenTrunk(nn.Module):
    """linear -> [C,4,4], BN, ReLU -> up blocks to size -> conv3×3 -> out_channels."""

    def __init__(self, in_features, width, size, out_channels):
        super().__init__()
        self.width = width
        self.fc = linear(in_features, width * 16)
        self.bn = nn.BatchNorm2d(width)
        self.ups, self.out_width = up_blocks(width, doublings(size))
        self.out = conv(self.out_width, out_channels, 3, 1, 1)

    def features(self, h):
        return self.ups(F.relu(self.bn(self.fc(h).view(-1, self.width, 4, 4))))

    def forward(self, h):
        return self.out(self.features(h))


Layers = namedtuple("Layers", "x_b x_f pi")


class Generator(nn.Module):
    """G_b(z) and G_f(z, c), with bg_size's bilinear upsampling and bg_detail_start's detail branch."""

    def __init__(self, m, size):
        super().__init__()
        bg_size = m["bg_size"] or size
        self.bg_upsamplings = doublings(size) - doublings(bg_size)
        self.gb = GenTrunk(m["z_dim"], m["g_width"], bg_size, 3)
        self.gb_detail = None
        if m["bg_detail_start"] > 0:
            ups, width = up_blocks(self.gb.out_width, self.bg_upsamplings)
            self.gb_detail = nn.Sequential(ups, conv(width, 3, 3, 1, 1))
        # The detail's weight α: layerseg's buffer bg_detail_alpha, set by the trainer every G step.
        self.register_buffer("bg_detail_alpha", torch.zeros(1))
        self.embed = linear(m["c_dim"], m["embed_dim"])
        self.gf = GenTrunk(m["z_dim"] + m["embed_dim"], m["g_width"], size, 4)
        with torch.no_grad():
            self.gf.out.bias[3] = m["mask_bias"]  # the initial mask coverage, ~sigmoid(mask_bias)

    def forward(self, z, c):
        features = self.gb.features(z)
        b = self.gb.out(features)
        for _ in range(self.bg_upsamplings):
            b = up2(b)
        if self.gb_detail is not None:
            b = b + self.gb_detail(features) * self.bg_detail_alpha
        f = self.gf(torch.cat([z, self.embed(c)], 1))
        return Layers(torch.tanh(b), torch.tanh(f[:, :3]), torch.sigmoid(f[:, 3:]))


# ---- the lite critic: D and E_x on images, E_π on masks -----------------------------------------------------------
def down_stack(in_channels, width, size, sn):
    """conv4×4 stride 2 + leaky ReLU(0.2) from size down to 4×4, widths doubling from `width`."""
    layers, c = [], in_channels
    for i in range(doublings(size)):
        layers += [conv(c, width << i, 4, 2, 1, sn=sn), nn.LeakyReLU(0.2)]
        c = width << i
    return nn.Sequential(*layers), c


class Critic(nn.Module):
    def __init__(self, m, size):
        super().__init__()
        sn = m["d_spectral_norm"]
        self.trunk, c = down_stack(3, m["d_width"], size, sn)
        self.d_head = conv(c, 1, 4, sn=sn)
        self.e_x_conv = conv(c, c // 2, 3, 1, 1, sn=sn)
        self.e_x_fc = linear(c // 2 * 16, m["c_dim"], sn=sn)
        self.e_pi, c_pi = down_stack(1, m["e_pi_width"], size, False)
        self.e_pi_fc = linear(c_pi * 16, m["c_dim"])

    def forward(self, x):
        """D's logit [N,1] and E_x's output [N,c_dim], from one shared trunk."""
        h = self.trunk(x)
        return self.d_head(h).view(-1, 1), self.e_x_fc(F.leaky_relu(self.e_x_conv(h), 0.2).flatten(1))

    def encode_mask(self, pi):
        return self.e_pi_fc(self.e_pi(pi * 2 - 1).flatten(1))  # the mask centred to (−1, 1), like D's images


# ---- the U-Net F (models/unet.h) ----------------------------------------------------------------------------------
def double_conv(cin, cout):
    return nn.Sequential(conv(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                         conv(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class UNet(nn.Module):
    def __init__(self, width, size, input_size):
        super().__init__()
        levels = doublings(size)
        self.low_pass_steps = int(math.log2(size // (input_size or size)))
        self.down = nn.ModuleList(double_conv(3 if l == 0 else width << (l - 1), width << l)
                                  for l in range(levels + 1))
        self.up = nn.ModuleList(double_conv((width << (l + 1)) + (width << l), width << l) for l in range(levels))
        self.out = conv(width, 1, 1)

    def forward(self, x):
        h = x
        for _ in range(self.low_pass_steps):
            h = F.avg_pool2d(h, 2)
        for _ in range(self.low_pass_steps):
            h = up2(h)
        skips = []
        for l, block in enumerate(self.down):
            h = block(F.max_pool2d(h, 2) if l else h)
            skips.append(h)
        for l in reversed(range(len(self.up))):
            h = self.up[l](torch.cat([up2(h), skips[l]], 1))
        return self.out(h)


# ---- random draws, composition, augmentation, losses (core/perturb.h, core/ops.h, models/augment.h, losses.h) -----
Code = namedtuple("Code", "input labels")


def sample_code(n, m):
    if m["c_kind"] == "normal":
        return Code(torch.randn(n, m["c_dim"]), None)
    labels = torch.randint(m["c_dim"], (n,))
    return Code(F.one_hot(labels, m["c_dim"]).float(), labels)


def code_nll(encoder_out, code):
    if code.labels is not None:
        return F.cross_entropy(encoder_out, code.labels)
    return 0.5 * (code.input - encoder_out).pow(2).sum(1).mean()


def motion_theta(tx, ty, rot_deg, scale):
    """[n,2,3] output -> input maps of the motion p -> t + s·R(φ)·p (core/perturb.h)."""
    phi = torch.deg2rad(rot_deg)
    c, s = torch.cos(phi) / scale, torch.sin(phi) / scale
    return torch.stack([c, s, -(c * tx + s * ty), -s, c, -(-s * tx + c * ty)], 1).view(-1, 2, 3)


def perturbation_theta(n, t_max, rot_deg, log2_scale):
    eps = torch.rand(n, 4) * 2 - 1
    return motion_theta(eps[:, 0] * t_max, eps[:, 1] * t_max, eps[:, 2] * rot_deg, torch.exp2(eps[:, 3] * log2_scale))


def warp(x, theta):
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def compose_perturbed(x_b, x_f, pi, theta):
    """(image, T(π)): the object layer (x_f, π) moved by T over x_b; layerseg's one fused op."""
    moved = warp(torch.cat([x_f, pi], 1), theta)
    mask = moved[:, 3:]
    return x_b + mask * (moved[:, :3] - x_b), mask


SEGMENTATION_COLOUR = (0.2, 0.7, 1.3, 0.7, 1.3)  # brightness ±, contrast and saturation ranges of F's inputs
DIFF_AUGMENT_COLOUR = (0.5, 0.5, 1.5, 0.0, 2.0)


def colour_augment(x, ranges):
    brightness, c_lo, c_hi, s_lo, s_hi = ranges
    n = x.shape[0]
    b = torch.empty(n, 1, 1, 1).uniform_(-brightness, brightness)
    contrast = torch.empty(n, 1, 1, 1).uniform_(c_lo, c_hi)
    saturation = torch.empty(n, 1, 1, 1).uniform_(s_lo, s_hi)
    m = x.mean((1, 2, 3), keepdim=True)
    c = (x - m) * contrast + m + b
    grey = c.mean(1, keepdim=True)
    return grey + (c - grey) * saturation


def diff_augment(x, policy):
    n, s = x.shape[0], x.shape[2]
    if "colour" in policy:
        x = colour_augment(x, DIFF_AUGMENT_COLOUR)
    if "translation" in policy:
        shift = torch.randint(-(s // 8), s // 8 + 1, (2, n)).float() * 2 / s  # whole pixels, in normalised units
        zero = torch.zeros(n)
        x = warp(x, motion_theta(shift[0], shift[1], zero, zero + 1))
    if "cutout" in policy:
        side = s // 2
        start = (torch.randint(0, s, (2, n)) - side // 2).clamp(min=0)  # rows, then columns; clipped at the far edge
        at = torch.arange(s)
        inside = (at >= start[:, :, None]) & (at < start[:, :, None] + side)  # [2, n, s]
        x = x * ~(inside[0][:, None, :, None] & inside[1][:, None, None, :])
    return x


def mask_size_loss(pi, min_coverage):
    return F.relu(min_coverage - pi.mean((1, 2, 3))).mean()


def layer_independence_loss(x_b, x_f, pi):
    def club(a, b):  # the batch rolled by one pairs each sample with the next
        return (a.roll(-1, 0) - b).abs().mean() - (a - b).abs().mean()

    outside = 1 - pi
    return club(x_b * pi, x_f * pi) + club(x_f * outside, x_b * outside)


# ---- the two steps (models/trainer.cpp) ---------------------------------------------------------------------------
def check_finite(name, tensors):
    # layerseg checks each loss before its backward and each gradient before the Adam step.
    if not all(bool(torch.isfinite(t).all()) for t in tensors):
        fail(f"training diverged: {name} is not finite")


class Training:
    POOL = 512  # real images held in memory

    def __init__(self, cfg):
        self.cfg = cfg
        m, t, size = cfg["model"], cfg["train"], cfg["data"]["size"]
        self.g = Generator(m, size)
        self.d = Critic(m, size)
        self.f = UNet(m["unet_width"], size, m["unet_input_size"])
        self.g_ema = copy.deepcopy(self.g).requires_grad_(False) if t["ema"] else None
        self.synthesizer = self.g if self.g_ema is None else self.g_ema  # the weights F's pairs come from
        betas = (t["beta1"], t["beta2"])
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=t["lr_g"], betas=betas)
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=t["lr_d"], betas=betas)
        self.opt_f = torch.optim.Adam(self.f.parameters(), lr=t["lr_f"])  # layerseg: Adam's default betas for F
        self.pool = torch.rand(self.POOL, 3, size, size) * 2 - 1
        self.d_augment = diff_augment_policy(t["d_augment"])

    def real_batch(self):
        b = self.cfg["train"]["batch"]
        x = self.pool[torch.randint(self.POOL, (b,))]
        if self.cfg["data"]["flip"]:
            x = torch.where(torch.rand(b, 1, 1, 1) < 0.5, x.flip(3), x)
        return x

    def seen_by_d(self, x):
        return diff_augment(x, self.d_augment) if self.d_augment else x

    def update(self, opt, loss, name):
        check_finite(name, [loss])
        opt.zero_grad()
        loss.backward()
        check_finite(f"the gradient of {name}", [p.grad for g in opt.param_groups for p in g["params"]
                                                  if p.grad is not None])
        opt.step()

    def gan_step(self, gan_done):
        """One D update, then one G update on the same generated batch, as in round 1 (no L_bg through F)."""
        m, w, p, b = self.cfg["model"], self.cfg["loss"], self.cfg["perturb"], self.cfg["train"]["batch"]
        if m["bg_detail_start"] > 0:
            alpha = min(max((gan_done - m["bg_detail_start"]) / m["bg_detail_steps"], 0.0), 1.0)
            self.g.bg_detail_alpha.fill_(alpha)
            self.synthesizer.bg_detail_alpha.fill_(alpha)
        z = torch.randn(b, m["z_dim"])
        code = sample_code(b, m)
        layers = self.g(z, code.input)
        theta = perturbation_theta(b, p["translate"], p["rotate_deg"], p["scale_log2"])
        image, mask = compose_perturbed(*layers, theta)

        # D, E_x, E_π: real and detached fake through D as one batch of 2·batch.
        d_logit, e_x = self.d(self.seen_by_d(torch.cat([self.real_batch(), image.detach()])))
        adv_d = F.relu(1 - d_logit[:b]).mean() + F.relu(1 + d_logit[b:]).mean()
        mi_d = code_nll(e_x[b:], code) + code_nll(self.d.encode_mask(layers.pi.detach()), code)
        self.update(self.opt_d, adv_d + mi_d * w["gamma_mi"], "loss_d")

        # G_b, G_f through the frozen critic.
        self.d.requires_grad_(False)
        d_logit, e_x = self.d(self.seen_by_d(image))
        mi_g = code_nll(e_x, code) + code_nll(self.d.encode_mask(layers.pi), code)
        binarization = torch.minimum(mask, 1 - mask).mean()
        gamma_b = w["gamma_b"] * (min(1.0, gan_done / w["b_warmup"]) if w["b_warmup"] > 0 else 1.0)
        loss_g = -d_logit.mean() + mi_g * w["gamma_mi"] + binarization * gamma_b
        if w["gamma_size"] > 0:
            loss_g = loss_g + mask_size_loss(mask, w["min_coverage"]) * w["gamma_size"]
        if w["gamma_ils"] > 0:
            loss_g = loss_g + layer_independence_loss(*layers) * w["gamma_ils"]
        self.update(self.opt_g, loss_g, "loss_g")
        self.d.requires_grad_(True)

        if self.g_ema is not None:
            t = self.cfg["train"]
            decay = min(t["ema_decay"], (1 + gan_done) / (10 + gan_done))  # warmed-up decay, as layerseg
            with torch.no_grad():
                for e, p_g in zip(self.g_ema.parameters(), self.g.parameters()):
                    e.lerp_(p_g, 1 - decay)

    def seg_step(self):
        """F on a batch the (EMA) generator synthesizes, its object layer rescaled when train.seg_scale_log2 > 0."""
        m, t, p = self.cfg["model"], self.cfg["train"], self.cfg["perturb"]
        n = t["seg_batch"]
        with torch.no_grad():
            layers = self.synthesizer(torch.randn(n, m["z_dim"]), sample_code(n, m).input)
            image, mask = layers.x_b + layers.pi * (layers.x_f - layers.x_b), layers.pi
            if t["seg_scale_log2"] > 0:
                theta = perturbation_theta(n, p["translate"], p["rotate_deg"], t["seg_scale_log2"])
                image, mask = compose_perturbed(*layers, theta)
        x = colour_augment(image, SEGMENTATION_COLOUR) if t["colour_aug"] else image
        self.update(self.opt_f, F.binary_cross_entropy_with_logits(self.f(x), mask), "loss_f")


def median_ms(step, warmup, repeats):
    ms = []
    for i in range(warmup + repeats):
        t0 = time.perf_counter()
        step()
        if i >= warmup:
            ms.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(ms)


def count(module):
    return sum(p.numel() for p in module.parameters())


def main():
    ap = argparse.ArgumentParser(description="PyTorch peer of `layerseg bench --step`: one JSON line of step times")
    ap.add_argument("--config", required=True, help="layerseg TOML configuration")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("LAYERSEG_THREADS", 0))
                    or len(os.sched_getaffinity(0)),
                    help="intra-op threads [default: LAYERSEG_THREADS, else every core this process may use]")
    ap.add_argument("--repeats", type=int, default=7, help="timed steps of each kind; the median is reported")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps of each kind first")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="override a config key (repeatable)")
    args = ap.parse_args()
    if args.threads < 1 or args.repeats < 1 or args.warmup < 0:
        fail("need --threads >= 1, --repeats >= 1, --warmup >= 0")
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)  # layerseg runs one op at a time; its threads work inside each op

    cfg = load_config(args.config, args.set)
    torch.manual_seed(cfg["train"]["seed"])
    training = Training(cfg)
    print(f"peer_torch: parameters G (G_b+G_f) {count(training.g)}, D (with E_x, E_pi) {count(training.d)}, "
          f"F {count(training.f)}", file=sys.stderr)

    gan_done = itertools.count()
    gan_ms = median_ms(lambda: training.gan_step(next(gan_done)), args.warmup, args.repeats)
    seg_ms = median_ms(training.seg_step, args.warmup, args.repeats)
    t = cfg["train"]
    print(json.dumps({"config": args.config, "device": "cpu", "peer": f"pytorch {torch.__version__.split('+')[0]}",
                      "threads": args.threads, "batch": t["batch"], "seg_batch": t["seg_batch"],
                      "size": cfg["data"]["size"], "warmup": args.warmup, "repeats": args.repeats,
                      "ms_per_gan_step": round(gan_ms, 1), "ms_per_seg_step": round(seg_ms, 1)}))


if __name__ == "__main__":
    main()
