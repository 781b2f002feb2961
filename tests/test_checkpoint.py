"""autograd_c.utils.checkpoint: same gradients as without it (and as
torch.utils.checkpoint), lower peak memory on a deep MLP."""
import os
import sys

import numpy as np
import pytest

import autograd_c as ag
from autograd_c.utils.checkpoint import checkpoint, checkpoint_sequential

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
import checkpoint_memory  # noqa: E402

torch = pytest.importorskip("torch")


def test_gradients_equal_plain_and_torch(engine):
    rng = np.random.default_rng(0)
    W = [rng.standard_normal((6, 6)) * 0.4 for _ in range(4)]
    X = rng.standard_normal((3, 6))

    def block(h, w):
        return (h @ w).tanh() * h.sigmoid()

    def run(m, ck):
        ws = [m.tensor(w, requires_grad=True) for w in W]
        x = m.tensor(X, requires_grad=True)
        h = x
        for w in ws:
            if ck and m is torch:
                h = torch.utils.checkpoint.checkpoint(block, h, w, use_reentrant=False)
            elif ck:
                h = checkpoint(block, h, w, use_reentrant=False)
            else:
                h = block(h, w)
        (h * h).sum().backward()
        return [t.grad.detach().numpy() if m is torch else t.grad.data for t in ws + [x]]

    ours, plain, theirs = run(ag, True), run(ag, False), run(torch, True)
    for a, b, c in zip(ours, plain, theirs):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


def test_checkpoint_sequential_matches(engine):
    model = ag.nn.Sequential(*[ag.nn.Linear(5, 5, dtype=np.float64) for _ in range(6)]) \
        if "dtype" in ag.nn.Linear.__init__.__code__.co_varnames \
        else ag.nn.Sequential(*[ag.nn.Linear(5, 5) for _ in range(6)])
    x = ag.tensor(np.random.default_rng(1).standard_normal((4, 5)), requires_grad=True)
    (model(x) ** 2).sum().backward()
    want = [p.grad.data.copy() for p in model.parameters()] + [x.grad.data.copy()]
    model.zero_grad()
    x.grad = None
    (checkpoint_sequential(model, 3, x) ** 2).sum().backward()
    got = [p.grad.data for p in model.parameters()] + [x.grad.data]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_lower_peak_memory_on_a_deep_mlp(engine):
    plain, ckpt, diff = checkpoint_memory.main(
        ["--layers", "24", "--width", "64", "--batch", "1024", "--segment", "5",
         "--engine", engine.name])
    assert diff == 0.0
    assert ckpt < 0.6 * plain, (plain, ckpt)
