"""What the bench runs: workload names, sizes, descriptions and starting data.

Every system gets the same starting numbers from here (``mlp_data``,
``chain_data``); how each system computes a step is in ``systems.py``, the
fresh-interpreter workloads in ``isolated.py``.
"""
from __future__ import annotations

import numpy as np

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


def mlp_lr(name):
    """SGD step size: small enough that repeated steps on a summed loss never
    diverge (an overflow would time NaN arithmetic instead of the workload)."""
    batch, n_in, n_hid, n_out = MLP_SIZES[name]
    return 0.01 / (batch * n_hid)


def mlp_data(name, seed=0):
    """``x, y, [W1, b1, W2, b2, W3, b3], lr`` for MLP workload ``name``."""
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


def chain_data(seed=1):
    """``x, a, b`` for the elementwise chain ``h = h * a + b``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(CHAIN_SIZE)
    a = 1.0 + 0.001 * rng.standard_normal(CHAIN_SIZE)   # stays finite over 200 steps
    b = 0.01 * rng.standard_normal(CHAIN_SIZE)
    return x, a, b


def chain_reps():
    """Repetitions of ``h = h * a + b`` (two ops each)."""
    return CHAIN_OPS // 2
