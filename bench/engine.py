"""Side-by-side reference for bench/engine.ts: the same work in eager PyTorch (Debian's python3-torch).

Prints one JSON object. Run by the TypeScript benchmark with the same thread settings.
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

from timing import best_time


def matmul_gflops(n):
    a, b = torch.randn(n, n), torch.randn(n, n)
    # The same run counts as bench/engine.ts's matmulRepeats (≈ equal total time per size).
    t = best_time(lambda: torch.matmul(a, b), math.ceil(5 * (2048 / n) ** 2))
    return 2 * n**3 / t / 1e9


def op_overhead_us(count=20000):
    x = torch.ones(4)
    def loop():
        for _ in range(count):
            x.add(1.0)
    return best_time(loop, 3) / count * 1e6


def block_step_ms(cfg):
    torch.manual_seed(0)
    B, T, C, H, L, V = cfg["batch"], cfg["seq"], cfg["hidden"], cfg["heads"], cfg["layers"], cfg["vocab"]
    D = C // H
    params = {"emb": torch.randn(V, C) * 0.02, "out": torch.randn(V, C) * 0.02}
    for l in range(L):
        params[f"ln{l}w"], params[f"ln{l}b"] = torch.ones(C), torch.zeros(C)
        params[f"qkv{l}"], params[f"qkvb{l}"] = torch.randn(3 * C, C) * 0.02, torch.zeros(3 * C)
        params[f"o{l}"], params[f"ob{l}"] = torch.randn(C, C) * 0.02, torch.zeros(C)
        params[f"up{l}"], params[f"upb{l}"] = torch.randn(4 * C, C) * 0.02, torch.zeros(4 * C)
        params[f"dn{l}"], params[f"dnb{l}"] = torch.randn(C, 4 * C) * 0.02, torch.zeros(C)
    for p in params.values():
        p.requires_grad_(True)
    opt = torch.optim.AdamW(params.values(), lr=1e-4)
    idx = torch.randint(0, V, (B, T))
    causal = torch.ones(T, T, dtype=torch.bool).tril()

    def step():
        x = F.embedding(idx, params["emb"])
        for l in range(L):
            h = F.layer_norm(x, (C,), params[f"ln{l}w"], params[f"ln{l}b"])
            qkv = F.linear(h, params[f"qkv{l}"], params[f"qkvb{l}"]).view(B, T, H, 3 * D).permute(0, 2, 1, 3)
            q, k, v = qkv.split(D, dim=-1)
            att = (q @ k.transpose(-2, -1)) * (1.0 / D**0.5)
            att = att.masked_fill(~causal, float("-inf")).softmax(-1)
            y = (att @ v).permute(0, 2, 1, 3).reshape(B, T, C)
            a = F.linear(y, params[f"o{l}"], params[f"ob{l}"])
            m = F.linear(F.gelu(F.linear(h, params[f"up{l}"], params[f"upb{l}"])), params[f"dn{l}"], params[f"dnb{l}"])
            x = x + a + m
        logits = F.linear(x, params["out"])
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), idx[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return best_time(step, cfg["repeats"]) * 1e3


def token_scores_ms(rows, vocab, backward, repeats):
    """Log-probs of targets and entropies from logits [rows, vocab], as eager PyTorch code writes it
    (TRL's selective log-softmax and entropy_from_logits): log_softmax, gather, exp·logp sum."""
    torch.manual_seed(0)
    logits = (torch.randn(rows, vocab) * 3).requires_grad_(backward)
    targets = torch.randint(0, vocab, (rows,))

    def step():
        with torch.set_grad_enabled(backward):
            logp = logits.log_softmax(-1)
            lp = logp.gather(-1, targets[:, None]).squeeze(-1)
            entropy = -(logp.exp() * logp).sum(-1)
            if backward:
                logits.grad = None
                (lp.sum() + 0.01 * entropy.sum()).backward()

    return best_time(step, repeats) * 1e3


def main():
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(spec["threads"])
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "matmul": {}, "block": {}}
    for n in spec["sizes"]:
        out["matmul"][str(n)] = matmul_gflops(n)
    out["op_overhead_us"] = op_overhead_us()
    for name, cfg in spec["blocks"].items():
        out["block"][name] = block_step_ms(cfg)
    out["token_scores"] = {
        c["name"]: token_scores_ms(c["rows"], c["vocab"], c["backward"], c["repeats"]) for c in spec["token_scores"]
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
