"""Every loss (module and functional form) against torch float64 on both
engines: values and input gradients over an option grid (reductions, class
weights, ignore_index, label smoothing, K-dim inputs, probability targets,
pos_weight, beta/delta, log_target, batchmean), and stability at +-1000."""
import numpy as np
import pytest

import autograd_c as ag
from autograd_c import nn

torch = pytest.importorskip("torch")

R = np.random.default_rng(5)
TOL = dict(rtol=1e-10, atol=1e-12)


def _run(build, x, t, grad_target=False, lib_args=lambda m: {}):
    """``build(nn_module_namespace, **args)`` -> loss module; returns
    ours/torch values and gradients."""
    xo = ag.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    if isinstance(t, np.ndarray) and t.dtype.kind == "f" and grad_target:
        to, tt = ag.tensor(t, requires_grad=True), torch.tensor(t, requires_grad=True)
    else:
        to, tt = (ag.tensor(t), torch.tensor(t)) if isinstance(t, np.ndarray) else (t, t)
    lo = build(nn, **lib_args(ag))(xo, to)
    lt = build(torch.nn, **lib_args(torch))(xt, tt)
    assert tuple(lo.shape) == tuple(lt.shape)
    np.testing.assert_allclose(lo.data, lt.detach().numpy(), **TOL)
    c = np.cos(np.arange(lo.data.size)).reshape(lo.shape) + 1.5
    (lo * ag.tensor(c)).sum().backward()
    (lt * torch.tensor(c)).sum().backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), **TOL)
    if grad_target:
        np.testing.assert_allclose(to.grad.data, tt.grad.numpy(), **TOL)


RED = ["mean", "sum", "none"]


def _w(m, arr):
    return None if arr is None else m.tensor(arr)


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("weight", [None, np.array([0.5, 2.0, 1.0, 3.0, 0.1])])
@pytest.mark.parametrize("ignore_index", [-100, 2])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_class_indices(engine, reduction, weight, ignore_index, smoothing):
    x = R.standard_normal((6, 5)) * 3
    t = np.array([0, 2, 4, 2, 1, 3])
    _run(lambda m, **kw: m.CrossEntropyLoss(reduction=reduction, ignore_index=ignore_index,
                                            label_smoothing=smoothing, **kw), x, t,
         lib_args=lambda m: {"weight": _w(m, weight)})


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_kdim(engine, reduction, smoothing):
    x = R.standard_normal((2, 4, 3, 2))
    t = R.integers(0, 4, size=(2, 3, 2))
    t[0, 0, 0] = -100
    weight = np.array([1.0, 0.5, 2.0, 1.5])
    _run(lambda m, **kw: m.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing,
                                            **kw), x, t,
         lib_args=lambda m: {"weight": _w(m, weight)})


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_probabilities(engine, reduction, smoothing, weighted):
    x = R.standard_normal((4, 3, 2))
    p = np.exp(R.standard_normal((4, 3, 2)))
    p /= p.sum(1, keepdims=True)
    weight = np.array([1.0, 3.0, 0.5]) if weighted else None
    _run(lambda m, **kw: m.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing,
                                            **kw), x, p, grad_target=True,
         lib_args=lambda m: {"weight": _w(m, weight)})


def test_cross_entropy_unbatched_and_stable(engine):
    x = np.array([1000.0, -1000.0, 3.0, 999.0])
    _run(lambda m: m.CrossEntropyLoss(label_smoothing=0.1), x, np.array(3))
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 500.0]])
    _run(lambda m: m.CrossEntropyLoss(), x, np.array([1, 0]))
    xo = ag.tensor(x, requires_grad=True)
    nn.CrossEntropyLoss()(xo, np.array([1, 0])).backward()
    assert np.all(np.isfinite(xo.grad.data))


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("weight", [None, np.array([1.0, 2.0, 0.5])])
def test_nll_loss(engine, reduction, weight):
    x = np.log(np.exp(R.standard_normal((5, 3, 2))) / 3)
    t = R.integers(0, 3, size=(5, 2))
    t[1, 1] = 1
    _run(lambda m, **kw: m.NLLLoss(reduction=reduction, ignore_index=1, **kw), x, t,
         lib_args=lambda m: {"weight": _w(m, weight)})
    _run(lambda m, **kw: m.NLLLoss(reduction=reduction, **kw), x[:, :, 0], t[:, 0],
         lib_args=lambda m: {"weight": _w(m, weight)})


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce(engine, reduction, weighted):
    x = R.uniform(0.01, 0.99, (4, 3))
    x[0, 0], x[0, 1] = 0.0, 1.0                       # log clamped at -100 (torch)
    t = R.uniform(0, 1, (4, 3))
    w = R.uniform(0.5, 2, (4, 3)) if weighted else None
    xo = ag.tensor(x)
    lo = nn.BCELoss(weight=None if w is None else ag.tensor(w), reduction=reduction)(xo, t)
    lt = torch.nn.BCELoss(weight=None if w is None else torch.tensor(w),
                          reduction=reduction)(torch.tensor(x), torch.tensor(t))
    np.testing.assert_allclose(lo.data, lt.numpy(), **TOL)
    x = x[1:]
    _run(lambda m, **kw: m.BCELoss(reduction=reduction, **kw), x, t[1:], grad_target=True,
         lib_args=lambda m: {"weight": None if w is None else m.tensor(w[1:])})


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("pos_weight", [None, np.array([1.0, 3.0, 0.25])])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_with_logits(engine, reduction, pos_weight, weighted):
    x = R.standard_normal((4, 3)) * 3
    x[0] = [1000.0, -1000.0, 0.0]                      # stable at +-1000 and exact at 0
    t = R.uniform(0, 1, (4, 3))
    w = R.uniform(0.5, 2, (3,)) if weighted else None
    _run(lambda m, **kw: m.BCEWithLogitsLoss(reduction=reduction, **kw), x, t,
         grad_target=True,
         lib_args=lambda m: {"pos_weight": _w(m, pos_weight), "weight": _w(m, w)})


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("name, kw", [("L1Loss", {}), ("MSELoss", {}),
                                      ("SmoothL1Loss", {"beta": 0.5}),
                                      ("SmoothL1Loss", {"beta": 0.0}), ("SmoothL1Loss", {}),
                                      ("HuberLoss", {"delta": 0.7}), ("HuberLoss", {})])
def test_regression_losses(engine, reduction, name, kw):
    x = R.standard_normal((4, 5)) * 2
    t = R.standard_normal((4, 5))
    x[0, 0] = t[0, 0]                                  # a zero difference
    _run(lambda m: getattr(m, name)(reduction=reduction, **kw), x, t, grad_target=True)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(engine, reduction, log_target):
    x = np.log(np.exp(R.standard_normal((3, 4))) / 4)
    t = np.exp(R.standard_normal((3, 4)))
    t /= t.sum(1, keepdims=True)
    if log_target:
        t = np.log(t)
    else:
        t[0, 0] = 0.0                                  # 0 * log 0 = 0
    _run(lambda m: m.KLDivLoss(reduction=reduction, log_target=log_target), x, t,
         grad_target=log_target)


@pytest.mark.parametrize("fn, args", [
    ("l1_loss", {}), ("mse_loss", {}), ("huber_loss", {"delta": 0.5})])
def test_weighted_elementwise_losses(engine, fn, args):
    x, t, w = R.standard_normal((3, 4)), R.standard_normal((3, 4)), R.uniform(0.1, 2, (3, 4))
    for reduction in RED:
        lo = getattr(nn.functional, fn)(ag.tensor(x), ag.tensor(t), reduction=reduction,
                                        weight=ag.tensor(w), **args)
        lt = getattr(torch.nn.functional, fn)(torch.tensor(x), torch.tensor(t),
                                              reduction=reduction, weight=torch.tensor(w),
                                              **args)
        np.testing.assert_allclose(lo.data, lt.numpy(), **TOL)


def test_loss_buffers_and_repr(engine):
    ce = nn.CrossEntropyLoss(weight=ag.tensor(np.ones(3)))
    assert list(ce.state_dict()) == list(torch.nn.CrossEntropyLoss(
        weight=torch.ones(3)).state_dict()) == ["weight"]
    b = nn.BCEWithLogitsLoss(pos_weight=ag.tensor(np.ones(2)))
    assert [n for n, _ in b.named_buffers()] == [n for n, _ in torch.nn.BCEWithLogitsLoss(
        pos_weight=torch.ones(2)).named_buffers()]
    for name in ("CrossEntropyLoss", "MSELoss", "KLDivLoss", "HuberLoss"):
        assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())


def test_legacy_reduction_arguments(engine):
    x, t = R.standard_normal((3, 2)), R.standard_normal((3, 2))
    lo = nn.MSELoss(size_average=False)(ag.tensor(x), t)
    assert np.isclose(lo.item(), ((x - t) ** 2).sum())
    lo = nn.L1Loss(reduce=False)(ag.tensor(x), t)
    assert lo.shape == (3, 2)


def test_loss_errors(engine):
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="avg")
    with pytest.raises(IndexError, match="out of range"):
        nn.NLLLoss()(np.zeros((2, 3)), np.array([0, 5]))
    with pytest.raises(ValueError, match="between 0"):
        nn.BCELoss()(ag.tensor(np.array([1.5])), np.array([1.0]))
    with pytest.raises(ValueError, match="shape"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([[0, 1]]))
