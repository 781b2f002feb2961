"""Benchmarks: ``python -m autograd_c.bench [--quick] [--json] [--only W] [--threads N]``.

Every system runs the same math on the same starting numbers, side by side in
ONE process, in interleaved rounds (each round times every system once, in a
rotating order), so machine load hits all systems alike. The floor is
hand-written numpy forward + backward: the same arithmetic with no graph.

Systems: ``numpy`` (the floor), ``c`` (the compiled engine), ``python`` (the
pure-Python engine), ``torch`` (PyTorch CPU, float64) and ``autograd`` (HIPS
autograd); a system that is not installed is reported as "not installed".

Workloads (all float64):

- ``tiny_mlp``: one training step, batch 32, 64-64-64-10 (input 64, hidden 64
  and 64, output 10); tanh after layer 1, relu after layer 2; loss
  sum((out - y) * (out - y)); backward; SGD update ``p -= lr * grad`` with
  lr = 0.01 / (batch * hidden), small enough never to diverge.
- ``small_mlp``: the same step, batch 64, 256-256-256-10.
- ``large_mlp``: the same step, batch 256, 1024-1024-1024-10.
- ``elementwise_chain``: 400 elementwise ops on 16 floats = 200 repetitions of
  ``h = h * a + b`` (each ``*`` and each ``+`` is one op), a and b leaves that
  require grad, then ``h.sum()`` and backward; reported per op (time / 400).
- ``chain_1m``: a chain of 1,000,000 ops ``h = h * 1.0`` on 4 floats, forward +
  backward (10,000 ops with --quick); each system in a fresh subprocess: time
  and peak memory above the child's baseline.
- ``memory_1mb_chain``: 100 ops ``h = tanh(h)`` on a 1 MB tensor (131072
  floats), then sum and backward; each system in a fresh subprocess: peak
  memory above baseline (the floor keeps the same 100 outputs alive).

Peak memory is the child's resident-set high-water mark (``VmHWM``, reset with
``/proc/self/clear_refs`` after setup where the kernel allows) minus its
resident set just before the workload; elsewhere ``ru_maxrss`` is used.

BLAS/OpenMP threads are pinned to 1 (``--threads N`` to change): the variables
must be set before numpy loads, and ``autograd_c`` (which this module belongs
to) imports numpy first, so the command re-executes itself once with them set.
"""
from __future__ import annotations

import os
import sys

_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
_REEXEC_MARK = "_AUTOGRAD_C_BENCH_THREADS"


def _threads_from_argv(argv):
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


if __name__ == "__main__":
    # pin BLAS threads before numpy loads; numpy is already in (autograd_c
    # imports it), so set the variables and start again, once
    _want = _threads_from_argv(sys.argv[1:])
    if os.environ.get(_REEXEC_MARK) != _want:
        for _v in _THREAD_VARS:
            os.environ[_v] = _want
        os.environ[_REEXEC_MARK] = _want
        if "numpy" in sys.modules:
            sys.stdout.flush()
            os.execv(sys.executable, [sys.executable, "-m", "autograd_c.bench"] + sys.argv[1:])

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
from time import perf_counter  # noqa: E402

import numpy as np  # noqa: E402

SYSTEMS = ("numpy", "c", "python", "torch", "autograd")
FLOOR = "numpy"
NOT_INSTALLED = "not installed"

MLP_SIZES = {  # batch, input, hidden, output
    "tiny_mlp": (32, 64, 64, 10),
    "small_mlp": (64, 256, 256, 10),
    "large_mlp": (256, 1024, 1024, 10),
}
CHAIN_OPS = 400            # elementwise ops (200 x (h*a, +b)) on 16 floats
CHAIN_SIZE = 16
LONG_CHAIN_OPS = 1_000_000
LONG_CHAIN_OPS_QUICK = 10_000
MEM_FLOATS = 131072        # 1 MB of float64
MEM_OPS = 100
MEM_OPS_QUICK = 20

TIMED = ("tiny_mlp", "elementwise_chain", "small_mlp", "large_mlp")
SUBPROCESS = ("chain_1m", "memory_1mb_chain")
WORKLOADS = TIMED + SUBPROCESS


# --------------------------------------------------------------------------
# systems
# --------------------------------------------------------------------------

def _have(system):
    if system in ("numpy", "python"):
        return True
    if system == "c":
        from autograd_c import engines
        return "c" in engines.available
    try:
        __import__(system)
        return True
    except Exception:
        return False


def _torch():
    import torch
    return torch


# --------------------------------------------------------------------------
# MLP step: same math everywhere
# --------------------------------------------------------------------------

def mlp_lr(name):
    """SGD step size: small enough that repeated steps on a summed loss never
    diverge (an overflow would time NaN arithmetic instead of the workload)."""
    batch, n_in, n_hid, n_out = MLP_SIZES[name]
    return 0.01 / (batch * n_hid)


def mlp_data(name, seed=0):
    batch, n_in, n_hid, n_out = MLP_SIZES[name]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, n_in))
    y = rng.standard_normal((batch, n_out))
    shapes = [(n_in, n_hid), (n_hid, n_hid), (n_hid, n_out)]
    params = []
    for fan_in, fan_out in shapes:
        params.append(rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in))
        params.append(rng.standard_normal(fan_out) * 0.1)
    return x, y, params, mlp_lr(name)


def mlp_numpy(x, y, params, LR):
    W1, b1, W2, b2, W3, b3 = [p.copy() for p in params]
    ps = [W1, b1, W2, b2, W3, b3]

    def step():
        z1 = x @ W1 + b1
        h1 = np.tanh(z1)
        z2 = h1 @ W2 + b2
        h2 = np.maximum(z2, 0)
        out = h2 @ W3 + b3
        d = out - y
        loss = (d * d).sum()
        g = 2.0 * d
        gW3 = h2.T @ g
        gb3 = g.sum(0)
        g = (g @ W3.T) * (z2 > 0)
        gW2 = h1.T @ g
        gb2 = g.sum(0)
        g = (g @ W2.T) * (1 - h1 * h1)
        gW1 = x.T @ g
        gb1 = g.sum(0)
        for p, gp in zip(ps, (gW1, gb1, gW2, gb2, gW3, gb3)):
            p -= LR * gp
        return float(loss)
    return step


def mlp_engine(engine):
    def build(x, y, params, LR):
        import autograd_c as ag
        with ag.use_engine(engine):
            X = ag.Tensor(x)
            Y = ag.Tensor(y)
            ps = [ag.Tensor(p, requires_grad=True) for p in params]
        W1, b1, W2, b2, W3, b3 = ps
        tanh, relu, no_grad = ag.tanh, ag.relu, ag.no_grad

        def step():
            h1 = tanh(X @ W1 + b1)
            h2 = relu(h1 @ W2 + b2)
            out = h2 @ W3 + b3
            d = out - Y
            loss = (d * d).sum()
            loss.backward()
            with no_grad():
                for p in ps:
                    p -= LR * p.grad
            for p in ps:            # as zero_grad() after step(): gradients
                p.grad = None       # live until the update is done, as in the floor
            return float(loss.item())
        return step
    return build


def mlp_torch(x, y, params, LR):
    torch = _torch()
    X = torch.from_numpy(x.copy())
    Y = torch.from_numpy(y.copy())
    ps = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    W1, b1, W2, b2, W3, b3 = ps

    def step():
        h1 = torch.tanh(X @ W1 + b1)
        h2 = torch.relu(h1 @ W2 + b2)
        out = h2 @ W3 + b3
        d = out - Y
        loss = (d * d).sum()
        loss.backward()
        with torch.no_grad():
            for p in ps:
                p -= LR * p.grad
        for p in ps:
            p.grad = None
        return float(loss.item())
    return step


def mlp_hips(x, y, params, LR):
    import autograd
    import autograd.numpy as anp
    ps = [p.copy() for p in params]

    def loss_fn(ps):
        W1, b1, W2, b2, W3, b3 = ps
        h1 = anp.tanh(anp.dot(x, W1) + b1)
        h2 = anp.maximum(anp.dot(h1, W2) + b2, 0.0)
        out = anp.dot(h2, W3) + b3
        d = out - y
        return anp.sum(d * d)

    vg = autograd.value_and_grad(loss_fn)

    def step():
        loss, grads = vg(ps)
        for p, gp in zip(ps, grads):
            p -= LR * gp
        return float(loss)
    return step


# --------------------------------------------------------------------------
# elementwise chain: 200 x (h = h * a + b) = 400 ops on 16 floats
# --------------------------------------------------------------------------

def chain_data(seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(CHAIN_SIZE)
    a = 1.0 + 0.001 * rng.standard_normal(CHAIN_SIZE)   # stays finite over 200 steps
    b = 0.01 * rng.standard_normal(CHAIN_SIZE)
    return x, a, b


def _chain_reps():
    return CHAIN_OPS // 2


def chain_numpy(x, a, b):
    n = _chain_reps()

    def step():
        hs = []
        h = x
        for _ in range(n):
            hs.append(h)
            h = h * a + b
        loss = h.sum()
        g = np.ones_like(h)
        ga = np.zeros_like(a)
        gb = np.zeros_like(b)
        for hp in reversed(hs):
            gb = gb + g
            ga = ga + g * hp
            g = g * a
        return float(loss + 0 * ga[0] + 0 * gb[0])
    return step


def chain_engine(engine):
    def build(x, a, b):
        import autograd_c as ag
        n = _chain_reps()
        with ag.use_engine(engine):
            X = ag.Tensor(x)
            A = ag.Tensor(a, requires_grad=True)
            B = ag.Tensor(b, requires_grad=True)

        def step():
            h = X
            for _ in range(n):
                h = h * A + B
            loss = h.sum()
            loss.backward()
            A.grad = None
            B.grad = None
            return float(loss.item())
        return step
    return build


def chain_torch(x, a, b):
    torch = _torch()
    n = _chain_reps()
    X = torch.from_numpy(x.copy())
    A = torch.tensor(a, requires_grad=True)
    B = torch.tensor(b, requires_grad=True)

    def step():
        h = X
        for _ in range(n):
            h = h * A + B
        loss = h.sum()
        loss.backward()
        A.grad = None
        B.grad = None
        return float(loss.item())
    return step


def chain_hips(x, a, b):
    import autograd
    n = _chain_reps()

    def f(ab):
        A, B = ab
        h = x
        for _ in range(n):
            h = h * A + B
        return h.sum()

    vg = autograd.value_and_grad(f)

    def step():
        loss, _ = vg((a, b))
        return float(loss)
    return step


BUILDERS = {
    "mlp": {"numpy": mlp_numpy, "c": mlp_engine("c"), "python": mlp_engine("python"),
            "torch": mlp_torch, "autograd": mlp_hips},
    "chain": {"numpy": chain_numpy, "c": chain_engine("c"), "python": chain_engine("python"),
              "torch": chain_torch, "autograd": chain_hips},
}


def build_step(workload, system):
    if workload in MLP_SIZES:
        return BUILDERS["mlp"][system](*mlp_data(workload))
    if workload == "elementwise_chain":
        return BUILDERS["chain"][system](*chain_data())
    raise ValueError(workload)


# --------------------------------------------------------------------------
# in-process timing: interleaved rounds
# --------------------------------------------------------------------------

def _calibrate(step, target):
    """How many calls make one sample of about ``target`` seconds (at least 1)."""
    t0 = perf_counter()
    step()
    dt = perf_counter() - t0
    return max(1, min(10_000, int(target / max(dt, 1e-7))))


def time_workload(workload, systems, rounds, target, warmup=True):
    steps, inner, losses = {}, {}, {}
    for s in systems:
        step = build_step(workload, s)
        losses[s] = step()                  # first step from the shared start: a check
        if warmup:
            step()
            inner[s] = _calibrate(step, target)
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


# --------------------------------------------------------------------------
# subprocess workloads: time and peak memory in a fresh interpreter
# --------------------------------------------------------------------------

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


def _child_program(workload, system, n_ops):
    """Build, then return a zero-argument function running forward + backward once."""
    if workload == "chain_1m":
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
            torch = _torch()
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
    if workload == "memory_1mb_chain":
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
            torch = _torch()
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
    raise ValueError((workload, system))


def _measure(workload, system, n_ops):
    run = _child_program(workload, system, n_ops)
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
    """``spec`` is ``workload:n_ops[,workload:n_ops...]``, run in that order."""
    if system == "torch":
        _torch().set_num_threads(threads)
    out = {}
    for item in spec.split(","):
        w, n = item.split(":")
        out[w] = _measure(w, system, int(n))
        gc.collect()
    print(json.dumps(out))


def run_child(spec, system, threads, timeout):
    cmd = [sys.executable, "-m", "autograd_c.bench", "--_child", spec, system,
           "--threads", str(threads)]
    env = dict(os.environ)
    for v in _THREAD_VARS:
        env[v] = str(threads)
    env[_REEXEC_MARK] = str(threads)
    names = [item.split(":")[0] for item in spec.split(",")]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {w: {"error": f"timed out after {timeout} s"} for w in names}
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or [""]
        return {w: {"error": f"exit code {p.returncode}: {tail[0][:200]}"} for w in names}
    return json.loads(p.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------

def _fmt_time(s):
    if s >= 1:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3f} ms"
    return f"{s * 1e6:.2f} us"


def _table(headers, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                     for i, (h, w) in enumerate(zip(headers, widths))),
           "  ".join("-" * w for w in widths)]
    for r in rows:
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(out)


DESCRIPTIONS = {
    "tiny_mlp": "MLP training step, batch 32, 64-64-64-10, tanh/relu, summed squared error, SGD",
    "small_mlp": "MLP training step, batch 64, 256-256-256-10",
    "large_mlp": "MLP training step, batch 256, 1024-1024-1024-10",
    "elementwise_chain": f"{CHAIN_OPS} elementwise ops ({CHAIN_OPS // 2} x h = h * a + b) on "
                         f"{CHAIN_SIZE} floats, forward + backward; per op = time / {CHAIN_OPS}",
    "chain_1m": "chain of h = h * 1.0 on 4 floats, forward + backward, fresh subprocess",
    "memory_1mb_chain": "h = tanh(h) on 131072 floats (1 MB), forward + backward, "
                        "fresh subprocess",
}


def _meta(args, installed):
    info = {"python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform(), "cpus": os.cpu_count(), "threads": args.threads,
            "quick": args.quick, "installed": installed,
            "thread_env": {v: os.environ.get(v) for v in _THREAD_VARS}}
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
        info["torch"] = _torch().__version__
    try:
        import threadpoolctl
        info["blas_threads"] = [(d.get("internal_api"), d.get("num_threads"))
                                for d in threadpoolctl.threadpool_info()]
    except Exception:
        pass
    return info


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m autograd_c.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny repetition counts (CI smoke test)")
    ap.add_argument("--json", action="store_true", help="print machine-readable JSON only")
    ap.add_argument("--only", action="append", choices=WORKLOADS, metavar="WORKLOAD",
                    help=f"run only this workload (repeatable): {', '.join(WORKLOADS)}")
    ap.add_argument("--systems", help=f"comma-separated subset of {','.join(SYSTEMS)}")
    ap.add_argument("--threads", type=int, default=1, help="BLAS / torch threads (default 1)")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds per workload")
    ap.add_argument("--_child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._child:
        child_main(args._child[0], args._child[1], args.threads)
        return 0

    systems = SYSTEMS if not args.systems else tuple(
        s for s in SYSTEMS if s in args.systems.split(","))
    if FLOOR not in systems:
        systems = (FLOOR,) + tuple(systems)
    installed = {s: _have(s) for s in systems}
    avail = [s for s in systems if installed[s]]
    if installed.get("torch"):
        _torch().set_num_threads(args.threads)
    try:
        import threadpoolctl
        threadpoolctl.threadpool_limits(args.threads)
    except Exception:
        pass
    workloads = args.only or list(WORKLOADS)
    rounds = args.rounds or (2 if args.quick else 15)
    target = 0.002 if args.quick else 0.05
    log = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else \
        (lambda *a: print(*a, flush=True))

    result = {"meta": _meta(args, installed), "workloads": {}, "ratios": {}}
    m = result["meta"]
    if not args.json:
        log(f"autograd_c bench: python {m['python']}, numpy {m['numpy']}, "
            f"torch {m.get('torch', NOT_INSTALLED)}, {m['cpus']} cpus, threads={args.threads}, "
            f"load average {m.get('loadavg_start')}")
        log(f"systems side by side in one process, {rounds} interleaved rounds; "
            f"floor = hand-written numpy forward + backward\n")

    for w in [w for w in TIMED if w in workloads]:
        entry = {"description": DESCRIPTIONS[w], "systems": {}}
        result["workloads"][w] = entry
        if True:
            rounds_w = max(1 if args.quick else 3, rounds // 3) if w == "large_mlp" else rounds
            samples, inner, losses = time_workload(w, avail, rounds_w, target,
                                                   warmup=not args.quick)
            floor = statistics.median(samples[FLOOR])
            for s in systems:
                if not installed[s]:
                    entry["systems"][s] = NOT_INSTALLED
                    continue
                med = statistics.median(samples[s])
                e = {"median_s": med, "min_s": min(samples[s]), "ratio_to_floor": med / floor,
                     "rounds": len(samples[s]), "calls_per_sample": inner[s],
                     "first_loss": losses[s]}
                if w == "elementwise_chain":
                    e["per_op_s"] = med / CHAIN_OPS
                ok = np.isclose(losses[s], losses[FLOOR], rtol=1e-7, atol=1e-9)
                e["matches_floor"] = bool(ok)
                entry["systems"][s] = e
            if w == "elementwise_chain" and "c" in avail and "python" in avail:
                result["ratios"]["compiled_over_pure_elementwise"] = (
                    statistics.median(samples["python"]) / statistics.median(samples["c"]))
        if not args.json:
            log(render_workload(w, entry))

    # subprocess workloads: a fresh interpreter per system and workload (running
    # both in one child, even with the peak reset between them, lets the second
    # reuse memory the first freed: torch's chain_1m then shows ~0 MB)
    sub = [w for w in SUBPROCESS if w in workloads]
    if sub:
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
            for g in [[w] for w in order]:
                spec = ",".join(f"{w}:{n_ops[w]}" for w in g)
                r = run_child(spec, s, args.threads, timeout)
                for w in g:
                    result["workloads"][w]["systems"][s] = r[w]
        for w in order:
            entry = result["workloads"][w]
            fl = entry["systems"].get(FLOOR, {})
            for s, r in entry["systems"].items():
                if isinstance(r, dict) and "seconds" in r and "seconds" in fl:
                    r["per_op_s"] = r["seconds"] / n_ops[w]
                    r["ratio_to_floor"] = r["seconds"] / fl["seconds"]
                    if fl["peak_above_base_mb"] >= 1.0:
                        r["memory_ratio_to_floor"] = (r["peak_above_base_mb"]
                                                      / fl["peak_above_base_mb"])
            if not args.json:
                log(render_workload(w, entry))
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


def render_workload(w, entry):
    lines = [f"== {w}: {entry['description']}" + (f" [{entry['n_ops']} ops]" if "n_ops" in entry else "")]
    rows, notes = [], []
    if w in TIMED:
        headers = ["system", "median", "min", "x floor", "per op" if w == "elementwise_chain"
                   else "rounds", "check"]
        for s, e in entry["systems"].items():
            if not isinstance(e, dict):
                rows.append([s, e, "", "", "", ""])
                continue
            rows.append([s, _fmt_time(e["median_s"]), _fmt_time(e["min_s"]),
                         f"{e['ratio_to_floor']:.2f}",
                         _fmt_time(e["per_op_s"]) if "per_op_s" in e else str(e["rounds"]),
                         "ok" if e["matches_floor"] else "LOSS DIFFERS"])
    else:
        headers = ["system", "time", "per op", "x floor", "peak MB", "mem x floor"]
        for s, e in entry["systems"].items():
            if not isinstance(e, dict):
                rows.append([s, e, "", "", "", ""])
            elif "error" in e:
                rows.append([s, "failed", "", "", "", ""])
                notes.append(f"{s} failed: {e['error']}")
            else:
                rows.append([s, _fmt_time(e["seconds"]), _fmt_time(e.get("per_op_s", 0)),
                             f"{e['ratio_to_floor']:.2f}" if "ratio_to_floor" in e else "",
                             f"{e['peak_above_base_mb']:.1f}",
                             f"{e['memory_ratio_to_floor']:.2f}" if "memory_ratio_to_floor" in e
                             else ""])
    lines.append(_table(headers, rows))
    if w in SUBPROCESS:
        notes.append("time: one cold run in a fresh process (page faults included); peak MB: "
                     "resident high-water mark above the process's size just before the run"
                     + ("; mem x floor left blank where the floor keeps < 1 MB alive"
                        if w == "chain_1m" else ""))
    lines += notes
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
