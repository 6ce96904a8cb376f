#!/usr/bin/env python3
"""Independent Llama / Qwen2 forward pass (HF LlamaForCausalLM / Qwen2ForCausalLM semantics) in plain PyTorch.

Written from the published architecture (Touvron et al. 2023; HF's modeling_llama.py and
modeling_qwen2.py; the rope_scaling formulas of modeling_rope_utils.py) without transformers or
safetensors: the weights are parsed with json + struct and torch.frombuffer, and everything is
computed in float64 as a reference for the TypeScript implementation's tests. Nothing here is
shared with the TypeScript code.

usage: llama_reference.py SNAPSHOT_DIR INPUTS_JSON OUTPUT_JSON [SNAPSHOT_DIR INPUTS_JSON OUTPUT_JSON ...]
  INPUTS_JSON  {"input_ids": [[...], ...], "attention_mask": [[...], ...] or null,
                "greedy_new_tokens": N (optional: also decode N tokens greedily, recomputing everything)}
  OUTPUT_JSON  {"shape": [B, T, V], "logits": [flat float list, row-major], "greedy": [[...], ...]}
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


def inverse_frequencies(cfg, head_dim):
    """RoPE frequencies base^(-2i/d), then the rope_scaling rule of the config (float64)."""
    scaling = cfg.get("rope_parameters") or cfg.get("rope_scaling") or {}
    base = scaling.get("rope_theta", cfg.get("rope_theta", 10000.0))
    inv = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if kind in ("default", "dynamic"):  # dynamic NTK equals the default up to max_position_embeddings
        return inv
    if kind == "linear":  # position interpolation: positions / factor
        return inv / scaling["factor"]
    if kind == "llama3":
        factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        wavelength = 2 * math.pi / inv
        out = []
        for f, wl in zip(inv.tolist(), wavelength.tolist()):
            if wl < old / high:
                out.append(f)
            elif wl > old / low:
                out.append(f / factor)
            else:
                s = (old / wl - low) / (high - low)
                out.append((1 - s) * f / factor + s * f)
        return torch.tensor(out, dtype=torch.float64)
    raise ValueError(f"unsupported rope type {kind}")


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rms_norm(x, weight, eps):
    return weight * (x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps))


def forward(w, cfg, ids, mask):
    B, T = ids.shape
    H = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads") or nh
    hd = cfg.get("head_dim") or H // nh
    eps = cfg.get("rms_norm_eps", 1e-6)
    get = lambda name: w.get(name)  # biases are present only where the architecture has them

    positions = (mask.cumsum(-1) - 1).clamp(min=0).double()
    angles = positions[..., None] * inverse_frequencies(cfg, hd)
    emb = torch.cat((angles, angles), dim=-1)[:, None]  # [B, 1, T, hd]
    cos, sin = emb.cos(), emb.sin()
    allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))[None, None] & mask.bool()[:, None, None, :]

    x = w["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        proj = lambda n, heads: F.linear(h, w[p + f"self_attn.{n}.weight"], get(p + f"self_attn.{n}.bias")).view(B, T, heads, hd).transpose(1, 2)
        q, k, v = proj("q_proj", nh), proj("k_proj", nkv), proj("v_proj", nkv)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        group = nh // nkv
        k = torch.repeat_interleave(k, group, dim=1)  # query head j uses key/value head j // group
        v = torch.repeat_interleave(v, group, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        probs = torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1).nan_to_num(0.0)
        attn = (probs @ v).transpose(1, 2).reshape(B, T, nh * hd)
        x = x + F.linear(attn, w[p + "self_attn.o_proj.weight"], get(p + "self_attn.o_proj.bias"))
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        lin = lambda n, inp: F.linear(inp, w[p + f"mlp.{n}.weight"], get(p + f"mlp.{n}.bias"))
        gate = lin("gate_proj", h)
        x = x + lin("down_proj", gate * torch.sigmoid(gate) * lin("up_proj", h))
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else w["lm_head.weight"]
    return F.linear(x, head)


def run(folder, inputs_path, output_path):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    with open(inputs_path) as f:
        inputs = json.load(f)
    ids = torch.tensor(inputs["input_ids"], dtype=torch.long)
    mask = torch.tensor(inputs.get("attention_mask") or [[1] * ids.shape[1]] * ids.shape[0], dtype=torch.long)
    weights = read_weights(folder)
    with torch.no_grad():
        logits = forward(weights, cfg, ids, mask)
        greedy = []
        for _ in range(inputs.get("greedy_new_tokens") or 0):
            nxt = forward(weights, cfg, ids, mask)[:, -1].argmax(-1)
            greedy.append(nxt)
            ids = torch.cat([ids, nxt[:, None]], 1)
            mask = torch.cat([mask, torch.ones_like(nxt)[:, None]], 1)
    out = {"shape": list(logits.shape), "logits": logits.reshape(-1).tolist()}
    if greedy:
        out["greedy"] = torch.stack(greedy, 1).tolist()
    with open(output_path, "w") as f:
        json.dump(out, f)


def main():
    args = sys.argv[1:]
    if not args or len(args) % 3 != 0:
        sys.exit(__doc__)
    for i in range(0, len(args), 3):
        run(*args[i : i + 3])


if __name__ == "__main__":
    main()
