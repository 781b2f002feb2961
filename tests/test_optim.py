"""Optimizers and schedulers against PyTorch float64 on both engines: 50 steps
of an 8-16-4 tanh MLP from the same weights and data; lr sequences;
resuming from a state_dict gives the same trajectory; errors."""
import numpy as np
import pytest

import autograd_c as ag
from autograd_c import nn, optim
from conftest import needs_torch

# compared with torch in float64: layers and Python floats in float64 here
pytestmark = pytest.mark.usefixtures("float64_default")

STEPS = 50


def _setup():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 8))
    Y = rng.standard_normal((32, 4))
    init = [rng.standard_normal((16, 8)) * 0.3, rng.standard_normal(16) * 0.1,
            rng.standard_normal((4, 16)) * 0.3, rng.standard_normal(4) * 0.1]
    return X, Y, init


def _model(init):
    m = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 4))
    m.load_state_dict(dict(zip(["0.weight", "0.bias", "2.weight", "2.bias"], init)))
    return m


def _train(opt_name, kw, steps=STEPS, model=None, opt=None):
    X, Y, init = _setup()
    model = model or _model(init)
    opt = opt or getattr(optim, opt_name)(model.parameters(), **kw)
    loss_fn = nn.MSELoss()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model(X), Y).backward()
        opt.step()
    return model, opt


def _torch_train(opt_name, kw, steps=STEPS):
    import torch
    X, Y, init = _setup()
    m = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 4))
    m = m.double()
    with torch.no_grad():
        for p, a in zip(m.parameters(), init):
            p.copy_(torch.tensor(a))
    opt = getattr(torch.optim, opt_name)(m.parameters(), **kw)
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(m(Xt), Yt).backward()
        opt.step()
    return [p.detach().numpy() for p in m.parameters()]


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.005, momentum=0.9, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.005, alpha=0.9, momentum=0.5, centered=True)),
]


@needs_torch
@pytest.mark.parametrize("opt_name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_matches_torch(engine, opt_name, kw):
    model, _ = _train(opt_name, kw)
    ref = _torch_train(opt_name, kw)
    ours = [p.data for p in model.parameters()]
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
    # and the parameters really moved
    _, _, init = _setup()
    assert max(np.abs(a - b).max() for a, b in zip(ours, init)) > 1e-3


@pytest.mark.parametrize("opt_name,kw", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                         ("Adam", dict(lr=0.01)),
                                         ("AdamW", dict(lr=0.01)),
                                         ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5))])
def test_state_dict_resume_is_identical(engine, opt_name, kw, tmp_path):
    full, _ = _train(opt_name, kw, steps=20)
    half, opt = _train(opt_name, kw, steps=10)
    path = tmp_path / "ckpt.npz"
    ag.save({"model": half.state_dict(), "optim": opt.state_dict()}, path)
    ck = ag.load(path)
    _, _, init = _setup()
    model2 = _model(init)                      # fresh model and optimizer
    model2.load_state_dict(ck["model"])
    opt2 = getattr(optim, opt_name)(model2.parameters(), lr=123.0)
    opt2.load_state_dict(ck["optim"])
    assert opt2.param_groups[0]["lr"] == kw["lr"]
    resumed, _ = _train(opt_name, kw, steps=10, model=model2, opt=opt2)
    for a, b in zip(full.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_optimizer_state_dict_is_a_copy(engine):
    _, opt = _train("Adam", dict(lr=0.01), steps=2)
    sd = opt.state_dict()
    assert sd["state"][0]["step"] == 2
    before = sd["state"][0]["exp_avg"].copy()
    for p in opt.param_groups[0]["params"]:
        p.grad = np.ones(p.shape)
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], before)


def test_param_groups(engine):
    a = nn.Parameter(np.ones(3))
    b = nn.Parameter(np.ones(3))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad = np.ones(3)
    b.grad = np.ones(3)
    va = a.version
    opt.step()
    np.testing.assert_allclose(a.data, 0.9)
    np.testing.assert_allclose(b.data, 0.5)
    assert a.version > va       # the in-place update is visible to version counters
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    c = nn.Parameter(np.ones(2))
    c.grad = None
    optim.SGD([c], lr=1.0).step()     # a parameter without grad is skipped
    np.testing.assert_array_equal(c.data, 1.0)


def test_step_updates_are_in_place_and_outside_the_graph(engine):
    p = nn.Parameter(np.array([1.0, 2.0]))
    data = p.data
    loss = (p * p).sum()
    loss.backward()
    optim.Adam([p], lr=0.1).step()
    assert p.data is data and p.is_leaf and p.requires_grad
    assert p.grad.data.tolist() == [2.0, 4.0]


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop])
def test_errors(engine, cls):
    with pytest.raises(ValueError, match="empty parameter list"):
        cls([], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        cls([nn.Parameter(np.ones(2))], lr=-0.1)
    with pytest.raises(ValueError, match="weight_decay"):
        cls([nn.Parameter(np.ones(2))], lr=0.1, weight_decay=-1.0)
    p = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="more than one group"):
        cls([p, p], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        cls([p * 2], lr=0.1)


def test_sgd_nesterov_needs_momentum(engine):
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([nn.Parameter(np.ones(2))], lr=0.1, nesterov=True)


# -- schedulers -------------------------------------------------------------------

SCHEDULERS = [("StepLR", dict(step_size=3, gamma=0.5)),
              ("StepLR", dict(step_size=1)),
              ("CosineAnnealingLR", dict(T_max=10)),
              ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01))]


@needs_torch
@pytest.mark.parametrize("name,kw", SCHEDULERS)
def test_scheduler_matches_torch(engine, name, kw):
    import torch
    ours_opt = optim.SGD([nn.Parameter(np.ones(2))], lr=0.1, momentum=0.9)
    ours = getattr(optim.lr_scheduler, name)(ours_opt, **kw)
    tp = torch.zeros(2, requires_grad=True)
    t_opt = torch.optim.SGD([tp], lr=0.1, momentum=0.9)
    theirs = getattr(torch.optim.lr_scheduler, name)(t_opt, **kw)
    seq_a, seq_b = [], []
    for _ in range(25):       # past T_max: the cosine goes back up, as in torch
        seq_a.append(ours_opt.param_groups[0]["lr"])
        seq_b.append(t_opt.param_groups[0]["lr"])
        assert ours.get_last_lr() == [seq_a[-1]]
        ours_opt.step()
        t_opt.step()
        ours.step()
        theirs.step()
    np.testing.assert_allclose(seq_a, seq_b, rtol=1e-14, atol=1e-17)
    assert len(set(np.round(seq_a, 12))) > 1


def test_scheduler_errors(engine):
    opt = optim.SGD([nn.Parameter(np.ones(2))], lr=0.1)
    with pytest.raises(ValueError, match="step_size"):
        optim.lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        optim.lr_scheduler.CosineAnnealingLR(opt, T_max=0)
