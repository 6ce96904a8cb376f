"""Timing shared by the Python side of the benchmarks (bench/engine.py, bench/model.py)."""
import time


def best_time(fn, repeats, warmup=2):
    """Best wall time in seconds over `repeats` runs after `warmup` runs (best-of is robust to noise)."""
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
