"""One rank of the distributed benchmark on PyTorch (torch.distributed, Gloo): best-of all-reduce
time of one float32 tensor of n elements. argv: JSON {"n", "repeats"}. Rank 0 prints one JSON line."""
import json
import os
import sys
import time

import torch
import torch.distributed as dist

spec = json.loads(sys.argv[1])
torch.set_num_threads(1)
world = int(os.environ.get("WORLD_SIZE", "1"))
dist.init_process_group("gloo", init_method="env://")
t = torch.ones(spec["n"])
best = float("inf")
for i in range(spec["repeats"] + 2):
    dist.barrier()  # every rank starts together; the first two runs warm up
    t0 = time.perf_counter()
    dist.all_reduce(t)
    if i >= 2:
        best = min(best, (time.perf_counter() - t0) * 1e3)
if dist.get_rank() == 0:
    print(json.dumps({"allReduceMs": best}))
dist.destroy_process_group()
