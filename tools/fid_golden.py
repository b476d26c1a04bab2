#!/usr/bin/env python3
# tools/fid_golden.py — writes tests/golden/fid_inception_features.safetensors, the golden that pins the wiring of the
# C++ Inception-v3 (models/inception.h) to pytorch-fid's own FID InceptionV3 module (tests/test_fid.cpp).
# The real weights are 96 MB and not available here, so every tensor is filled by a formula that
# tests/test_fid.cpp implements identically; two formula images go through pytorch-fid's module and their 2048-d
# pool3 features are the golden.
#   python3 -m venv /tmp/fidvenv && /tmp/fidvenv/bin/pip install torch pytorch-fid
#   /tmp/fidvenv/bin/python tools/fid_golden.py            # run from the repository root
# The formula, for a tensor called NAME with n elements (element index i in row-major order):
#   h = FNV-1a 32 of NAME;  t = (i·2654435761 + h) mod 2³²;  u = ((t >> 16) mod 65536) / 65536 − 0.5  ∈ [−0.5, 0.5)
#   conv.weight = u·√(48 / fan_in) (variance 4/fan_in: a little above He scaling, so that features stay ~0.05)
#   bn.weight = 1 + 0.2u, bn.bias = 0.02u, bn.running_mean = 0.02u, bn.running_var = 1 + u;  other tensors 0
# in double, rounded once to float32. Small shifts matter: with larger ones the features of a deep random ReLU
# network hardly depend on its input, and the golden would pin less of the wiring.
# The images, [2, 3, 37, 29] (odd, not square: the resize to 299 is part of what is pinned), hold m/256 ∈ [0, 1]
# for pytorch-fid, which maps them to 2·m/256 − 1 (exact in float32), the [-1, 1] images the C++ side is given:
# image 0 is noise, m = (hash bits of NAME "image" for its 3·37·29 elements) mod 257; image 1 is a striped pattern,
# m = (16·y + 8·(c + 1)·x) mod 257 at channel c, row y, column x. Different content, so their features differ.
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fid_weights import write_safetensors  # noqa: E402

IMAGE_SHAPE = (2, 3, 37, 29)
OUT = os.path.join("tests", "golden", "fid_inception_features.safetensors")


def fnv1a32(name):
    h = 2166136261
    for byte in name.encode():
        h = ((h ^ byte) * 16777619) % 2**32
    return h


def hash_bits(name, n):
    i = np.arange(n, dtype=np.uint64)
    t = (i * np.uint64(2654435761) + np.uint64(fnv1a32(name))) & np.uint64(0xFFFFFFFF)
    return t >> np.uint64(16)


def formula(name, shape):
    n = int(np.prod(shape))
    u = (hash_bits(name, n) % np.uint64(65536)).astype(np.float64) / 65536.0 - 0.5
    if name.endswith("conv.weight"):
        v = u * np.sqrt(48.0 / float(np.prod(shape[1:])))
    elif name.endswith("bn.weight"):
        v = 1.0 + 0.2 * u
    elif name.endswith(("bn.bias", "bn.running_mean")):
        v = 0.02 * u
    elif name.endswith("bn.running_var"):
        v = 1.0 + u
    else:
        v = np.zeros(n)
    return v.astype(np.float32).reshape(shape)


def golden_images():
    """The two images as m ∈ [0, 256] (see the file comment)."""
    _, c, h, w = IMAGE_SHAPE
    noise = hash_bits("image", c * h * w) % np.uint64(257)
    ch, y, x = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
    pattern = (16 * y + 8 * (ch + 1) * x) % 257
    return np.stack([noise.reshape(c, h, w), pattern]).astype(np.float32)


def main():
    import torch
    import pytorch_fid.inception as fid_inception

    # pytorch-fid builds torchvision's Inception3, swaps in its FID blocks, then loads the downloaded state_dict: hand
    # it the formula's state_dict instead (same names and shapes: the FID blocks only change the forward).
    def formula_state_dict(*args, **kwargs):
        import torchvision

        ref = torchvision.models.inception_v3(weights=None, aux_logits=False, num_classes=1008, init_weights=False)
        return {k: torch.from_numpy(formula(k, tuple(v.shape))).to(v.dtype) for k, v in ref.state_dict().items()}

    fid_inception.load_state_dict_from_url = formula_state_dict
    model = fid_inception.InceptionV3([3], resize_input=True, normalize_input=True, use_fid_inception=True).eval()
    images = torch.from_numpy(golden_images() / np.float32(256.0))
    with torch.no_grad():
        features = model(images)[0].reshape(IMAGE_SHAPE[0], -1).numpy()
    spread = (features[0] - features[1]).std() / features.std()
    print(f"features {features.shape}: mean {features.mean():.4f}, std {features.std():.4f}, "
          f"max {features.max():.4f}; image 0 vs 1 differ by {spread:.3f} std")
    write_safetensors(OUT, {"features": features},
                      {"source": f"tools/fid_golden.py, torch {torch.__version__}, pytorch-fid InceptionV3"})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
