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


def best_times(fn, repeats, warmup=2):
    """(best wall seconds, best CPU seconds of this process, all threads) over `repeats` runs: on a
    shared machine CPU time depends much less on the other processes' load than wall time."""
    for _ in range(warmup):
        fn()
    wall = cpu = float("inf")
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    return wall, cpu
