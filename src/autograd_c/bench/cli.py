"""The command line: parse the flags, run the chosen workloads on the chosen
systems, print tables (or JSON with ``--json``)."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

import numpy as np

from .isolated import child_main, run_child
from .report import meta, render_workload
from .systems import FLOOR, NOT_INSTALLED, SYSTEMS, have, torch_module
from .timing import time_workload
from .workloads import (
    CHAIN_OPS,
    DESCRIPTIONS,
    LONG_CHAIN_OPS,
    LONG_CHAIN_OPS_QUICK,
    MEM_OPS,
    MEM_OPS_QUICK,
    MODELS,
    NOT_APPLICABLE,
    SUBPROCESS,
    TIMED,
    WORKLOADS,
    is_chain,
    loss_tolerance,
)

USAGE = "Benchmarks: ``python -m autograd_c.bench [--quick] [--json] [--only W] [--threads N]``."


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m autograd_c.bench", description=USAGE)
    ap.add_argument("--quick", action="store_true", help="tiny repetition counts (CI smoke test)")
    ap.add_argument("--json", action="store_true", help="print machine-readable JSON only")
    ap.add_argument("--only", action="append", choices=WORKLOADS, metavar="WORKLOAD",
                    help=f"run only this workload (repeatable): {', '.join(WORKLOADS)}")
    ap.add_argument("--systems", help=f"comma-separated subset of {','.join(SYSTEMS)}")
    ap.add_argument("--threads", type=int, default=1, help="BLAS / torch threads (default 1)")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds per workload")
    ap.add_argument("--_child", nargs=2, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def run_timed(w, args, systems, installed, rounds, result):
    """Time workload ``w`` in this process; fill ``result``; returns its entry."""
    avail = [s for s in systems if installed[s] and s in getattr(MODELS.get(w), "SYSTEMS", systems)]
    entry = {"description": DESCRIPTIONS[w], "systems": {}}
    result["workloads"][w] = entry
    target = 0.002 if args.quick else 0.05
    rounds_w = max(1 if args.quick else 3, rounds // 3) if w == "large_mlp" else rounds
    samples, inner, losses = time_workload(w, avail, rounds_w, target, warmup=not args.quick)
    floor = statistics.median(samples[FLOOR])
    for s in systems:
        if s not in avail:
            entry["systems"][s] = NOT_INSTALLED if not installed[s] else NOT_APPLICABLE
            continue
        med = statistics.median(samples[s])
        e = {"median_s": med, "min_s": min(samples[s]), "ratio_to_floor": med / floor,
             "rounds": len(samples[s]), "calls_per_sample": inner[s],
             "first_loss": losses[s]}
        if is_chain(w):
            e["per_op_s"] = med / CHAIN_OPS
        rtol, atol = loss_tolerance(w)
        ok = np.isclose(losses[s], losses[FLOOR], rtol=rtol, atol=atol)
        e["matches_floor"] = bool(ok)
        entry["systems"][s] = e
    if "torch" in avail:                  # every row also relative to PyTorch
        torch_med = statistics.median(samples["torch"])
        for s in avail:
            entry["systems"][s]["ratio_to_torch"] = statistics.median(samples[s]) / torch_med
    if is_chain(w) and "c" in avail and "python" in avail:
        key = "compiled_over_pure_elementwise" + ("_f32" if w.endswith("_f32") else "")
        result["ratios"][key] = (
            statistics.median(samples["python"]) / statistics.median(samples["c"]))
    return entry


def run_isolated(sub, args, systems, installed, result):
    """Run the subprocess workloads ``sub``: a fresh interpreter per system and
    workload (running both in one child, even with the peak reset between them,
    lets the second reuse memory the first freed: torch's chain_1m then shows
    ~0 MB). Returns the workloads in the order run."""
    n_ops = {"chain_1m": LONG_CHAIN_OPS_QUICK if args.quick else LONG_CHAIN_OPS,
             "memory_1mb_chain": MEM_OPS_QUICK if args.quick else MEM_OPS}
    # the small-object workload last: what it leaves in the allocator must
    # not hide the other's growth
    order = [w for w in ("memory_1mb_chain", "chain_1m") if w in sub]
    for w in order:
        result["workloads"][w] = {"description": DESCRIPTIONS[w], "n_ops": n_ops[w],
                                  "systems": {}}
    timeout = 120 if args.quick else 1800
    for s in systems:
        if not installed[s]:
            for w in order:
                result["workloads"][w]["systems"][s] = NOT_INSTALLED
            continue
        for w in order:
            r = run_child(f"{w}:{n_ops[w]}", s, args.threads, timeout)
            result["workloads"][w]["systems"][s] = r[w]
    for w in order:
        entry = result["workloads"][w]
        fl = entry["systems"].get(FLOOR, {})
        for r in entry["systems"].values():
            if isinstance(r, dict) and "seconds" in r and "seconds" in fl:
                r["per_op_s"] = r["seconds"] / n_ops[w]
                r["ratio_to_floor"] = r["seconds"] / fl["seconds"]
                if fl["peak_above_base_mb"] >= 1.0:
                    r["memory_ratio_to_floor"] = (r["peak_above_base_mb"]
                                                  / fl["peak_above_base_mb"])
    return order


def main(argv=None):
    args = parse_args(argv)
    if args._child:
        child_main(args._child[0], args._child[1], args.threads)
        return 0

    systems = SYSTEMS if not args.systems else tuple(
        s for s in SYSTEMS if s in args.systems.split(","))
    if FLOOR not in systems:
        systems = (FLOOR,) + tuple(systems)
    installed = {s: have(s) for s in systems}
    if installed.get("torch"):
        torch_module().set_num_threads(args.threads)
    try:
        import threadpoolctl
        threadpoolctl.threadpool_limits(args.threads)
    except Exception:
        pass
    workloads = args.only or list(WORKLOADS)
    rounds = args.rounds or (2 if args.quick else 15)
    if args.json:
        def log(*a):
            print(*a, file=sys.stderr, flush=True)
    else:
        def log(*a):
            print(*a, flush=True)

    result = {"meta": meta(args, installed), "workloads": {}, "ratios": {}}
    m = result["meta"]
    if not args.json:
        log(f"autograd_c bench: python {m['python']}, numpy {m['numpy']}, "
            f"torch {m.get('torch', NOT_INSTALLED)}, {m['cpus']} cpus, threads={args.threads}, "
            f"load average {m.get('loadavg_start')}")
        log(f"systems side by side in one process, {rounds} interleaved rounds; "
            f"floor = hand-written numpy forward + backward\n")

    for w in [w for w in TIMED if w in workloads]:
        missing = getattr(MODELS.get(w), "missing", lambda: None)()
        if missing:      # a model row that needs files of a source checkout
            result["workloads"][w] = {"skipped": missing}
            if not args.json:
                log(f"== {w}: skipped ({missing})\n")
            continue
        entry = run_timed(w, args, systems, installed, rounds, result)
        if not args.json:
            log(render_workload(w, entry))

    sub = [w for w in SUBPROCESS if w in workloads]
    if sub:
        for w in run_isolated(sub, args, systems, installed, result):
            if not args.json:
                log(render_workload(w, result["workloads"][w]))
    try:
        result["meta"]["loadavg_end"] = list(os.getloadavg())
    except OSError:
        pass
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for k, v in result["ratios"].items():
            log(f"{k}: {v:.2f}x (pure-Python engine median / compiled engine median)")
        log(f"load average at end: {m.get('loadavg_end')}")
    return 0
