"""Every learning-rate scheduler beside ``torch.optim.lr_scheduler``, on both
engines: 60 steps with two parameter groups, comparing ``get_last_lr()``, the
groups' lr and the cycled momentum / beta1 at every step; resuming with
``last_epoch``; the deprecated ``step(epoch)``; ``state_dict`` equal to
torch's and a mid-schedule ``load_state_dict`` continuing identically;
signatures; errors."""
import inspect
import warnings

import numpy as np
import pytest

import autograd_c as ag
from autograd_c import nn, optim
from conftest import needs_torch

L = optim.lr_scheduler
STEPS = 60


def _opt(lib, opt_name="SGD", groups=2):
    if lib == "ours":
        ps = [nn.Parameter(np.zeros(2)) for _ in range(groups)]
        lib_optim = optim
    else:
        import torch
        ps = [torch.zeros(2, dtype=torch.float64, requires_grad=True) for _ in range(groups)]
        lib_optim = torch.optim
    kw = dict(momentum=0.9) if opt_name == "SGD" else {}
    return getattr(lib_optim, opt_name)([{"params": [p], "lr": 0.1 * (i + 1)}
                                 for i, p in enumerate(ps)], lr=0.1, **kw)


def _sched_module(lib):
    if lib == "ours":
        return L
    import torch
    return torch.optim.lr_scheduler


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


CASES = {
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda e: 0.95 ** e),
    "LambdaLR-per-group": lambda S, o: S.LambdaLR(o, [lambda e: 0.95 ** e,
                                                      lambda e: 1 / (e + 1)]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.97),
    "StepLR": lambda S, o: S.StepLR(o, 7, 0.5),
    "StepLR-default": lambda S, o: S.StepLR(o, 3),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, [5, 12, 12, 30], 0.3),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, 0.93),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, 13, 0.001),
    "CosineAnnealingLR-default": lambda S, o: S.CosineAnnealingLR(o, 10),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, 5),
    "CosineAnnealingWarmRestarts-mult": lambda S, o: S.CosineAnnealingWarmRestarts(
        o, 3, T_mult=2, eta_min=0.01),
    "LinearLR": lambda S, o: S.LinearLR(o),
    "LinearLR-args": lambda S, o: S.LinearLR(o, 0.1, 0.6, 17),
    "ConstantLR": lambda S, o: S.ConstantLR(o),
    "ConstantLR-args": lambda S, o: S.ConstantLR(o, 0.25, 9),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, 20, 2.0),
    "OneCycleLR": lambda S, o: S.OneCycleLR(o, 1.0, total_steps=STEPS),
    "OneCycleLR-three-phase": lambda S, o: S.OneCycleLR(
        o, [1.0, 0.5], epochs=6, steps_per_epoch=10, pct_start=0.25,
        anneal_strategy="linear", three_phase=True, div_factor=10, final_div_factor=100,
        base_momentum=[0.8, 0.7], max_momentum=0.9),
    "OneCycleLR-no-momentum": lambda S, o: S.OneCycleLR(o, 0.5, total_steps=STEPS,
                                                        cycle_momentum=False),
    "CyclicLR": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=7),
    "CyclicLR-triangular2": lambda S, o: S.CyclicLR(
        o, [0.01, 0.02], [0.1, 0.3], step_size_up=4, step_size_down=9, mode="triangular2"),
    "CyclicLR-exp_range": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=5,
                                                  mode="exp_range", gamma=0.97),
    "CyclicLR-scale_fn": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=5,
                                                 scale_fn=lambda x: 0.9 ** x,
                                                 scale_mode="iterations"),
    "SequentialLR": lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o, 0.1, 4), S.ExponentialLR(o, 0.9)], [5]),
    "SequentialLR-3": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, 0.2, total_iters=5), S.CosineAnnealingLR(o, 10),
            S.StepLR(o, 3, 0.5)], [6, 20]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, 0.1, 4), S.ExponentialLR(o, 0.9)]),
    "ChainedScheduler-3": lambda S, o: S.ChainedScheduler(
        [S.LinearLR(o, 0.5, total_iters=10), S.CosineAnnealingWarmRestarts(o, 6),
         S.MultiStepLR(o, [20, 40])], optimizer=o),
}

_PLATEAU_METRIC = [1.0, 0.9, 0.95, 0.94, 0.94, 0.94, 0.93, 0.939, 0.93, 0.93] * 6
PLATEAU = {
    "ReduceLROnPlateau": lambda S, o: S.ReduceLROnPlateau(o, patience=2),
    "ReduceLROnPlateau-args": lambda S, o: S.ReduceLROnPlateau(
        o, "max", 0.5, 1, 0.01, "abs", 2, [0.01, 0.02]),
    "ReduceLROnPlateau-eps": lambda S, o: S.ReduceLROnPlateau(o, factor=0.5, patience=0,
                                                              min_lr=0.02, eps=0.004),
}


def _metric(name, t):
    m = _PLATEAU_METRIC[t]
    return -m + 0.001 * t if name.endswith("args") else m


def _run(lib, name, opt_name):
    factory = CASES.get(name) or PLATEAU[name]
    opt = _opt(lib, opt_name)
    s = factory(_sched_module(lib), opt)
    seq = []
    for t in range(STEPS):
        seq.append((s.get_last_lr(), [g["lr"] for g in opt.param_groups], _momenta(opt)))
        opt.step()
        if name in PLATEAU:
            s.step(_metric(name, t))
        else:
            s.step()
    return seq, s


def _cmp(ours, theirs):
    for t, (a, b) in enumerate(zip(ours, theirs)):
        for x, y, what in zip(a, b, ("get_last_lr", "group lr", "momentum")):
            np.testing.assert_allclose(x, y, rtol=1e-13, atol=1e-16,
                                       err_msg=f"{what} at step {t}")


@needs_torch
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("name", list(CASES) + list(PLATEAU))
def test_sequence_matches_torch(engine, name, opt_name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, _ = _run("ours", name, opt_name)
        theirs, _ = _run("torch", name, opt_name)
    _cmp(ours, theirs)
    lrs = [lr for _, lrs, _ in ours for lr in lrs]
    assert len(set(np.round(lrs, 12))) > 2         # the schedule really changes the lr


def _state(sd):
    """A state_dict with callables and nested dicts made comparable."""
    out = {}
    for k, v in sd.items():
        if k == "_schedulers":
            v = [_state(x) for x in v]
        elif callable(v):
            v = "<callable>"
        elif isinstance(v, dict) and k == "milestones":
            v = dict(v)
        out[k] = v
    return out


@needs_torch
@pytest.mark.parametrize("name", list(CASES) + list(PLATEAU))
def test_state_dict_as_torch_and_resumes(engine, name, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, s = _run("ours", name, "SGD")
        _, ts = _run("torch", name, "SGD")
        ours, theirs = _state(s.state_dict()), _state(ts.state_dict())
        assert ours.keys() == theirs.keys()
        for k in ours:
            if k == "_schedulers":
                for a, b in zip(ours[k], theirs[k]):
                    assert a.keys() == b.keys()
                continue
            np.testing.assert_equal(ours[k], theirs[k], err_msg=k)
        # stop after 20 steps, save, restore into a fresh optimizer + scheduler
        # built the same way, continue: the same lrs as running straight through,
        # and the deprecated step(epoch) jumps to the same place
        factory = CASES.get(name) or PLATEAU[name]
        straight, _ = _run("ours", name, "SGD")
        opt = _opt("ours")
        s = factory(L, opt)
        for t in range(20):
            opt.step()
            s.step(_metric(name, t)) if name in PLATEAU else s.step()
        # through a file, as a checkpoint would go
        ag.save({"optim": opt.state_dict(), "sched": s.state_dict()}, tmp_path / "ck")
        ck = ag.load(tmp_path / "ck")
        sd_opt, sd_s = ck["optim"], ck["sched"]
        opt2 = _opt("ours")
        s2 = factory(L, opt2)
        opt2.load_state_dict(sd_opt)
        s2.load_state_dict(sd_s)
        for t in range(20, STEPS):
            assert s2.get_last_lr() == straight[t][0]
            assert [g["lr"] for g in opt2.param_groups] == straight[t][1]
            opt2.step()
            s2.step(_metric(name, t)) if name in PLATEAU else s2.step()
        if name in PLATEAU or not hasattr(s, "_get_closed_form_lr"):
            return
        s2.step(7)
        s.step(7)
        assert s2.get_last_lr() == s.get_last_lr()


RESUMABLE = {
    "StepLR": lambda S, o, e: S.StepLR(o, 3, 0.5, last_epoch=e),
    "MultiStepLR": lambda S, o, e: S.MultiStepLR(o, [4, 9], 0.5, last_epoch=e),
    "ExponentialLR": lambda S, o, e: S.ExponentialLR(o, 0.9, last_epoch=e),
    "CosineAnnealingLR": lambda S, o, e: S.CosineAnnealingLR(o, 7, last_epoch=e),
    "LinearLR": lambda S, o, e: S.LinearLR(o, last_epoch=e),
    "ConstantLR": lambda S, o, e: S.ConstantLR(o, last_epoch=e),
    "MultiplicativeLR": lambda S, o, e: S.MultiplicativeLR(o, lambda k: 0.9, last_epoch=e),
    "LambdaLR": lambda S, o, e: S.LambdaLR(o, lambda k: 0.9 ** k, last_epoch=e),
    "CosineAnnealingWarmRestarts": lambda S, o, e: S.CosineAnnealingWarmRestarts(
        o, 4, 2, last_epoch=e),
    "PolynomialLR": lambda S, o, e: S.PolynomialLR(o, 10, last_epoch=e),
    "CyclicLR": lambda S, o, e: S.CyclicLR(o, 0.01, 0.1, 3, last_epoch=e),
    "OneCycleLR": lambda S, o, e: S.OneCycleLR(o, 1.0, 40, last_epoch=e),
}


@needs_torch
@pytest.mark.parametrize("name", list(RESUMABLE))
def test_last_epoch_resume_and_step_epoch_match_torch(engine, name):
    """A scheduler rebuilt with ``last_epoch=k`` (k = 0..12) on the same
    optimizer, stepped 8 times, then jumped with the deprecated step(epoch)."""
    f = RESUMABLE[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(13):
            seqs = []
            for lib in ("ours", "torch"):
                opt = _opt(lib, groups=1)
                S = _sched_module(lib)
                s = f(S, opt, -1)
                for _ in range(k):
                    s.step()
                s2 = f(S, opt, k)
                seq = [opt.param_groups[0]["lr"]]
                for _ in range(8):
                    s2.step()
                    seq.append(opt.param_groups[0]["lr"])
                for e in (2, 5, 11, 4):
                    s2.step(e)
                    seq.append(opt.param_groups[0]["lr"])
                s2.step()
                seq.append(opt.param_groups[0]["lr"])
                seqs.append(seq + [s2.last_epoch])
            np.testing.assert_allclose(seqs[0], seqs[1], rtol=1e-13, err_msg=f"last_epoch={k}")


def test_warm_restarts_fractional_epochs(engine):
    opt = _opt("ours", groups=1)
    s = L.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2, eta_min=0.0)
    lrs = []
    for e in np.arange(0, 12, 0.5):
        s.step(float(e))
        lrs.append(opt.param_groups[0]["lr"])
    # restarts at epochs 4 and 12; halfway through the first period lr = 0.05
    assert lrs[0] == 0.1 and lrs[8] == 0.1
    assert abs(lrs[4] - 0.05) < 1e-15
    assert s.T_i == 8 and s.last_epoch == 11


@needs_torch
@pytest.mark.parametrize("name", ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR",
                                  "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
                                  "PolynomialLR", "CosineAnnealingLR",
                                  "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR",
                                  "ReduceLROnPlateau", "SequentialLR", "ChainedScheduler"])
def test_signature_as_torch(name):
    import torch
    ours = inspect.signature(getattr(L, name).__init__).parameters
    theirs = inspect.signature(getattr(torch.optim.lr_scheduler, name).__init__).parameters
    assert list(ours) == list(theirs)
    for k in ours:
        assert ours[k].default == theirs[k].default, k
        assert ours[k].kind == theirs[k].kind, k


def test_get_lr_outside_step_warns(engine):
    s = L.StepLR(_opt("ours"), 2)
    with pytest.warns(UserWarning, match="get_last_lr"):
        s.get_lr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()                # no warning from inside step()


def test_errors(engine):
    opt = _opt("ours")
    adagrad = optim.Adagrad([nn.Parameter(np.ones(2))])
    cases = [
        (ValueError, "StepLR: step_size must be a positive integer, got 0",
         lambda: L.StepLR(opt, step_size=0)),
        (ValueError, "CosineAnnealingLR: T_max must be positive, got 0",
         lambda: L.CosineAnnealingLR(opt, T_max=0)),
        (ValueError, "CosineAnnealingWarmRestarts: T_0 must be a positive integer, got 0",
         lambda: L.CosineAnnealingWarmRestarts(opt, 0)),
        (ValueError, "T_mult must be an integer >= 1, got 0",
         lambda: L.CosineAnnealingWarmRestarts(opt, 2, 0)),
        (ValueError, "ConstantLR: factor must be in \\[0, 1\\], got 2",
         lambda: L.ConstantLR(opt, factor=2)),
        (ValueError, "LinearLR: start_factor must be in \\(0, 1\\], got 0",
         lambda: L.LinearLR(opt, start_factor=0)),
        (ValueError, "LinearLR: end_factor must be in \\[0, 1\\], got 1.5",
         lambda: L.LinearLR(opt, end_factor=1.5)),
        (ValueError, "LambdaLR: expected 2 lr_lambdas, got 3",
         lambda: L.LambdaLR(opt, [lambda e: 1] * 3)),
        (TypeError, "LambdaLR: lr_lambda must be callable",
         lambda: L.LambdaLR(opt, 0.5)),
        (ValueError, "OneCycleLR: you must define either total_steps",
         lambda: L.OneCycleLR(opt, 1.0)),
        (ValueError, "OneCycleLR: expected a positive integer total_steps, got 0",
         lambda: L.OneCycleLR(opt, 1.0, total_steps=0)),
        (ValueError, "OneCycleLR: anneal_strategy must be 'cos' or 'linear', got 'x'",
         lambda: L.OneCycleLR(opt, 1.0, 10, anneal_strategy="x")),
        (ValueError, "OneCycleLR: max_lr must have one entry per parameter group \\(2\\), got 3",
         lambda: L.OneCycleLR(opt, [1.0] * 3, 10)),
        (ValueError, "OneCycleLR: optimizer Adagrad has neither momentum nor betas",
         lambda: L.OneCycleLR(adagrad, 1.0, 10)),
        (ValueError, "CyclicLR: mode 'up' is not one of",
         lambda: L.CyclicLR(opt, 0.1, 1.0, mode="up")),
        (ValueError, "CyclicLR: optimizer Adagrad has neither momentum nor betas",
         lambda: L.CyclicLR(adagrad, 0.1, 1.0)),
        (ValueError, "ReduceLROnPlateau: factor should be < 1.0, got 1.5",
         lambda: L.ReduceLROnPlateau(opt, factor=1.5)),
        (ValueError, "ReduceLROnPlateau: mode 'avg' is unknown",
         lambda: L.ReduceLROnPlateau(opt, mode="avg")),
        (ValueError, "ReduceLROnPlateau: threshold_mode 'x' is unknown",
         lambda: L.ReduceLROnPlateau(opt, threshold_mode="x")),
        (ValueError, "ReduceLROnPlateau: expected 2 min_lrs, got 1",
         lambda: L.ReduceLROnPlateau(opt, min_lr=[0.1])),
        (ValueError, "SequentialLR: expects 1 milestones for 2 schedulers, got 0",
         lambda: L.SequentialLR(opt, [L.StepLR(opt, 2), L.StepLR(opt, 3)], [])),
        (ValueError, "SequentialLR: schedulers\\[0\\] is bound to a different optimizer",
         lambda: L.SequentialLR(opt, [L.StepLR(_opt("ours"), 2)], [])),
        (ValueError, "ChainedScheduler: expects at least one scheduler",
         lambda: L.ChainedScheduler([])),
        (KeyError, "StepLR: param 'initial_lr' is not set in param_groups\\[0\\]",
         lambda: L.StepLR(_opt("ours"), 2, last_epoch=3)),
        (TypeError, "StepLR: list is not an Optimizer", lambda: L.StepLR([], 2)),
    ]
    for exc, msg, fn in cases:
        with pytest.raises(exc, match=msg):
            fn()
    s = L.OneCycleLR(_opt("ours"), 1.0, total_steps=3)
    for _ in range(3):
        s.step()
    with pytest.raises(ValueError, match="OneCycleLR: tried to step 4 times; the specified "
                                         "number of total steps is 3"):
        s.step()
