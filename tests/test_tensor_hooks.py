"""Tensor.register_hook, retain_grad and handles, against torch (issue 12)."""
import numpy as np
import pytest

import autograd_c as ag

torch = pytest.importorskip("torch")


def _run(m, make, program):
    x = make([1.0, -2.0, 3.0])
    return program(m, x)


def _make_ag(v):
    return ag.tensor(np.array(v), requires_grad=True)


def _make_torch(v):
    return torch.tensor(v, dtype=torch.float64, requires_grad=True)


def _np(t):
    return None if t is None else (t.detach().numpy() if isinstance(t, torch.Tensor) else t.data)


def program_replace(m, x):
    h = x * 2
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(_np(g).copy()) or g * 3)
    x.register_hook(lambda g: g + 1)
    y = (h * h.sin()).sum()
    y.backward()
    return [_np(x.grad), _np(h.grad), seen[0]]


def program_remove(m, x):
    h = x.tanh()
    handle = h.register_hook(lambda g: g * 100)
    handle.remove()
    handle.remove()                         # a second remove does nothing
    (h * h).sum().backward()
    return [_np(x.grad)]


def program_twice(m, x):
    calls = []
    x.register_hook(lambda g: calls.append(1))
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return [_np(x.grad), np.array(len(calls), dtype=float)]


def program_autograd_grad(m, x):
    h = x.exp()
    h.register_hook(lambda g: g * 2)
    (gx,) = m.autograd.grad((h * x).sum(), x)
    return [_np(gx), np.array(x.grad is None, dtype=float)]


def program_create_graph(m, x):
    h = x * x
    h.register_hook(lambda g: g * x)            # a hook that itself depends on x
    (gx,) = m.autograd.grad(h.sum(), x, create_graph=True)
    (ggx,) = m.autograd.grad(gx.sum(), x)
    return [_np(gx), _np(ggx)]


@pytest.mark.parametrize("program", [program_replace, program_remove, program_twice,
                                     program_autograd_grad, program_create_graph])
def test_hooks_match_torch(engine, program):
    ours = program(ag, _make_ag([1.0, -2.0, 3.0]))
    theirs = program(torch, _make_torch([1.0, -2.0, 3.0]))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_hook_errors(engine):
    x = ag.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match="callable"):
        x.register_hook(3)
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.tensor(np.ones(3)).register_hook(lambda g: g)
    x.register_hook(lambda g: ag.tensor(np.ones(4)))
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).sum().backward()
    assert x.grad is None                     # nothing committed on error


def test_retain_grad_on_leaf_is_a_noop_and_retains_grad_flag(engine):
    x = ag.tensor(np.ones(2), requires_grad=True)
    x.retain_grad()
    h = x * 3
    assert not h.retains_grad
    h.retain_grad()
    assert h.retains_grad
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.data, [6.0, 6.0])
