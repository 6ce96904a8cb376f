"""Side-by-side reference for bench/online.ts: one RLOO step (k samples per prompt, the k1 KL
penalty in the reward) written as a plain eager PyTorch script (python3-torch), on the safetensors
snapshots the TypeScript side saved (policy, whose copy is the frozen reference, and a reward model).

One step, timed in three phases:
  sample  sampling over a static KV cache at temperature T from the prompts, by inverse CDF from the given
          uniforms (the same noise as the TypeScript side, so the first rollouts agree), stopping
          a row at EOS (0) and padding it with EOS
  score   log pi_old and its exact entropy, log pi_ref at the response positions (LM head on those
          positions only), the reward model at each row's last real token; rewards
          r - beta * sum_t (log pi_old - log pi_ref)
  update  RLOO advantages (return minus the mean of the other k-1 samples of the prompt), the
          clipped-ratio loss as a mean over response tokens, backward, clip_grad_norm_, AdamW
The model is bench/model.py's eager GPT-NeoX (HF semantics), not the TypeScript code.
usage: online.py '{"threads": N, "policy": DIR, "reward": DIR, "inputs": FILE, ...}', then JSON
commands on stdin (started by bench/online.ts).
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

from model import GPTNeoX

EOS = 0


def response_scores(model, ids, mask, prompt_len, temperature, entropy):
    """log pi(y_t | x, y_<t) [B, R] at the temperature (and the exact entropy), LM head on response positions only."""
    hidden = model.trunk(ids, mask)[0][:, prompt_len - 1 : -1]
    logp_all = (F.linear(hidden, model.head) / temperature).log_softmax(-1)
    logp = logp_all.gather(-1, ids[:, prompt_len:, None]).squeeze(-1)
    ent = -(logp_all.exp() * logp_all).sum(-1) if entropy else None
    return logp, ent


class Step:
    def __init__(self, spec):
        with open(spec["inputs"]) as f:
            inputs = json.load(f)
        self.spec = spec
        self.policy = GPTNeoX(spec["policy"])
        self.reference = GPTNeoX(spec["policy"])
        self.reward = GPTNeoX(spec["reward"])
        self.score_head = self.reward.w["score.weight"]
        self.prompt_ids = torch.tensor(inputs["prompt_ids"], dtype=torch.long)
        self.prompt_mask = torch.tensor(inputs["prompt_mask"], dtype=torch.long)
        self.noise = torch.tensor(inputs["noise"], dtype=torch.float64)
        self.params = self.policy.parameters()
        for t in self.params:
            t.requires_grad_(True)
        self.opt = torch.optim.AdamW(self.params, lr=spec["lr"], weight_decay=spec["weight_decay"])
        self.first_loss = None
        self.first_reward = None
        self.first_tokens = None

    @torch.no_grad()
    def sample(self):
        m, T = self.policy, self.spec["temperature"]
        # A static KV cache (preallocated, written in place; bench/model.py's trunk(static=...)).
        B, P = self.prompt_ids.shape
        N = self.noise.shape[1]
        shape = (B, m.nh, P + N, m.hd)
        dev = self.prompt_ids.device
        buffers = [(torch.empty(shape, device=dev), torch.empty(shape, device=dev)) for _ in range(m.layers)]
        mask = torch.cat((self.prompt_mask, torch.ones(B, N, dtype=self.prompt_mask.dtype, device=dev)), dim=1)
        hidden, _ = m.trunk(self.prompt_ids, mask[:, :P], static=(buffers, 0))
        logits = F.linear(hidden[:, -1], m.head)
        done = torch.zeros(mask.shape[0], dtype=torch.bool)
        tokens, valid = [], []
        for step in range(self.noise.shape[1]):
            cdf = (logits / T).softmax(-1).double().cumsum(-1)
            u = self.noise[:, step : step + 1].clamp(2**-53, 1 - 2**-50)
            token = (cdf <= u * cdf[:, -1:]).sum(-1)
            token = torch.where(done, torch.full_like(token, EOS), token)
            valid.append(~done)
            tokens.append(token)
            done = done | (token == EOS)
            if step + 1 == self.noise.shape[1] or bool(done.all()):
                break
            hidden, _ = m.trunk(token[:, None], mask[:, : P + step + 1], static=(buffers, P + step))
            logits = F.linear(hidden[:, -1], m.head)
        return torch.stack(tokens, 1), torch.stack(valid, 1).float()

    @torch.no_grad()
    def score(self, tokens, response_mask):
        T, P = self.spec["temperature"], self.prompt_ids.shape[1]
        ids = torch.cat((self.prompt_ids, tokens), 1)
        mask = torch.cat((self.prompt_mask.float(), response_mask), 1)
        old, old_entropy = response_scores(self.policy, ids, mask, P, T, entropy=True)
        ref, _ = response_scores(self.reference, ids, mask, P, T, entropy=False)
        old, old_entropy, ref = old * response_mask, old_entropy * response_mask, ref * response_mask
        hidden = self.reward.trunk(ids, mask)[0]
        last = mask.shape[1] - 1 - mask.flip(1).argmax(1)
        scores = (hidden[torch.arange(ids.shape[0]), last] @ self.score_head.T).squeeze(-1).double()
        non_score = -self.spec["kl_coef"] * (old - ref) * response_mask
        return ids, mask, old, scores, non_score

    def update(self, ids, mask, response_mask, old, scores, non_score):
        k, clip = self.spec["k"], self.spec["clip"]
        returns = (scores + non_score.sum(1)).float().view(-1, k)
        baseline = (returns.sum(1, keepdim=True) - returns) / (k - 1)
        advantages = ((returns - baseline).view(-1, 1) * response_mask).to(old.dtype)
        logp, _ = response_scores(self.policy, ids, mask, self.prompt_ids.shape[1], self.spec["temperature"], entropy=False)
        ratio = (logp * response_mask - old).exp()
        per_token = torch.maximum(-advantages * ratio, -advantages * ratio.clamp(1 - clip, 1 + clip))
        loss = (per_token * response_mask).sum() / response_mask.sum()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, self.spec["max_grad_norm"])
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        return loss.item()

    def step(self):
        t0 = time.perf_counter()
        tokens, response_mask = self.sample()
        t1 = time.perf_counter()
        ids, mask, old, scores, non_score = self.score(tokens, response_mask)
        reward = scores.mean().item()
        t2 = time.perf_counter()
        loss = self.update(ids, mask, response_mask, old, scores, non_score)
        t3 = time.perf_counter()
        if self.first_loss is None:
            self.first_loss, self.first_reward, self.first_tokens = loss, reward, tokens.tolist()
        return {"sample": t1 - t0, "score": t2 - t1, "update": t3 - t2}


def main():
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(spec["threads"])
    step = Step(spec)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "quit":
            break
        for _ in range(cmd["warmup"]):
            step.step()
        steps = [step.step() for _ in range(cmd["steps"])]
        print(json.dumps({"steps": steps, "first_loss": step.first_loss, "first_reward": step.first_reward, "first_tokens": step.first_tokens}), flush=True)


if __name__ == "__main__":
    main()
