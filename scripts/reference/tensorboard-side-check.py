"""One-off side check (never in CI): TensorBoard's own reader on our event files.

    python3 -m venv /tmp/tb && /tmp/tb/bin/pip install --no-index --find-links /opt/pypi/files tensorboard
    /tmp/tb/bin/python scripts/reference/tensorboard-side-check.py RUN_DIR

Reads RUN_DIR/tensorboard with tensorboard's EventAccumulator (purging what a resume superseded, as
TensorBoard does) and compares every scalar with RUN_DIR/metrics.jsonl; prints the text tags and the
HParams session data.
"""
import json
import sys

from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.plugins.hparams import plugin_data_pb2

run = sys.argv[1]
acc = ea.EventAccumulator(f"{run}/tensorboard", size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
acc.Reload()
tags = acc.Tags()
lines = [json.loads(line) for line in open(f"{run}/metrics.jsonl")]
worst = 0.0
for tag in tags["scalars"]:
    for event in acc.Scalars(tag):
        ref = [line[tag] for line in lines if line["step"] == event.step]
        assert len(ref) == 1, (tag, event.step, "logged once in metrics.jsonl")
        worst = max(worst, abs(event.value - ref[0]) / max(1.0, abs(ref[0])))
print("scalar tags:", tags["scalars"])
print("steps of", tags["scalars"][0], [e.step for e in acc.Scalars(tags["scalars"][0])])
print(f"max relative difference from metrics.jsonl: {worst:.2e} (float32 rounding is ~6e-8)")
print("text tags:", tags["tensors"])
for tag, content in acc.PluginTagToContent("hparams").items():
    data = plugin_data_pb2.HParamsPluginData.FromString(content)
    kind = data.WhichOneof("data")
    detail = len(data.session_start_info.hparams) if kind == "session_start_info" else data.session_end_info.status
    print(tag, kind, detail)
