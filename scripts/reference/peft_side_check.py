"""One-off side check (never in CI): PEFT's own loader on our LoRA adapter folders.

    python3 -m venv /tmp/peft && /tmp/peft/bin/pip install /opt/wheels/torch-2.13.0+cpu-*.whl \
        transformers==4.57.6 peft     # from the local wheel index
    node bin/run-ts.mjs scripts/peft-side-check.ts /tmp/peft/bin/python

For each job (written by scripts/peft-side-check.ts): loads the base snapshot with transformers
(AutoModelForCausalLM or AutoModelForSequenceClassification), our adapter with
peft.PeftModel.from_pretrained, and writes in float64 the adapted model's outputs on the given ids,
the outputs with the adapters disabled, and those of merge_and_unload().
"""
import json
import sys

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

jobs = json.load(open(sys.argv[1]))
results = []
for job in jobs:
    cls = AutoModelForCausalLM if job["kind"] == "causal" else AutoModelForSequenceClassification
    kwargs = {} if job["kind"] == "causal" else {"num_labels": 1}
    base = cls.from_pretrained(job["base"], torch_dtype=torch.float64, **kwargs)
    if job["kind"] != "causal" and base.config.pad_token_id is None:
        base.config.pad_token_id = base.config.eos_token_id
    model = PeftModel.from_pretrained(base, job["adapter"])
    model.eval()
    ids = torch.tensor(job["input_ids"])
    out = lambda m: (m(input_ids=ids).logits).double().reshape(-1).tolist()
    with torch.no_grad():
        adapted = out(model)
        with model.disable_adapter():
            disabled = out(model)
        merged = out(model.merge_and_unload())
    results.append({"adapted": adapted, "disabled": disabled, "merged": merged, "peft_config": model.peft_config["default"].to_dict() if hasattr(model, "peft_config") else None})
json.dump(results, open(sys.argv[2], "w"), default=str)
