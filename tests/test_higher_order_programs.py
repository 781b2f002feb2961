"""Second-order programs people write, against torch float64 (issue 12):
a WGAN-GP gradient-penalty step, a MAML-style inner step differentiated
through, and an MLP Hessian-vector product."""
import numpy as np
import pytest

import autograd_c as ag

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
W1, B1 = RNG.standard_normal((5, 8)) * 0.5, RNG.standard_normal(8) * 0.1
W2, B2 = RNG.standard_normal((8, 1)) * 0.5, RNG.standard_normal(1) * 0.1
REAL, FAKE = RNG.standard_normal((6, 5)), RNG.standard_normal((6, 5))
EPS = RNG.random((6, 1))
X, Y = RNG.standard_normal((10, 5)), RNG.standard_normal((10, 1))
V = [RNG.standard_normal(a.shape) for a in (W1, B1, W2, B2)]


def params(m):
    return [m.tensor(a.copy(), requires_grad=True) for a in (W1, B1, W2, B2)]


def net(m, p, x):
    return (x @ p[0] + p[1]).tanh() @ p[2] + p[3]


def np_(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.data


def wgan_gp(m):
    p = params(m)
    real, fake, eps = m.tensor(REAL), m.tensor(FAKE), m.tensor(EPS)
    xhat = eps * real + (1 - eps) * fake
    xhat.requires_grad_(True)
    d = net(m, p, xhat)
    (g,) = m.autograd.grad(d.sum(), xhat, create_graph=True)
    penalty = ((((g * g).sum(1) + 1e-12).sqrt() - 1) ** 2).mean()
    loss = net(m, p, fake).mean() - net(m, p, real).mean() + 10 * penalty
    grads = m.autograd.grad(loss, p)
    return [loss] + list(grads)


def maml(m):
    p = params(m)
    inner = ((net(m, p, m.tensor(X[:5])) - m.tensor(Y[:5])) ** 2).mean()
    gs = m.autograd.grad(inner, p, create_graph=True)
    fast = [w - 0.1 * g for w, g in zip(p, gs)]
    outer = ((net(m, fast, m.tensor(X[5:])) - m.tensor(Y[5:])) ** 2).mean()
    return [outer] + list(m.autograd.grad(outer, p))


def hvp(m):
    p = params(m)
    loss = ((net(m, p, m.tensor(X)) - m.tensor(Y)) ** 2).mean()
    gs = m.autograd.grad(loss, p, create_graph=True)
    dot = sum((g * m.tensor(v)).sum() for g, v in zip(gs, V))
    return [loss] + list(m.autograd.grad(dot, p))


@pytest.mark.parametrize("program", [wgan_gp, maml, hvp])
def test_matches_torch(engine, program):
    ours, theirs = program(ag), program(torch)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(np_(a), np_(b), rtol=1e-10, atol=1e-10)


def test_print_differences(engine, capsys):
    for program in (wgan_gp, maml, hvp):
        ours, theirs = program(ag), program(torch)
        diff = max(float(np.abs(np_(a) - np_(b)).max()) for a, b in zip(ours, theirs))
        print(f"{engine.name} {program.__name__}: max |ours - torch| = {diff:.2e}")
        assert diff < 1e-10
