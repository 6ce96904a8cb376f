"""Side-by-side reference for bench/model.ts: the same GPT-NeoX models in eager PyTorch (python3-torch).

The architecture follows scripts/reference/gptneox_reference.py (HF GPTNeoXForCausalLM semantics:
fused per-head QKV, partial rotary with rotate_half, parallel or sequential residual, padding mask,
positions from the mask), here in float32 with autograd, and the weights come from the safetensors
snapshot the TypeScript side saved, so both sides run identical models on identical inputs.

Measured per model, each best-of-N on request (see Server):
  sample cached   sampling with a KV cache written here (prefill, then one position per step)
  sample naive    the usual naive eager loop: the whole growing sequence through the model every
                  step (all logits, `model(ids).logits[:, -1]`), no cache
  train           forward + cross-entropy + backward + AdamW (torch.optim.AdamW, the same lr / decay)
usage: model.py '{"threads": N, "device": "cpu"}' (device optional: "cuda" for scripts/gpu-check.sh), then
JSON commands on stdin. Started by bench/model.ts with the
same thread settings and environment.
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

from timing import best_time, best_times

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}


def read_safetensors(path):
    """All tensors of one safetensors file as float32, by name."""
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
        out[name] = t.reshape(info["shape"]).float().clone()
    return out


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rotary(x, cos, sin, rot):
    x_rot, x_pass = x[..., :rot], x[..., rot:]
    return torch.cat((x_rot * cos + rotate_half(x_rot) * sin, x_pass), dim=-1)


class GPTNeoX:
    """GPT-NeoX causal LM over a dict of HF-named float32 tensors (eager, functional)."""

    def __init__(self, folder, device="cpu"):
        with open(os.path.join(folder, "config.json")) as f:
            cfg = json.load(f)
        self.w = {k: v.to(device) for k, v in read_safetensors(os.path.join(folder, "model.safetensors")).items()}
        self.H, self.nh = cfg["hidden_size"], cfg["num_attention_heads"]
        self.hd = self.H // self.nh
        self.rot = int(self.hd * cfg.get("rotary_pct", 0.25))
        self.eps = cfg.get("layer_norm_eps", 1e-5)
        self.layers = cfg["num_hidden_layers"]
        self.parallel = cfg.get("use_parallel_residual", True)
        self.gelu_approx = "none" if cfg.get("hidden_act", "gelu") == "gelu" else "tanh"
        base = cfg.get("rotary_emb_base", 10000)
        self.inv_freq = (1.0 / (base ** (torch.arange(0, self.rot, 2, dtype=torch.float32) / self.rot))).to(device)
        # A reward-model snapshot (bench/online.py) has a score head instead of embed_out.
        self.head = self.w["gpt_neox.embed_in.weight"] if cfg.get("tie_word_embeddings", False) else self.w.get("embed_out.weight")

    def parameters(self):
        return list(self.w.values())

    def rotary(self, positions):
        angles = positions.float()[..., None] * self.inv_freq
        emb = torch.cat((angles, angles), dim=-1)[:, None]  # [B, 1, T, rot]
        return emb.cos(), emb.sin()

    def ln(self, x, name):
        return F.layer_norm(x, (self.H,), self.w[name + ".weight"], self.w[name + ".bias"], self.eps)

    def trunk(self, ids, mask, past=None, static=None):
        """ids [B, T], mask [B, T_past + T] → hidden [B, T, H] and the per-layer (k, v) cache.

        static=(buffers, P): a preallocated cache (per layer (k, v) [B, heads, S, head_dim]) holding
        P positions; the T new ones are written in place at P … P + T − 1 and attention reads the
        filled P + T positions (views, no copy): the static cache a careful eager user writes."""
        w, B, T = self.w, ids.shape[0], ids.shape[1]
        P = static[1] if static is not None else 0 if past is None else past[0][0].shape[2]
        positions = (mask.cumsum(-1) - 1).clamp(min=0)[:, P:]
        cos, sin = self.rotary(positions)
        causal = torch.ones(T, P + T, dtype=torch.bool, device=ids.device).tril(P)
        allowed = causal[None, None] & mask.bool()[:, None, None, :]
        x = F.embedding(ids, w["gpt_neox.embed_in.weight"])
        cache = []
        for i in range(self.layers):
            p = f"gpt_neox.layers.{i}."
            qkv = F.linear(self.ln(x, p + "input_layernorm"), w[p + "attention.query_key_value.weight"], w.get(p + "attention.query_key_value.bias"))
            qkv = qkv.view(B, T, self.nh, 3 * self.hd).permute(0, 2, 1, 3)
            q = apply_rotary(qkv[..., : self.hd], cos, sin, self.rot)
            k = apply_rotary(qkv[..., self.hd : 2 * self.hd], cos, sin, self.rot)
            v = qkv[..., 2 * self.hd :]
            if static is not None:
                kb, vb = static[0][i]
                kb[:, :, P : P + T] = k
                vb[:, :, P : P + T] = v
                k, v = kb[:, :, : P + T], vb[:, :, : P + T]
            elif past is not None:
                k = torch.cat((past[i][0], k), dim=2)
                v = torch.cat((past[i][1], v), dim=2)
            cache.append((k, v))
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd)
            # HF eager style: the most negative float (not −∞) keeps fully padded query rows finite.
            probs = torch.softmax(scores.masked_fill(~allowed, torch.finfo(scores.dtype).min), dim=-1)
            attn = (probs @ v).permute(0, 2, 1, 3).reshape(B, T, self.H)
            attn = F.linear(attn, w[p + "attention.dense.weight"], w.get(p + "attention.dense.bias"))

            def mlp(h):
                up = F.linear(h, w[p + "mlp.dense_h_to_4h.weight"], w[p + "mlp.dense_h_to_4h.bias"])
                return F.linear(F.gelu(up, approximate=self.gelu_approx), w[p + "mlp.dense_4h_to_h.weight"], w[p + "mlp.dense_4h_to_h.bias"])

            if self.parallel:
                x = x + attn + mlp(self.ln(x, p + "post_attention_layernorm"))
            else:
                h = x + attn
                x = h + mlp(self.ln(h, p + "post_attention_layernorm"))
        return self.ln(x, "gpt_neox.final_layer_norm"), cache

    def logits(self, ids, mask):
        return F.linear(self.trunk(ids, mask)[0], self.head)


class Trainer:
    """AdamW training on one batch (torch.optim.AdamW with the TypeScript side's lr and decay)."""

    def __init__(self, model, ids):
        self.model, self.ids = model, ids
        self.mask = torch.ones_like(ids)
        self.targets = ids[:, 1:].reshape(-1)
        self.params = model.parameters()
        self.opt = torch.optim.AdamW(self.params, lr=1e-4, weight_decay=0.01)
        self.first_loss = None
        for t in self.params:  # sampling runs under no_grad, so this can stay on
            t.requires_grad_(True)

    def step(self):
        V = self.model.head.shape[0]
        logits = self.model.logits(self.ids, self.mask)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), self.targets)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        value = loss.item()
        if self.first_loss is None:
            self.first_loss = value


def sample(model, ids, mask, new_tokens, seed, cached):
    """Temperature-1 sampling of new_tokens per row; returns tokens [B, N] and their log-probs.
    cached: False (the whole sequence every step), True (a cache grown by cat) or "static"."""
    gen = torch.Generator().manual_seed(seed)
    # Inverse-CDF sampling from uniforms drawn up front, as src/models/sampling/generate.ts does.
    uniforms = torch.rand((ids.shape[0], new_tokens), generator=gen, dtype=torch.float64).to(ids.device)
    tokens, logps = [], []
    past = None
    if cached == "static":
        B, S = ids.shape[0], ids.shape[1] + new_tokens
        shape = (B, model.nh, S, model.hd)
        buffers = [(torch.empty(shape, device=ids.device), torch.empty(shape, device=ids.device)) for _ in range(model.layers)]
        # The mask over every position up front (generated tokens are real); each step reads a prefix.
        full_mask = torch.cat((mask, torch.ones(B, new_tokens, dtype=mask.dtype, device=ids.device)), dim=1)
    for step in range(new_tokens):
        if cached == "static":
            P = 0 if step == 0 else ids.shape[1] + step - 1
            new = ids if step == 0 else tokens[-1]
            hidden, _ = model.trunk(new, full_mask[:, : P + new.shape[1]], static=(buffers, P))
            logits = F.linear(hidden[:, -1], model.head)
        elif cached:
            hidden, past = model.trunk(ids if step == 0 else tokens[-1], mask, past)
            logits = F.linear(hidden[:, -1], model.head)
        else:
            logits = model.logits(ids, mask)[:, -1]
        cdf = logits.softmax(-1).double().cumsum(-1)
        u = uniforms[:, step : step + 1].clamp(2**-53, 1 - 2**-50)
        token = (cdf <= u * cdf[:, -1:]).sum(-1, keepdim=True)
        tokens.append(token)
        logps.append(logits.log_softmax(-1).gather(-1, token))
        if cached != "static":
            mask = torch.cat((mask, torch.ones_like(mask[:, :1])), dim=1)
        if not cached:
            ids = torch.cat((ids, token), dim=1)
    return torch.cat(tokens, 1), torch.cat(logps, 1)


class Server:
    """Answers one JSON command per stdin line with one JSON line, so that the TypeScript side can
    interleave its own measurements with these (load on a shared machine drifts over seconds)."""

    def __init__(self, device="cpu"):
        self.models = {}
        self.device = device

    def load(self, cmd):
        with open(cmd["inputs"]) as f:
            inputs = json.load(f)
        model = GPTNeoX(cmd["dir"], self.device)
        self.models[cmd["name"]] = {
            "model": model,
            "prompt_ids": torch.tensor(inputs["prompt_ids"], dtype=torch.long, device=self.device),
            "prompt_mask": torch.tensor(inputs["prompt_mask"], dtype=torch.long, device=self.device),
            "trainer": Trainer(model, torch.tensor(inputs["train_ids"], dtype=torch.long, device=self.device)),
        }
        return {"params": sum(t.numel() for t in model.parameters())}

    def sample(self, cmd):
        m = self.models[cmd["name"]]
        def run():
            out = sample(m["model"], m["prompt_ids"], m["prompt_mask"], cmd["new_tokens"], cmd["seed"], cmd["cached"])
            if self.device.startswith("cuda"):
                torch.cuda.synchronize()  # time the work, not its launch
            return out

        with torch.no_grad():
            if cmd.get("tokens"):
                return {"tokens": run()[0].tolist()}
            wall, cpu = best_times(run, cmd["repeats"], cmd["warmup"])
            return {"seconds": wall, "cpu_seconds": cpu}

    def train(self, cmd):
        t = self.models[cmd["name"]]["trainer"]
        ms = best_time(t.step, cmd["repeats"], cmd["warmup"]) * 1e3
        return {"ms": ms, "first_loss": t.first_loss}

    def serve(self):
        for line in sys.stdin:
            cmd = json.loads(line)
            if cmd["op"] == "quit":
                break
            print(json.dumps(getattr(self, cmd["op"])(cmd)), flush=True)


def main():
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(spec["threads"])
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    Server(spec.get("device", "cpu")).serve()


if __name__ == "__main__":
    main()
