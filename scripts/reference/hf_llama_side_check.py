"""One-off side check (never in CI): HF transformers' own classes on our saved Llama / Qwen2 snapshots.

    python3 -m venv /tmp/hf && /tmp/hf/bin/pip install /opt/wheels/torch-2.13.0+cpu-*.whl transformers
        # from the local wheel indexes (/opt/pypi, /opt/pypi-more)
    node bin/run-ts.mjs scripts/llama-side-check.ts /tmp/hf/bin/python

For each job (written by scripts/llama-side-check.ts): loads the snapshot folder with
AutoModelForCausalLM or AutoModelForSequenceClassification (float64), and writes the logits (or the
one-label scores) on the given ids and masks, and for causal models the greedy continuation.
"""
import json
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

jobs = json.load(open(sys.argv[1]))
results = []
for job in jobs:
    causal = job["kind"] == "causal"
    cls = AutoModelForCausalLM if causal else AutoModelForSequenceClassification
    model = cls.from_pretrained(job["dir"], dtype=torch.float64)
    model.eval()
    ids = torch.tensor(job["input_ids"])
    mask = torch.tensor(job["attention_mask"])
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask).logits
        result = {"class": type(model).__name__, "values": out.double().reshape(-1).tolist()}
        if causal:
            generated = model.generate(
                input_ids=ids, attention_mask=mask, max_new_tokens=job["new_tokens"], do_sample=False,
                eos_token_id=None, pad_token_id=0,
            )
            result["greedy"] = generated[:, ids.shape[1]:].tolist()
    results.append(result)
json.dump({"transformers": transformers.__version__, "torch": torch.__version__, "results": results}, open(sys.argv[2], "w"))
