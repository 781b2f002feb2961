"""In-process timing of the timed workloads: all systems side by side, in
interleaved rounds (each round times every system once, in a rotating order),
so machine load hits all systems alike."""
from __future__ import annotations

import gc
from time import perf_counter

import numpy as np

from .systems import build_step


def calibrate(step, target):
    """How many calls make one sample of about ``target`` seconds (at least 1)."""
    t0 = perf_counter()
    step()
    dt = perf_counter() - t0
    return max(1, min(10_000, int(target / max(dt, 1e-7))))


def time_workload(workload, systems, rounds, target, warmup=True):
    """``samples, inner, losses``: per system, the seconds per call of each round,
    the calls per sample, and the first loss (NaN if a later loss was not finite)."""
    steps, inner, losses = {}, {}, {}
    for s in systems:
        step = build_step(workload, s)
        losses[s] = step()                  # first step from the shared start: a check
        if warmup:
            step()
            inner[s] = calibrate(step, target)
        else:
            inner[s] = 1
        steps[s] = step
    samples = {s: [] for s in systems}
    order = list(systems)
    for r in range(rounds):
        gc.collect()
        k = r % len(order)
        for s in order[k:] + order[:k]:      # rotate who goes first
            step, n = steps[s], inner[s]
            t0 = perf_counter()
            for _ in range(n):
                step()
            samples[s].append((perf_counter() - t0) / n)
    for s in systems:                       # after all the repetitions: still finite?
        if not np.isfinite(steps[s]()):
            losses[s] = float("nan")
    return samples, inner, losses
