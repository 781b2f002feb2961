"""Human-readable output: the per-workload tables and the run's metadata."""
from __future__ import annotations

import os
import platform

import numpy as np

from .systems import torch_module
from .threads import THREAD_VARS
from .workloads import SUBPROCESS, TIMED, is_chain


def fmt_time(s):
    if s >= 1:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3f} ms"
    return f"{s * 1e6:.2f} us"


def table(headers, rows):
    """Plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                     for i, (h, w) in enumerate(zip(headers, widths))),
           "  ".join("-" * w for w in widths)]
    for r in rows:
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(out)


def _timed_rows(w, entry):
    headers = ["system", "median", "min", "x floor", "x torch", "per op" if is_chain(w)
               else "rounds", "check"]
    rows = []
    for s, e in entry["systems"].items():
        if not isinstance(e, dict):
            rows.append([s, e, "", "", "", "", ""])
            continue
        rows.append([s, fmt_time(e["median_s"]), fmt_time(e["min_s"]),
                     f"{e['ratio_to_floor']:.2f}",
                     f"{e['ratio_to_torch']:.2f}" if "ratio_to_torch" in e else "",
                     fmt_time(e["per_op_s"]) if "per_op_s" in e else str(e["rounds"]),
                     "ok" if e["matches_floor"] else "LOSS DIFFERS"])
    return headers, rows, []


def _subprocess_rows(w, entry):
    headers = ["system", "time", "per op", "x floor", "peak MB", "mem x floor"]
    rows, notes = [], []
    for s, e in entry["systems"].items():
        if not isinstance(e, dict):
            rows.append([s, e, "", "", "", ""])
        elif "error" in e:
            rows.append([s, "failed", "", "", "", ""])
            notes.append(f"{s} failed: {e['error']}")
        else:
            rows.append([s, fmt_time(e["seconds"]), fmt_time(e.get("per_op_s", 0)),
                         f"{e['ratio_to_floor']:.2f}" if "ratio_to_floor" in e else "",
                         f"{e['peak_above_base_mb']:.1f}",
                         f"{e['memory_ratio_to_floor']:.2f}" if "memory_ratio_to_floor" in e
                         else ""])
    notes.append("time: one cold run in a fresh process (page faults included); peak MB: "
                 "resident high-water mark above the process's size just before the run"
                 + ("; mem x floor left blank where the floor keeps < 1 MB alive"
                    if w == "chain_1m" else ""))
    return headers, rows, notes


def render_workload(w, entry):
    """The heading, table and notes of one workload's results."""
    lines = [f"== {w}: {entry['description']}"
             + (f" [{entry['n_ops']} ops]" if "n_ops" in entry else "")]
    if w in TIMED:
        headers, rows, notes = _timed_rows(w, entry)
    elif w in SUBPROCESS:
        headers, rows, notes = _subprocess_rows(w, entry)
    else:
        raise ValueError(w)
    lines.append(table(headers, rows))
    lines += notes
    return "\n".join(lines) + "\n"


def meta(args, installed):
    """Versions, machine, thread settings and load average at the start."""
    info = {"python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform(), "cpus": os.cpu_count(), "threads": args.threads,
            "quick": args.quick, "installed": installed,
            "thread_env": {v: os.environ.get(v) for v in THREAD_VARS}}
    try:
        info["loadavg_start"] = list(os.getloadavg())
    except OSError:
        pass
    try:
        import autograd_c
        info["autograd_c"] = autograd_c.__version__
    except Exception:
        pass
    if installed.get("torch"):
        info["torch"] = torch_module().__version__
    try:
        import threadpoolctl
        info["blas_threads"] = [(d.get("internal_api"), d.get("num_threads"))
                                for d in threadpoolctl.threadpool_info()]
    except Exception:
        pass
    return info
