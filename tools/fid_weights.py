#!/usr/bin/env python3
# tools/fid_weights.py — converts pytorch-fid's Inception-v3 weights (pt_inception-2015-12-05-6726825d.pth) into a
# safetensors file that `layerseg fid --weights FILE` reads (models/inception.h, docs/FID.md).
#   python3 tools/fid_weights.py pt_inception-2015-12-05-6726825d.pth pt_inception.safetensors
# Needs PyTorch (only to unpickle the .pth; a tool, never used by the build or the tests). It keeps every tensor of
# the convolution stack (Conv2d_* and Mixed_*: each BasicConv2d's conv.weight and bn.{weight,bias,running_mean,
# running_var}) under PyTorch's names, as float32; the classifier (fc.*) and num_batches_tracked are dropped. The C++
# side checks every name and shape and folds the batch-norms itself.
import argparse
import json
import struct

import numpy as np


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: float32 ndarray} as safetensors: 8-byte little-endian header length, JSON header (padded with
    spaces to a multiple of 8), raw little-endian data in header order."""
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def is_network_tensor(name):
    return name.startswith(("Conv2d_", "Mixed_")) and not name.endswith("num_batches_tracked")


def main():
    parser = argparse.ArgumentParser(description="pytorch-fid Inception-v3 .pth -> safetensors for `layerseg fid`")
    parser.add_argument("pth", help="pytorch-fid's pt_inception-2015-12-05-6726825d.pth")
    parser.add_argument("out", help="safetensors file to write")
    args = parser.parse_args()
    import torch  # only here: write_safetensors is also used by tools/fid_golden.py

    state = torch.load(args.pth, map_location="cpu", weights_only=True)
    tensors = {k: v.detach().float().numpy() for k, v in state.items() if is_network_tensor(k)}
    if not any(k.startswith("Mixed_7c.") for k in tensors):
        raise SystemExit(f"{args.pth}: no Mixed_7c tensors; is this pytorch-fid's Inception-v3 state_dict?")
    write_safetensors(args.out, tensors, {"source": "pytorch-fid pt_inception-2015-12-05-6726825d.pth"})
    print(f"wrote {len(tensors)} tensors ({sum(v.size for v in tensors.values())} floats) to {args.out}")


if __name__ == "__main__":
    main()
