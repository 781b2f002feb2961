"""Every optimizer against ``torch.optim`` in float64, on both engines: the
same initial parameters and the same gradient sequence (fed as ``.grad``,
independent of the parameters, so every term of the update is exercised),
25 steps, two parameter groups, over the option combinations that change the
update (maximize, weight decay coupled or decoupled, amsgrad, momentum,
dampening, Nesterov, centered, lr_decay, ...). Trajectories must agree to
1e-10 at every step. Also: constructor signatures equal to torch's, param
groups with torch's keys, ``add_param_group``, ``state_dict`` round trips,
closures and errors."""
import inspect
import itertools

import numpy as np
import pytest

import autograd_c as ag
from autograd_c import nn, optim
from conftest import needs_torch

# compared with torch in float64: layers and Python floats in float64 here
pytestmark = pytest.mark.usefixtures("float64_default")

STEPS = 25
SHAPES = [(3, 4), (5,), (2, 2, 3)]
NAMES = ["SGD", "Adam", "AdamW", "Adagrad", "Adamax", "NAdam", "RAdam", "RMSprop"]


def _grid(**axes):
    keys = list(axes)
    return [dict(zip(keys, vals)) for vals in itertools.product(*axes.values())]


def _cases():
    out = []
    for kw in _grid(momentum=[0.0, 0.9], dampening=[0.0, 0.3], nesterov=[False, True],
                    weight_decay=[0.0, 0.05], maximize=[False, True]):
        if kw["nesterov"] and (kw["momentum"] == 0 or kw["dampening"] != 0):
            continue
        out.append(("SGD", dict(lr=0.05, **kw)))
    for kw in _grid(amsgrad=[False, True], maximize=[False, True], weight_decay=[0.0, 0.1],
                    decoupled_weight_decay=[False, True]):
        out.append(("Adam", dict(lr=0.01, **kw)))
    out.append(("Adam", dict(lr=0.02, betas=(0.3, 0.6), eps=1e-3, amsgrad=True)))  # lerp w >= 0.5
    for kw in _grid(amsgrad=[False, True], maximize=[False, True], weight_decay=[0.0, 0.1]):
        out.append(("AdamW", dict(lr=0.01, **kw)))
    out.append(("AdamW", dict(lr=0.01, betas=(0.5, 0.9), eps=1e-4)))
    for kw in _grid(lr_decay=[0.0, 0.05], weight_decay=[0.0, 0.1],
                    initial_accumulator_value=[0.0, 0.3], maximize=[False, True]):
        out.append(("Adagrad", dict(lr=0.05, **kw)))
    out.append(("Adagrad", dict(lr=0.1, eps=1e-3)))
    for kw in _grid(weight_decay=[0.0, 0.1], maximize=[False, True],
                    betas=[(0.9, 0.999), (0.4, 0.8)]):
        out.append(("Adamax", dict(lr=0.01, **kw)))
    out.append(("Adamax", dict(lr=0.01, eps=1e-2)))
    for kw in _grid(weight_decay=[0.0, 0.1], decoupled_weight_decay=[False, True],
                    maximize=[False, True], momentum_decay=[4e-3, 0.1]):
        out.append(("NAdam", dict(lr=0.01, **kw)))
    out.append(("NAdam", dict(lr=0.01, betas=(0.3, 0.7), eps=1e-4)))
    for kw in _grid(weight_decay=[0.0, 0.1], decoupled_weight_decay=[False, True],
                    maximize=[False, True], betas=[(0.9, 0.999), (0.8, 0.7)]):
        out.append(("RAdam", dict(lr=0.01, **kw)))      # beta2 0.7: rho_t <= 5 throughout
    out.append(("RAdam", dict(lr=0.01, betas=(0.9, 0.9), eps=1e-3)))  # rho_t crosses 5
    for kw in _grid(centered=[False, True], momentum=[0.0, 0.7], weight_decay=[0.0, 0.1],
                    maximize=[False, True]):
        out.append(("RMSprop", dict(lr=0.01, **kw)))
    out.append(("RMSprop", dict(lr=0.01, alpha=0.4, eps=1e-3, centered=True)))
    return out


CASES = _cases()


def _data(seed=0):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) * (1 + t % 3) for s in SHAPES] for t in range(STEPS)]
    return init, grads


def _groups(params, lib_lr_scale):
    # two groups: the second with its own lr (and the group-level options)
    return [{"params": params[:2]}, {"params": params[2:], "lr": lib_lr_scale}]


def _run_ours(name, kw):
    init, grads = _data()
    ps = [nn.Parameter(a.copy()) for a in init]
    opt = getattr(optim, name)(_groups(ps, kw["lr"] * 0.5), **kw)
    traj = []
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad = g.copy()
        opt.step()
        traj.append([p.data.copy() for p in ps])
    return traj, opt


def _run_torch(name, kw):
    import torch
    init, grads = _data()
    ps = [torch.tensor(a, requires_grad=True) for a in init]
    opt = getattr(torch.optim, name)(_groups(ps, kw["lr"] * 0.5), **kw)
    traj = []
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad = torch.tensor(g)
        opt.step()
        traj.append([p.detach().numpy().copy() for p in ps])
    return traj, opt


def _case_id(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items() if k != "lr")


@needs_torch
@pytest.mark.parametrize("name,kw", CASES, ids=[_case_id(c) for c in CASES])
def test_trajectory_matches_torch(engine, name, kw):
    ours, opt = _run_ours(name, kw)
    theirs, topt = _run_torch(name, kw)
    for t, (a, b) in enumerate(zip(ours, theirs)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=0, atol=1e-10, err_msg=f"step {t + 1}")
    init, _ = _data()
    assert max(np.abs(x - y).max() for x, y in zip(ours[-1], init)) > 1e-2   # it moved
    # the per-parameter state holds the same buffers as torch's
    for p, tp in zip([p for g in opt.param_groups for p in g["params"]],
                     [p for g in topt.param_groups for p in g["params"]]):
        st, tst = opt.state[p], topt.state[tp]
        assert set(st) == set(tst)
        for k in st:
            np.testing.assert_allclose(np.asarray(st[k], dtype=float),
                                       tst[k].detach().numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=k)


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_signature_and_groups_as_torch(engine, name):
    import torch
    ours = inspect.signature(getattr(optim, name).__init__).parameters
    theirs = inspect.signature(getattr(torch.optim, name).__init__).parameters
    assert list(ours) == list(theirs)
    for k in ours:
        assert ours[k].kind == theirs[k].kind, k
        assert ours[k].default == theirs[k].default, k
    p = nn.Parameter(np.zeros(2))
    tp = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    g = getattr(optim, name)([p]).param_groups[0]
    tg = getattr(torch.optim, name)([tp]).param_groups[0]
    assert {k: v for k, v in g.items() if k != "params"} == \
        {k: v for k, v in tg.items() if k != "params"}


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_add_param_group_matches_torch(engine, name):
    import torch
    init, grads = _data(1)
    ps = [nn.Parameter(a.copy()) for a in init]
    tps = [torch.tensor(a, requires_grad=True) for a in init]
    kw = dict(lr=0.01, weight_decay=0.01)
    opt = getattr(optim, name)(ps[:1], **kw)
    topt = getattr(torch.optim, name)(tps[:1], **kw)
    for t, gs in enumerate(grads):
        if t == 5:      # a new group mid-training, with its own lr; defaults fill the rest
            opt.add_param_group({"params": ps[1:], "lr": 0.03})
            topt.add_param_group({"params": tps[1:], "lr": 0.03})
            assert opt.param_groups[1].keys() == topt.param_groups[1].keys()
        for p, tp, g in zip(ps, tps, gs):
            p.grad = g.copy()
            tp.grad = torch.tensor(g)
        opt.step()
        topt.step()
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match="more than one group"):
        opt.add_param_group({"params": [ps[0]]})
    with pytest.raises(TypeError, match="set"):
        opt.add_param_group({"params": {nn.Parameter(np.ones(2))}})


RESUME = [("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True)),
          ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
          ("AdamW", dict(lr=0.01, amsgrad=True)),
          ("Adagrad", dict(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1)),
          ("Adamax", dict(lr=0.01, weight_decay=0.1)),
          ("NAdam", dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1)),
          ("RAdam", dict(lr=0.01, betas=(0.9, 0.9))),
          ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5))]


@pytest.mark.parametrize("name,kw", RESUME, ids=[n for n, _ in RESUME])
def test_resume_bit_exact(engine, name, kw, tmp_path):
    """10 steps, save, load into a fresh optimizer, 15 more == 25 straight."""
    init, grads = _data()
    full, _ = _run_ours(name, kw)
    ps = [nn.Parameter(a.copy()) for a in init]
    opt = getattr(optim, name)(_groups(ps, kw["lr"] * 0.5), **kw)
    for gs in grads[:10]:
        for p, g in zip(ps, gs):
            p.grad = g.copy()
        opt.step()
    path = tmp_path / "opt.ckpt"
    ag.save({"params": [p.data for p in ps], "optim": opt.state_dict()}, path)
    ck = ag.load(path)
    ps2 = [nn.Parameter(a) for a in ck["params"]]
    opt2 = getattr(optim, name)(_groups(ps2, 99.0), lr=99.0)
    opt2.load_state_dict(ck["optim"])
    assert [g["lr"] for g in opt2.param_groups] == [kw["lr"], kw["lr"] * 0.5]
    for k, v in kw.items():
        assert opt2.param_groups[0][k] == v, k
    for gs in grads[10:]:
        for p, g in zip(ps2, gs):
            p.grad = g.copy()
        opt2.step()
    for a, b in zip(full[-1], ps2):
        np.testing.assert_array_equal(a, b.data)


def test_closure_and_named_parameters(engine):
    p = nn.Parameter(np.array([1.0, -2.0]))
    opt = optim.SGD([("w", p)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["w"]
    calls = []

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        calls.append(1)
        return loss

    with ag.no_grad():
        loss = opt.step(closure)      # the closure runs with grad enabled
    assert calls == [1] and loss.item() == 5.0
    np.testing.assert_allclose(p.data, [0.8, -1.6])


@pytest.mark.parametrize("name", NAMES)
def test_errors_name_the_optimizer_and_value(engine, name):
    cls = getattr(optim, name)
    p = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match=rf"{name}: .*learning rate lr=-0.5"):
        cls([p], lr=-0.5)
    with pytest.raises(ValueError, match=rf"{name}: .*weight_decay=-1"):
        cls([p], lr=0.1, weight_decay=-1)
    with pytest.raises(NotImplementedError, match=rf"{name}: differentiable=True"):
        cls([p], lr=0.1, differentiable=True)
    if "betas" in inspect.signature(cls).parameters:
        with pytest.raises(ValueError, match=rf"{name}: .*index 1: betas\[1\]=1.0"):
            cls([p], lr=0.1, betas=(0.9, 1.0))
        with pytest.raises(ValueError, match=rf"{name}: .*index 0: betas\[0\]=-0.1"):
            cls([p], lr=0.1, betas=(-0.1, 0.9))
    if "eps" in inspect.signature(cls).parameters:
        with pytest.raises(ValueError, match=rf"{name}: invalid eps=-1e-08"):
            cls([p], lr=0.1, eps=-1e-8)


def test_specific_errors(engine):
    p = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="Adagrad: invalid lr_decay=-0.1"):
        optim.Adagrad([p], lr_decay=-0.1)
    with pytest.raises(ValueError, match="Adagrad: invalid initial_accumulator_value=-1"):
        optim.Adagrad([p], initial_accumulator_value=-1)
    with pytest.raises(ValueError, match="NAdam: invalid momentum_decay=-0.5"):
        optim.NAdam([p], momentum_decay=-0.5)
    with pytest.raises(ValueError, match="SGD: invalid momentum=-0.9"):
        optim.SGD([p], momentum=-0.9)
    with pytest.raises(ValueError, match="RMSprop: invalid alpha=-1"):
        optim.RMSprop([p], alpha=-1)
    with pytest.raises(ValueError, match="Nesterov.*dampening=0.5"):
        optim.SGD([p], momentum=0.9, dampening=0.5, nesterov=True)


def test_updates_bump_the_version_and_stay_off_the_graph(engine):
    for name in NAMES:
        p = nn.Parameter(np.array([1.0, 2.0]))
        data = p.data
        (p * p).sum().backward()
        v = p.version
        getattr(optim, name)([p], lr=0.1).step()
        assert p.data is data and p.is_leaf and p.version > v, name
        assert not np.array_equal(p.data, [1.0, 2.0]), name


def test_params_must_be_iterable(engine):
    with pytest.raises(TypeError, match="Adamax: params must be an iterable of tensors or "
                                        "dicts, got int"):
        optim.Adamax(3)
    with pytest.raises(TypeError, match="NAdam: params must be an iterable .* got a single "
                                        "Tensor"):
        optim.NAdam(nn.Parameter(np.ones(2)))


# -- whole training runs: gradients that depend on the parameters ------------------

MLP_CASES = [("Adam", dict(lr=0.01, amsgrad=True)),
             ("Adam", dict(lr=0.01, maximize=True, weight_decay=0.01)),
             ("Adam", dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True)),
             ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
             ("Adagrad", dict(lr=0.05, lr_decay=0.01, weight_decay=0.01)),
             ("Adamax", dict(lr=0.01, weight_decay=0.01)),
             ("NAdam", dict(lr=0.01)),
             ("NAdam", dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True)),
             ("RAdam", dict(lr=0.01)),
             ("RAdam", dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True)),
             ("SGD", dict(lr=0.002, momentum=0.5, maximize=True)),
             ("RMSprop", dict(lr=0.005, centered=True, maximize=True))]


@needs_torch
@pytest.mark.parametrize("name,kw", MLP_CASES, ids=[f"{n}-{i}" for i, (n, _) in
                                                    enumerate(MLP_CASES)])
def test_mlp_training_matches_torch(engine, name, kw):
    """50 steps of test_optim's 8-16-4 tanh MLP from the same weights."""
    from test_optim import _setup, _torch_train, _train
    model, _ = _train(name, kw)
    ref = _torch_train(name, kw)
    ours = [p.data for p in model.parameters()]
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
    _, _, init = _setup()
    assert max(np.abs(a - b).max() for a, b in zip(ours, init)) > 1e-3


IMPL_SWITCHES = [("SGD", dict(lr=0.05, momentum=0.9, foreach=True)),
                 ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, fused=True)),
                 ("Adam", dict(lr=0.01, amsgrad=True, foreach=True)),
                 ("Adam", dict(lr=0.01, weight_decay=0.1, fused=True)),
                 ("AdamW", dict(lr=0.01, fused=True)),
                 ("Adagrad", dict(lr=0.05, lr_decay=0.01, foreach=True)),
                 ("Adagrad", dict(lr=0.05, fused=True)),
                 ("Adamax", dict(lr=0.01, foreach=True)),
                 ("NAdam", dict(lr=0.01, foreach=True)),
                 ("RAdam", dict(lr=0.01, foreach=True)),
                 ("RMSprop", dict(lr=0.01, centered=True, foreach=True))]


@needs_torch
@pytest.mark.parametrize("name,kw", IMPL_SWITCHES, ids=[f"{n}-{i}" for i, (n, _) in
                                                        enumerate(IMPL_SWITCHES)])
def test_foreach_and_fused_accepted_same_numbers(engine, name, kw):
    """torch's multi-tensor / fused kernels are accepted (kept in the groups)
    and land on the same trajectory as torch's own run with that switch."""
    ours, opt = _run_ours(name, kw)
    theirs, topt = _run_torch(name, kw)
    for a, b in zip(ours, theirs):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=0, atol=1e-10)
    key = "foreach" if "foreach" in kw else "fused"
    assert opt.param_groups[0][key] is True and topt.param_groups[0][key] is True


def test_user_subclass_with_own_update(engine):
    """A user-defined optimizer only needs defaults and ``_update`` (no
    ``maximize`` key required)."""
    class SignSGD(optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        def _update(self, p, g, state, group):
            p.data -= group["lr"] * np.sign(g)

    p = nn.Parameter(np.array([1.0, -1.0, 0.5]))
    p.grad = np.array([3.0, -0.2, 0.0])
    SignSGD([p]).step()
    np.testing.assert_allclose(p.data, [0.9, -0.9, 0.5])


def test_zero_grad_keep_zeroes_in_place(engine):
    p = nn.Parameter(np.ones(3))
    (p * p).sum().backward()
    g = p.grad
    v = g.version
    opt = optim.Adam([p])
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and g.version > v
    np.testing.assert_array_equal(g.data, 0.0)
    opt.zero_grad()
    assert p.grad is None
