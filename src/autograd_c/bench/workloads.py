"""What the bench runs: workload names, sizes, descriptions and starting data.

Every system gets the same starting numbers from here (``mlp_data``,
``chain_data``); how each system computes a step is in ``systems.py``, the
fresh-interpreter workloads in ``isolated.py``.
"""
from __future__ import annotations

import numpy as np

from . import workload_cnn, workload_transformer

# model workloads, one module each: NAME, DESCRIPTION, DTYPE, build_step(system)
# and optionally SYSTEMS (the systems it applies to)
MODELS = {m.NAME: m for m in (workload_cnn, workload_transformer)}

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

# float32 twins: the same math and starting numbers (rounded to float32) in
# float32 for every system, the floor and torch included
FLOAT32 = {"tiny_mlp_f32": "tiny_mlp", "elementwise_chain_f32": "elementwise_chain"}

TIMED = ("tiny_mlp", "tiny_mlp_f32", "elementwise_chain", "elementwise_chain_f32",
         "small_mlp", "large_mlp") + tuple(MODELS)
SUBPROCESS = ("chain_1m", "memory_1mb_chain")
WORKLOADS = TIMED + SUBPROCESS

DESCRIPTIONS = {
    "tiny_mlp": "MLP training step, batch 32, 64-64-64-10, tanh/relu, summed squared error, SGD",
    "small_mlp": "MLP training step, batch 64, 256-256-256-10",
    "large_mlp": "MLP training step, batch 256, 1024-1024-1024-10",
    "elementwise_chain": f"{CHAIN_OPS} elementwise ops ({CHAIN_OPS // 2} x h = h * a + b) on "
                         f"{CHAIN_SIZE} floats, forward + backward; per op = time / {CHAIN_OPS}",
    "tiny_mlp_f32": "tiny_mlp in float32 (data, parameters, arithmetic; every system)",
    "elementwise_chain_f32": "elementwise_chain in float32 (every system); per op = time / "
                             f"{CHAIN_OPS}",
    "chain_1m": "chain of h = h * 1.0 on 4 floats, forward + backward, fresh subprocess",
    "memory_1mb_chain": "h = tanh(h) on 131072 floats (1 MB), forward + backward, "
                        "fresh subprocess",
    **{name: m.DESCRIPTION for name, m in MODELS.items()},
}
NOT_APPLICABLE = "not applicable"


def base_workload(name):
    """The float64 workload whose math ``name`` runs: ``tiny_mlp_f32`` -> ``tiny_mlp``."""
    return FLOAT32.get(name, name)


def dtype_of(name):
    """The floating dtype workload ``name`` computes in."""
    if name in MODELS:
        return MODELS[name].DTYPE
    return np.float32 if name in FLOAT32 else np.float64


def is_mlp(name):
    return base_workload(name) in MLP_SIZES


def is_chain(name):
    """The elementwise chain (either dtype): reported per op."""
    return base_workload(name) == "elementwise_chain"


def loss_tolerance(name):
    """``rtol, atol`` within which a system's first loss must match the floor's:
    the same math, but summation and BLAS orders differ between systems."""
    return (1e-4, 1e-5) if dtype_of(name) == np.float32 else (1e-7, 1e-9)


def mlp_lr(name):
    """SGD step size: small enough that repeated steps on a summed loss never
    diverge (an overflow would time NaN arithmetic instead of the workload)."""
    batch, n_in, n_hid, n_out = MLP_SIZES[base_workload(name)]
    return 0.01 / (batch * n_hid)


def mlp_data(name, seed=0):
    """``x, y, [W1, b1, W2, b2, W3, b3], lr`` for MLP workload ``name`` (drawn in
    float64, then rounded to the workload's dtype)."""
    batch, n_in, n_hid, n_out = MLP_SIZES[base_workload(name)]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, n_in))
    y = rng.standard_normal((batch, n_out))
    shapes = [(n_in, n_hid), (n_hid, n_hid), (n_hid, n_out)]
    params = []
    for fan_in, fan_out in shapes:
        params.append(rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in))
        params.append(rng.standard_normal(fan_out) * 0.1)
    dt = dtype_of(name)
    return x.astype(dt), y.astype(dt), [p.astype(dt) for p in params], mlp_lr(name)


def chain_data(seed=1, dtype=np.float64):
    """``x, a, b`` for the elementwise chain ``h = h * a + b`` (drawn in float64,
    then rounded to ``dtype``)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(CHAIN_SIZE)
    a = 1.0 + 0.001 * rng.standard_normal(CHAIN_SIZE)   # stays finite over 200 steps
    b = 0.01 * rng.standard_normal(CHAIN_SIZE)
    return x.astype(dtype), a.astype(dtype), b.astype(dtype)


def chain_reps():
    """Repetitions of ``h = h * a + b`` (two ops each)."""
    return CHAIN_OPS // 2
