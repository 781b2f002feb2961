"""The systems compared, each building a zero-argument ``step()`` for the timed
workloads: one forward + backward (+ SGD update for the MLP), returning the loss.

- ``numpy``: the floor -- hand-written numpy forward and backward, no graph;
- ``c`` and ``python``: autograd_c's compiled and pure-Python engines;
- ``torch``: PyTorch on the CPU;
- ``autograd``: HIPS autograd.

All of them do the same arithmetic from the same starting numbers
(``workloads.mlp_data`` / ``workloads.chain_data``), so their first losses agree;
they compute in the dtype of those numbers (float64, or float32 for the ``_f32``
workloads), with Python-float constants that do not promote.
"""
from __future__ import annotations

import numpy as np

from .workloads import EXTRA, chain_data, chain_reps, dtype_of, is_chain, is_mlp, mlp_data

SYSTEMS = ("numpy", "c", "python", "torch", "autograd")
FLOOR = "numpy"
NOT_INSTALLED = "not installed"


def have(system):
    """Whether ``system`` can run here."""
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


def torch_module():
    import torch
    return torch


# --------------------------------------------------------------------------
# MLP step: 3 layers, tanh then relu, summed squared error, SGD update
# --------------------------------------------------------------------------

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
    torch = torch_module()
    X = torch.from_numpy(x.copy())
    Y = torch.from_numpy(y.copy())
    ps = [torch.from_numpy(p.copy()).requires_grad_() for p in params]   # dtype kept
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

def chain_numpy(x, a, b):
    n = chain_reps()

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
        n = chain_reps()
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
    torch = torch_module()
    n = chain_reps()
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
    n = chain_reps()

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
    """``step()`` of timed ``workload`` on ``system``, from the shared start."""
    if workload in EXTRA:
        return EXTRA[workload].build(system)
    if is_mlp(workload):
        return BUILDERS["mlp"][system](*mlp_data(workload))
    if is_chain(workload):
        return BUILDERS["chain"][system](*chain_data(dtype=dtype_of(workload)))
    raise ValueError(workload)
