#!/usr/bin/env python3
"""Independent GPT-NeoX forward pass (HF GPTNeoXForCausalLM semantics) in plain PyTorch.

Written from HF's modeling_gpt_neox.py without transformers or safetensors: the weights are parsed
with json + struct and torch.frombuffer, and everything is computed in float64 as a reference for
the TypeScript implementation's tests.

usage: gptneox_reference.py SNAPSHOT_DIR INPUTS_JSON OUTPUT_JSON [SNAPSHOT_DIR INPUTS_JSON OUTPUT_JSON ...]
  INPUTS_JSON  {"input_ids": [[...], ...], "attention_mask": [[...], ...] (optional)}
  OUTPUT_JSON  {"shape": [B, T, V], "logits": [flat float list, row-major]}
Several triples run in one process (importing torch dominates the run time).
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}


def read_safetensors(path):
    """All tensors of one safetensors file as float64, by name."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    header.pop("__metadata__", None)
    start = 8 + header_len
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        raw = bytearray(data[start + begin : start + end])
        t = torch.frombuffer(raw, dtype=DTYPES[info["dtype"]]) if raw else torch.zeros(0)
        out[name] = t.reshape(info["shape"]).double()
    return out


def read_weights(folder):
    single = os.path.join(folder, "model.safetensors")
    if os.path.exists(single):
        return read_safetensors(single)
    with open(os.path.join(folder, "model.safetensors.index.json")) as f:
        shards = sorted(set(json.load(f)["weight_map"].values()))
    weights = {}
    for shard in shards:
        weights.update(read_safetensors(os.path.join(folder, shard)))
    return weights


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rotary(x, cos, sin, rot):
    x_rot, x_pass = x[..., :rot], x[..., rot:]
    return torch.cat((x_rot * cos + rotate_half(x_rot) * sin, x_pass), dim=-1)


def activation(name):
    if name == "gelu":
        return lambda x: F.gelu(x)
    if name in ("gelu_new", "gelu_fast", "gelu_pytorch_tanh"):
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    raise ValueError(f"unsupported hidden_act {name}")


def forward(w, cfg, ids, mask):
    B, T = ids.shape
    H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    hd = H // nh
    rot = int(hd * cfg.get("rotary_pct", 0.25))
    eps = cfg.get("layer_norm_eps", 1e-5)
    act = activation(cfg.get("hidden_act", "gelu"))
    bias = lambda name: w.get(name)  # attention biases are absent when attention_bias is false

    positions = (mask.cumsum(-1) - 1).clamp(min=0).double()
    inv_freq = 1.0 / (cfg.get("rotary_emb_base", 10000) ** (torch.arange(0, rot, 2, dtype=torch.float64) / rot))
    angles = positions[..., None] * inv_freq
    emb = torch.cat((angles, angles), dim=-1)[:, None]  # [B, 1, T, rot]
    cos, sin = emb.cos(), emb.sin()
    allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))[None, None] & mask.bool()[:, None, None, :]

    x = w["gpt_neox.embed_in.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = f"gpt_neox.layers.{i}."
        ln = lambda h, n: F.layer_norm(h, (H,), w[p + n + ".weight"], w[p + n + ".bias"], eps)
        qkv = F.linear(ln(x, "input_layernorm"), w[p + "attention.query_key_value.weight"], bias(p + "attention.query_key_value.bias"))
        qkv = qkv.view(B, T, nh, 3 * hd).permute(0, 2, 1, 3)
        q = apply_rotary(qkv[..., :hd], cos, sin, rot)
        k = apply_rotary(qkv[..., hd : 2 * hd], cos, sin, rot)
        v = qkv[..., 2 * hd :]
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        probs = torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1).nan_to_num(0.0)
        attn = (probs @ v).permute(0, 2, 1, 3).reshape(B, T, H)
        attn = F.linear(attn, w[p + "attention.dense.weight"], bias(p + "attention.dense.bias"))
        mlp = lambda h: F.linear(
            act(F.linear(h, w[p + "mlp.dense_h_to_4h.weight"], w[p + "mlp.dense_h_to_4h.bias"])),
            w[p + "mlp.dense_4h_to_h.weight"],
            w[p + "mlp.dense_4h_to_h.bias"],
        )
        if cfg.get("use_parallel_residual", True):
            x = x + attn + mlp(ln(x, "post_attention_layernorm"))
        else:
            h = x + attn
            x = h + mlp(ln(h, "post_attention_layernorm"))
    x = F.layer_norm(x, (H,), w["gpt_neox.final_layer_norm.weight"], w["gpt_neox.final_layer_norm.bias"], eps)
    head = w["gpt_neox.embed_in.weight"] if cfg.get("tie_word_embeddings", False) else w["embed_out.weight"]
    return F.linear(x, head)


def run(folder, inputs_path, output_path):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    with open(inputs_path) as f:
        inputs = json.load(f)
    ids = torch.tensor(inputs["input_ids"], dtype=torch.long)
    mask = torch.tensor(inputs.get("attention_mask") or [[1] * ids.shape[1]] * ids.shape[0], dtype=torch.long)
    with torch.no_grad():
        logits = forward(read_weights(folder), cfg, ids, mask)
    with open(output_path, "w") as f:
        json.dump({"shape": list(logits.shape), "logits": logits.reshape(-1).tolist()}, f)


def main():
    args = sys.argv[1:]
    if not args or len(args) % 3 != 0:
        sys.exit(__doc__)
    for i in range(0, len(args), 3):
        run(*args[i : i + 3])


if __name__ == "__main__":
    main()
