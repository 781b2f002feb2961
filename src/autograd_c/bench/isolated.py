"""Workloads run in a fresh interpreter per system: ``chain_1m`` (time and
memory of a very long graph) and ``memory_1mb_chain`` (peak memory of a chain
of 1 MB tensors).

The parent (``cli.main``) calls ``run_child``, which starts
``python -m autograd_c.bench --_child SPEC SYSTEM`` and reads one line of JSON
back; the child side is ``child_main``.

Peak memory is the child's resident-set high-water mark (``VmHWM``, reset with
``/proc/self/clear_refs`` after setup where the kernel allows) minus its
resident set just before the workload; elsewhere ``ru_maxrss`` is used.
"""
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from time import perf_counter

import numpy as np

from .systems import torch_module
from .threads import REEXEC_MARK, THREAD_VARS
from .workloads import MEM_FLOATS


def _status_kb(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _chain_1m_program(system, n_ops):
    x = np.linspace(0.5, 1.0, 4)
    if system == "numpy":
        def run():
            h = x
            for _ in range(n_ops):
                h = h * 1.0
            g = np.ones_like(h)
            for _ in range(n_ops):
                g = g * 1.0
            return g
        return run
    if system in ("c", "python"):
        import autograd_c as ag
        with ag.use_engine(system):
            X = ag.Tensor(x, requires_grad=True)

        def run():
            h = X
            for _ in range(n_ops):
                h = h * 1.0
            h.sum().backward()
            return X.grad.numpy()
        return run
    if system == "torch":
        torch = torch_module()
        X = torch.tensor(x, requires_grad=True)

        def run():
            h = X
            for _ in range(n_ops):
                h = h * 1.0
            h.sum().backward()
            return X.grad.numpy()
        return run
    if system == "autograd":
        import autograd

        def f(v):
            h = v
            for _ in range(n_ops):
                h = h * 1.0
            return h.sum()
        g = autograd.grad(f)
        return lambda: g(x)
    raise ValueError(("chain_1m", system))


def _memory_1mb_chain_program(system, n_ops):
    x = np.linspace(-1.0, 1.0, MEM_FLOATS)
    if system == "numpy":
        def run():
            outs = []
            h = x
            for _ in range(n_ops):
                h = np.tanh(h)
                outs.append(h)
            g = np.ones_like(h)
            for y in reversed(outs):
                g = g * (1 - y * y)
            return g
        return run
    if system in ("c", "python"):
        import autograd_c as ag
        with ag.use_engine(system):
            X = ag.Tensor(x, requires_grad=True)

        def run():
            h = X
            for _ in range(n_ops):
                h = ag.tanh(h)
            h.sum().backward()
            return X.grad.numpy()
        return run
    if system == "torch":
        torch = torch_module()
        X = torch.tensor(x, requires_grad=True)

        def run():
            h = X
            for _ in range(n_ops):
                h = torch.tanh(h)
            h.sum().backward()
            return X.grad.numpy()
        return run
    if system == "autograd":
        import autograd
        import autograd.numpy as anp

        def f(v):
            h = v
            for _ in range(n_ops):
                h = anp.tanh(h)
            return anp.sum(h)
        g = autograd.grad(f)
        return lambda: g(x)
    raise ValueError(("memory_1mb_chain", system))


PROGRAMS = {"chain_1m": _chain_1m_program, "memory_1mb_chain": _memory_1mb_chain_program}


def child_program(workload, system, n_ops):
    """Build, then return a zero-argument function running forward + backward once."""
    if workload not in PROGRAMS:
        raise ValueError((workload, system))
    return PROGRAMS[workload](system, n_ops)


def measure(workload, system, n_ops):
    """Time and peak memory of one run of ``workload`` on ``system`` in this process."""
    run = child_program(workload, system, n_ops)
    gc.collect()
    base = _status_kb("VmRSS")
    exact = _reset_peak()
    t0 = perf_counter()
    grad = run()
    dt = perf_counter() - t0
    peak = _status_kb("VmHWM")
    del run
    if base is None or peak is None:   # not Linux: ru_maxrss (KiB on Linux, bytes on macOS)
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if sys.platform == "darwin":
            peak //= 1024
        base = base or 0
    return {"seconds": dt, "peak_kb": peak, "base_kb": base,
            "peak_above_base_mb": max(peak - base, 0) / 1024.0,
            "peak_reset": exact, "grad0": float(np.asarray(grad).ravel()[0])}


def child_main(spec, system, threads):
    """``spec`` is ``workload:n_ops[,workload:n_ops...]``, run in that order;
    prints the results as one line of JSON."""
    if system == "torch":
        torch_module().set_num_threads(threads)
    out = {}
    for item in spec.split(","):
        w, n = item.split(":")
        out[w] = measure(w, system, int(n))
        gc.collect()
    print(json.dumps(out))


def run_child(spec, system, threads, timeout):
    """Run ``spec`` (see ``child_main``) on ``system`` in a fresh interpreter;
    a failure or a timeout becomes ``{"error": ...}`` for each workload."""
    cmd = [sys.executable, "-m", "autograd_c.bench", "--_child", spec, system,
           "--threads", str(threads)]
    env = dict(os.environ)
    for v in THREAD_VARS:
        env[v] = str(threads)
    env[REEXEC_MARK] = str(threads)
    names = [item.split(":")[0] for item in spec.split(",")]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {w: {"error": f"timed out after {timeout} s"} for w in names}
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or [""]
        return {w: {"error": f"exit code {p.returncode}: {tail[0][:200]}"} for w in names}
    return json.loads(p.stdout.strip().splitlines()[-1])
