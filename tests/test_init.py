"""``nn.init`` against PyTorch's formulas, on both engines: gains equal to
``torch.nn.init.calculate_gain``; fans equal to torch's; every fill keeps the
shape and dtype, writes in place, bumps the version and records no graph;
the sample statistics (bounds, mean, std) of 200k draws match the formulas
and torch's own draws; ``generator=`` reproduces draws; errors."""
import math
import warnings

import numpy as np
import pytest

import autograd_c as ag
from autograd_c import nn
from autograd_c.nn import init
from conftest import needs_torch

SHAPE = (400, 500)          # fan_in 500, fan_out 400; 200k draws
N = SHAPE[0] * SHAPE[1]


def _param(shape=SHAPE, dtype=np.float64):
    return nn.Parameter(np.zeros(shape, dtype=dtype))


def _torch_fill(fn_name, shape=SHAPE, *args, **kw):
    import torch
    t = torch.empty(shape, dtype=torch.float64)
    getattr(torch.nn.init, fn_name)(t, *args, **kw)
    return t.numpy()


GAINS = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
         ("conv_transpose1d", None), ("conv_transpose2d", None), ("conv_transpose3d", None),
         ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
         ("leaky_relu", 0.2), ("leaky_relu", 1), ("leaky_relu", 0), ("selu", None),
         ("relu", 0.5)]


@needs_torch
@pytest.mark.parametrize("nl,param", GAINS)
def test_calculate_gain_equals_torch(nl, param):
    import torch
    assert init.calculate_gain(nl, param) == torch.nn.init.calculate_gain(nl, param)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'gelu'"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True is not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="negative_slope '0.1' is not a valid number"):
        init.calculate_gain("leaky_relu", "0.1")


@needs_torch
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 6, 3), (8, 2, 3, 5), (2, 3, 1, 1, 7),
                                   (0, 4)])
def test_fans_equal_torch(engine, shape):
    import torch
    ours = init._calculate_fan_in_and_fan_out(_param(shape))
    theirs = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert ours == theirs
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert init._calculate_correct_fan(_param(shape), mode) == \
            torch.nn.init._calculate_correct_fan(torch.empty(shape), mode)


def _check_uniform(x, bound):
    """U(-bound, bound): inside the bounds, reaching them, mean 0, std
    bound/sqrt(3) -- each to well within 5 standard errors."""
    std = bound / math.sqrt(3)
    assert x.min() >= -bound and x.max() <= bound
    assert x.min() < -bound * 0.999 and x.max() > bound * 0.999
    assert abs(x.mean()) < 5 * std / math.sqrt(N)
    assert abs(x.std() / std - 1) < 0.01


def _check_normal(x, mean, std):
    assert abs(x.mean() - mean) < 5 * std / math.sqrt(N)
    assert abs(x.std() / std - 1) < 0.01
    # the tails of a normal: about 4.55% beyond 2 std
    assert abs(np.mean(np.abs(x - mean) > 2 * std) - 0.0455) < 0.004


UNIFORMS = [  # (name, args, kwargs, bound from torch's formula)
    ("uniform_", (-0.3, 0.7), {}, None),
    ("xavier_uniform_", (), {}, math.sqrt(6 / (500 + 400))),
    ("xavier_uniform_", (2.5,), {}, 2.5 * math.sqrt(6 / (500 + 400))),
    ("kaiming_uniform_", (), {}, math.sqrt(2 / (1 + 0.0)) * math.sqrt(3 / 500)),
    ("kaiming_uniform_", (), dict(a=math.sqrt(5)), math.sqrt(2 / 6) * math.sqrt(3 / 500)),
    ("kaiming_uniform_", (), dict(mode="fan_out", nonlinearity="relu"),
     math.sqrt(2) * math.sqrt(3 / 400)),
    ("kaiming_uniform_", (0.1, "fan_in", "tanh"), {}, 5 / 3 * math.sqrt(3 / 500)),
]


@needs_torch
@pytest.mark.parametrize("name,args,kw,bound", UNIFORMS)
def test_uniform_family(engine, name, args, kw, bound):
    p = _param()
    data, v = p.data, p.version
    out = getattr(init, name)(p, *args, **kw)
    assert out is p and p.data is data and p.shape == SHAPE and p.version > v
    assert p.is_leaf and p.requires_grad and p.grad is None
    theirs = _torch_fill(name, SHAPE, *args, **kw)
    if bound is None:                       # uniform_(a, b): shift to a symmetric one
        lo, hi = args
        x, t, bound = p.data - (lo + hi) / 2, theirs - (lo + hi) / 2, (hi - lo) / 2
    else:
        x, t = p.data, theirs
    _check_uniform(x, bound)
    _check_uniform(t, bound)                # the formula is torch's
    assert abs(x.std() / t.std() - 1) < 0.015


NORMALS = [
    ("normal_", (0.5, 2.0), {}, 0.5, 2.0),
    ("xavier_normal_", (), {}, 0.0, math.sqrt(2 / 900)),
    ("xavier_normal_", (), dict(gain=0.5), 0.0, 0.5 * math.sqrt(2 / 900)),
    ("kaiming_normal_", (), {}, 0.0, math.sqrt(2) / math.sqrt(500)),
    ("kaiming_normal_", (), dict(a=0.2, mode="fan_out"), 0.0,
     math.sqrt(2 / 1.04) / math.sqrt(400)),
    ("kaiming_normal_", (), dict(nonlinearity="selu"), 0.0, 0.75 / math.sqrt(500)),
]


@needs_torch
@pytest.mark.parametrize("name,args,kw,mean,std", NORMALS)
def test_normal_family(engine, name, args, kw, mean, std):
    p = _param()
    v = p.version
    getattr(init, name)(p, *args, **kw)
    assert p.version > v and p.shape == SHAPE
    _check_normal(p.data, mean, std)
    _check_normal(_torch_fill(name, SHAPE, *args, **kw), mean, std)


def _truncnorm_moments(mean, std, a, b):
    al, be = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2          # noqa: E731
    Z = cdf(be) - cdf(al)
    m = (pdf(al) - pdf(be)) / Z
    var = 1 + (al * pdf(al) - be * pdf(be)) / Z - m * m
    return mean + std * m, std * math.sqrt(var)


@needs_torch
@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04),
                                          (1.0, 2.0, 0.0, 5.0), (0.0, 1.0, -1.0, 3.0),
                                          (0.0, 1.0, 2.5, 4.0), (0.0, 1.0, -5.0, -3.5)])
def test_trunc_normal(engine, mean, std, a, b):
    import torch
    p = _param()
    v = p.version
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        init.trunc_normal_(p, mean, std, a, b, generator=np.random.default_rng(3))
        t = torch.empty(SHAPE, dtype=torch.float64)
        torch.nn.init.trunc_normal_(t, mean, std, a, b)
        t = t.numpy()
    assert p.version > v
    m, s = _truncnorm_moments(mean, std, a, b)
    for x in (p.data, t):
        assert x.min() >= a and x.max() <= b
        assert abs(x.mean() - m) < 5 * s / math.sqrt(N)
        assert abs(x.std() / s - 1) < 0.01
    # the same shape of distribution as torch's: deciles agree
    q = np.linspace(0.1, 0.9, 9)
    np.testing.assert_allclose(np.quantile(p.data, q), np.quantile(t, q), atol=0.01 * (b - a))


def test_trunc_normal_warns_far_mean(engine):
    with pytest.warns(UserWarning, match="more than 2 std"):
        init.trunc_normal_(_param((3, 3)), mean=10.0, std=1.0, a=-2.0, b=2.0)


@needs_torch
@pytest.mark.parametrize("shape,gain", [((6, 4), 1), ((4, 6), 1), ((5, 5), 2.0),
                                        ((3, 2, 2, 2), 0.5), ((8, 3, 5), 1)])
def test_orthogonal(engine, shape, gain):
    import torch
    p = _param(shape)
    v = p.version
    init.orthogonal_(p, gain, generator=np.random.default_rng(0))
    assert p.version > v and p.shape == shape
    rows = shape[0]
    q = p.data.reshape(rows, -1) / gain
    small = min(q.shape)
    gram = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)
    t = torch.empty(shape, dtype=torch.float64)
    torch.nn.init.orthogonal_(t, gain)
    t = t.numpy().reshape(rows, -1) / gain
    tg = t.T @ t if t.shape[0] >= t.shape[1] else t @ t.T
    np.testing.assert_allclose(tg, np.eye(small), atol=1e-12)
    # uniformly distributed: over many draws, the entries have mean 0 and
    # E[q_ij^2] = 1/max(rows, cols), as torch's
    rng = np.random.default_rng(1)
    acc = []
    for _ in range(300):
        init.orthogonal_(p, 1, generator=rng)
        acc.append(p.data.reshape(rows, -1).copy())
    acc = np.array(acc)
    assert abs(acc.mean()) < 0.03
    assert abs((acc ** 2).mean() * max(q.shape) - 1) < 1e-9


@needs_torch
@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
def test_constant_fills_as_torch(engine, shape):
    import torch
    for name, args in [("eye_", ()), ("zeros_", ()), ("ones_", ()), ("constant_", (0.25,))]:
        p = _param(shape, dtype=np.float32)
        p.data[...] = 7
        v = p.version
        getattr(init, name)(p, *args)
        t = torch.full(shape, 7.0)
        getattr(torch.nn.init, name)(t, *args)
        assert p.dtype == np.float32 and p.version > v
        np.testing.assert_array_equal(p.data, t.numpy())


def test_keyword_names_as_torch(engine):
    inspect = pytest.importorskip("inspect")
    torch = pytest.importorskip("torch")
    for name in ["uniform_", "normal_", "trunc_normal_", "constant_", "zeros_", "ones_", "eye_",
                 "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                 "orthogonal_", "calculate_gain"]:
        ours = inspect.signature(getattr(init, name)).parameters
        theirs = inspect.signature(getattr(torch.nn.init, name)).parameters
        assert list(ours) == list(theirs), name
        assert [v.default for v in ours.values()] == [v.default for v in theirs.values()], name


RANDOM = [("uniform_", ()), ("normal_", ()), ("trunc_normal_", ()), ("xavier_uniform_", ()),
          ("xavier_normal_", ()), ("kaiming_uniform_", ()), ("kaiming_normal_", ()),
          ("orthogonal_", ())]


@pytest.mark.parametrize("name,args", RANDOM)
def test_generator_and_manual_seed_reproduce(engine, name, args):
    f = getattr(init, name)
    a, b, c = _param((6, 7)), _param((6, 7)), _param((6, 7))
    f(a, *args, generator=np.random.default_rng(5))
    f(b, *args, generator=np.random.default_rng(5))
    f(c, *args, generator=np.random.default_rng(6))
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(a.data, c.data)
    ag.manual_seed(11)
    f(a, *args)
    ag.manual_seed(11)
    f(b, *args)
    np.testing.assert_array_equal(a.data, b.data)
    with pytest.raises(TypeError, match=f"{name}: generator must be a numpy.random.Generator"):
        f(a, *args, generator=5)


def test_fills_under_grad_mode_record_nothing(engine):
    p = _param((4, 5))
    init.kaiming_uniform_(p)
    assert p.is_leaf and p.grad_fn is None
    with ag.no_grad():
        init.xavier_normal_(p)
    # a fill is a modification: a graph that saved p's old value notices
    z = (p * p).sum()
    init.zeros_(p)
    with pytest.raises(RuntimeError):
        z.backward()


def test_errors(engine):
    with pytest.raises(ValueError, match="fewer than 2 dimensions \\(got shape \\(5,\\)\\)"):
        init.xavier_uniform_(_param((5,)))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.kaiming_normal_(_param((5,)))
    with pytest.raises(ValueError, match="mode 'fan_avg' not supported"):
        init.kaiming_uniform_(_param((3, 4)), mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.kaiming_uniform_(_param((3, 4)), nonlinearity="swish")
    with pytest.raises(ValueError, match="eye_: only tensors with 2 dimensions"):
        init.eye_(_param((2, 2, 2)))
    with pytest.raises(ValueError, match="orthogonal_: only tensors with 2 or more"):
        init.orthogonal_(_param((4,)))
    with pytest.raises(ValueError, match="uniform_: expects a <= b, got a=1, b=0"):
        init.uniform_(_param((2, 2)), 1, 0)
    with pytest.raises(ValueError, match="normal_: expects std >= 0.0, got std=-1"):
        init.normal_(_param((2, 2)), 0, -1)
    with pytest.raises(TypeError, match="zeros_: expected an autograd_c Tensor, got ndarray"):
        init.zeros_(np.zeros(3))
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        init.kaiming_uniform_(_param((0, 3)))
