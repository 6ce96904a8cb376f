"""Rewrites a snapshot's safetensors weights as PyTorch checkpoints with torch.save, as HF did before
safetensors: pytorch_model.bin, or shards pytorch_model-0000i-of-0000n.bin with
pytorch_model.bin.index.json. An independent writer for the tests of our pytorch_model.bin reader:
safetensors is parsed here by hand (no transformers, no safetensors package), tensors are saved with
Debian's python3-torch.

  safetensors_to_pytorch_bin.py SRC_DIR OUT_DIR [--shards N] [--dtype float32|float16|bfloat16]
                                [--legacy] [--exotic]
  safetensors_to_pytorch_bin.py --jobs JOBS.json   (a list of argument lists: one process, one torch import)

--legacy writes the pre-1.6 (non-zip) format; --exotic stores one tensor as a transposed view, one as
an nn.Parameter and two as slices of one shared storage, as torch.save can.
"""
import argparse
import collections
import json
import os
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64, "I64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        body = f.read()
    out = collections.OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = torch.frombuffer(bytearray(body[start:end]), dtype=torch.uint8) if end > start else torch.empty(0, dtype=torch.uint8)
        out[name] = raw.view(DTYPES[info["dtype"]]).reshape(info["shape"]).clone()
    return out


def read_weights(folder):
    single = os.path.join(folder, "model.safetensors")
    if os.path.exists(single):
        return read_safetensors(single)
    with open(os.path.join(folder, "model.safetensors.index.json")) as f:
        shards = sorted(set(json.load(f)["weight_map"].values()))
    weights = collections.OrderedDict()
    for shard in shards:
        weights.update(read_safetensors(os.path.join(folder, shard)))
    return weights


def state_dict(tensors):
    """An OrderedDict with the `_metadata` attribute nn.Module.state_dict() attaches."""
    sd = collections.OrderedDict(tensors)
    sd._metadata = collections.OrderedDict({"": {"version": 1}})
    for name in tensors:
        sd._metadata[name.rsplit(".", 1)[0]] = {"version": 1}
    return sd


def make_exotic(weights):
    names = [n for n, t in weights.items() if t.dim() == 2]
    transposed, parameter = names[0], names[1]
    weights[transposed] = weights[transposed].t().contiguous().t()  # same values, column-major storage
    weights[parameter] = torch.nn.Parameter(weights[parameter], requires_grad=False)
    a, b = [n for n, t in weights.items() if t.dim() == 1][:2]
    shared = torch.cat([weights[a].flatten(), weights[b].flatten()])
    weights[a] = shared[: weights[a].numel()].view(weights[a].shape)
    weights[b] = shared[weights[a].numel() :].view(weights[b].shape)


def convert(argv):
    p = argparse.ArgumentParser()
    p.add_argument("src")
    p.add_argument("out")
    p.add_argument("--shards", type=int, default=1)
    p.add_argument("--dtype", choices=["float32", "float16", "bfloat16"])
    p.add_argument("--legacy", action="store_true")
    p.add_argument("--exotic", action="store_true")
    a = p.parse_args(argv)
    weights = read_weights(a.src)
    if a.dtype:
        weights = collections.OrderedDict((n, t.to(getattr(torch, a.dtype))) for n, t in weights.items())
    if a.exotic:
        make_exotic(weights)
    os.makedirs(a.out, exist_ok=True)
    kwargs = {"_use_new_zipfile_serialization": False} if a.legacy else {}
    names = list(weights)
    if a.shards == 1:
        torch.save(state_dict(weights), os.path.join(a.out, "pytorch_model.bin"), **kwargs)
        return
    per = -(-len(names) // a.shards)
    weight_map = {}
    for i in range(a.shards):
        file = f"pytorch_model-{i + 1:05d}-of-{a.shards:05d}.bin"
        part = collections.OrderedDict((n, weights[n]) for n in names[i * per : (i + 1) * per])
        torch.save(dict(part), os.path.join(a.out, file), **kwargs)  # HF saves shards as plain dicts
        weight_map.update({n: file for n in part})
    total = sum(t.numel() * t.element_size() for t in weights.values())
    with open(os.path.join(a.out, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


def main():
    if sys.argv[1:2] == ["--jobs"]:
        with open(sys.argv[2]) as f:
            for job in json.load(f):
                convert(job)
    else:
        convert(sys.argv[1:])


if __name__ == "__main__":
    main()
