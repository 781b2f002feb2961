"""No leaks, no reference cycles, and scale: graphs are freed by reference
counting alone (gc disabled), a training loop does not grow resident memory,
and very long / very wide graphs backpropagate exactly.

AUTOGRAD_C_LONG=1 runs the training loop for 100,000 steps instead of 10,000.
Run with ``-s`` to see the timings and memory figures."""
import gc
import json
import os
import subprocess
import sys
import time
import weakref

import numpy as np
import pytest

from conftest import require_compiled

import autograd_c as ag

LONG = os.environ.get("AUTOGRAD_C_LONG", "") not in ("", "0")


@pytest.fixture
def no_gc():
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _graph(x):
    """A small graph with saved inputs, saved outputs, reuse and a view."""
    h1 = x * 2.0                 # mul saves x
    h2 = h1.exp()                # exp saves its output
    h3 = h2 * h1                 # h1 reused, saved
    h4 = h3.T.reshape(-1)        # views
    y = (h4.tanh() + h1.sum()).sum()
    return y, [h1, h2, h3, h4]


def test_intermediates_freed_after_backward(engine, no_gc):
    x = ag.Tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    y, inter = _graph(x)
    t_refs = [weakref.ref(t) for t in inter]
    n_refs = [weakref.ref(t.grad_fn) for t in inter] + [weakref.ref(y.grad_fn)]
    del inter
    y.backward()
    assert x.grad is not None
    del y
    assert [r() is None for r in t_refs] == [True] * len(t_refs)
    assert [r() is None for r in n_refs] == [True] * len(n_refs)
    # the leaf and its gradient are untouched by the cleanup
    assert x.grad.shape == (2, 3)


def test_intermediates_alive_until_user_drops_them(engine, no_gc):
    x = ag.Tensor(np.ones((2, 3)), requires_grad=True)
    y, inter = _graph(x)
    n_refs = [weakref.ref(t.grad_fn) for t in inter]
    y.backward()
    # the user still holds the intermediates: they (and their nodes) are alive
    assert all(r() is not None for r in n_refs)
    del y, inter
    assert all(r() is None for r in n_refs)


def test_retain_graph_freed_once_output_dropped(engine, no_gc):
    x = ag.Tensor(np.linspace(0, 1, 6).reshape(2, 3), requires_grad=True)
    y, inter = _graph(x)
    t_refs = [weakref.ref(t) for t in inter]
    n_refs = [weakref.ref(t.grad_fn) for t in inter] + [weakref.ref(y.grad_fn)]
    del inter
    y.backward(retain_graph=True)
    g1 = x.grad.data.copy()
    # the graph is retained: nodes alive, a second backward works
    assert all(r() is not None for r in n_refs)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * g1)
    y2, inter2 = _graph(x)
    y2.backward(retain_graph=True)
    del y, y2, inter2
    assert all(r() is None for r in t_refs)
    assert all(r() is None for r in n_refs)


def test_graph_without_backward_freed(engine, no_gc):
    x = ag.Tensor(np.ones(4), requires_grad=True)
    y, inter = _graph(x)
    n_refs = [weakref.ref(t.grad_fn) for t in inter]
    del y, inter
    assert all(r() is None for r in n_refs)


def test_failed_backward_does_not_leak(engine, no_gc):
    x = ag.Tensor(np.ones((2, 3)), requires_grad=True)
    y, inter = _graph(x)
    n_refs = [weakref.ref(t.grad_fn) for t in inter]
    with ag.no_grad():
        inter[0] += 1.0        # h1 is saved by the mul that made h3
    with pytest.raises(RuntimeError):
        y.backward()
    del y, inter
    assert all(r() is None for r in n_refs)


def test_leaf_grad_holds_no_graph(engine, no_gc):
    x = ag.Tensor(np.ones(3), requires_grad=True)
    y = (x * x).sum()
    node = weakref.ref(y.grad_fn)
    y.backward()
    del y
    assert node() is None
    assert x.grad.is_leaf and x.grad.grad_fn is None and not x.grad.requires_grad


# --------------------------------------------------------------------------
# resident memory of a training loop (subprocess, gc disabled)
# --------------------------------------------------------------------------

MLP_SCRIPT = r"""
import gc, json, sys, time
import numpy as np
import autograd_c as ag

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

engine, steps, warmup = sys.argv[1], int(sys.argv[2]), 300
ag.set_engine(engine)
gc.disable()
rng = np.random.default_rng(0)
X = ag.Tensor(rng.standard_normal((32, 4)))
Y = ag.Tensor(rng.standard_normal((32, 1)))
params = [ag.Tensor(rng.standard_normal((4, 16)) * 0.5, requires_grad=True),
          ag.Tensor(np.zeros(16), requires_grad=True),
          ag.Tensor(rng.standard_normal((16, 1)) * 0.5, requires_grad=True),
          ag.Tensor(np.zeros(1), requires_grad=True)]
w1, b1, w2, b2 = params

def step():
    h = ag.tanh(X @ w1 + b1)
    loss = (((h @ w2 + b2) - Y) ** 2).mean()
    loss.backward()
    with ag.no_grad():
        for p in params:
            p -= 0.05 * p.grad
            p.grad = None
    return loss.item()

first = step()
for _ in range(warmup - 1):
    step()
r0, n0 = rss_mb(), len(gc.get_objects())
t0 = time.perf_counter()
for _ in range(steps):
    last = step()
dt = time.perf_counter() - t0
r1, n1 = rss_mb(), len(gc.get_objects())
print(json.dumps({"engine": engine, "steps": steps, "growth_mb": r1 - r0, "rss_mb": r1,
                  "gc_objects_growth": n1 - n0, "seconds": dt, "first_loss": first,
                  "last_loss": last, "gc_enabled": gc.isenabled()}))
"""


@pytest.mark.parametrize("name", ["c", "python"])
def test_training_loop_rss_stable_with_gc_disabled(name):
    if name not in ag.engines.available:
        require_compiled()
    steps = 100_000 if LONG else 10_000
    out = subprocess.run([sys.executable, "-c", MLP_SCRIPT, name, str(steps)],
                         capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"\n[memory] {name}: {steps} steps in {r['seconds']:.1f}s, RSS growth "
          f"{r['growth_mb']:.2f} MB (RSS {r['rss_mb']:.1f} MB), gc-tracked objects "
          f"{r['gc_objects_growth']:+d}, loss {r['first_loss']:.4f} -> {r['last_loss']:.6f}")
    assert r["gc_enabled"] is False
    assert r["last_loss"] < 0.1 * r["first_loss"]      # it really trained
    assert r["growth_mb"] < 5.0
    assert abs(r["gc_objects_growth"]) < 100


# --------------------------------------------------------------------------
# scale
# --------------------------------------------------------------------------

def _timed(label, fn):
    t = time.perf_counter()
    out = fn()
    print(f"\n[scale] {label}: {time.perf_counter() - t:.2f}s")
    return out


def test_million_op_chain(engine, no_gc):
    n = 1_000_000
    x = ag.Tensor(np.array([0.5, -1.5, 2.0]), requires_grad=True)

    def forward():
        h = x
        for _ in range(n):
            h = h * 1.0
        return h.sum()

    y = _timed(f"{engine.name}: forward {n:,} muls", forward)
    root = weakref.ref(y.grad_fn)
    _timed(f"{engine.name}: backward {n:,} nodes", y.backward)
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0, 1.0])
    del y
    assert root() is None


def test_deep_chain_dropped_without_backward(engine, no_gc):
    # freeing a 300k-deep graph must not overflow the C stack
    x = ag.Tensor(np.ones(2), requires_grad=True)
    h = x
    for _ in range(300_000):
        h = h + 1.0
    first = weakref.ref(h.grad_fn)
    _timed(f"{engine.name}: drop a 300,000-deep graph", lambda: None)
    del h
    assert first() is None


def test_one_tensor_feeds_100k_consumers(engine, no_gc):
    n = 100_000
    x = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 2.0                          # an interior node with n consumers

    def forward():
        return ag.stack([h * 1.0 for _ in range(n)]).sum() + ag.stack([x] * n).sum()

    y = _timed(f"{engine.name}: forward, fan-out {n:,}", forward)
    _timed(f"{engine.name}: backward, fan-out {n:,}", y.backward)
    np.testing.assert_array_equal(x.grad.data, [3.0 * n, 3.0 * n])


def test_100k_independent_leaves_summed(engine, no_gc):
    n = 100_000
    rng = np.random.default_rng(1)
    vals = rng.standard_normal(n)
    leaves = [ag.Tensor(v, requires_grad=True) for v in vals]

    def forward():
        s = leaves[0]
        for t in leaves[1:]:
            s = s + t
        return s * 3.0

    y = _timed(f"{engine.name}: forward, {n:,} leaves", forward)
    _timed(f"{engine.name}: backward, {n:,} leaves", y.backward)
    grads = np.array([t.grad.data for t in leaves])
    np.testing.assert_array_equal(grads, np.full(n, 3.0))
    assert all(t.grad.dtype == np.float64 for t in leaves[:10])
