"""Elementwise ops without a gradient (comparisons, tests, logical, bitwise,
shifts) and the value-level details of the differentiable ones (dtypes,
NaN/inf, integer inputs, special functions on wide ranges), against torch."""
import math

import numpy as np
import pytest

import autograd_c as ag

torch = pytest.importorskip("torch")

INF, NAN = float("inf"), float("nan")


def f64(data, requires_grad=False):
    """A float64 tensor whatever the default float dtype (torch's side is
    built with dtype=torch.float64 where this is used)."""
    return ag.tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


def _check(ours, theirs, grad=False):
    assert isinstance(ours, ag.Tensor), type(ours)
    assert ours.requires_grad is grad
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (ours.dtype, theirs.dtype)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


FLOATS = [[1.5, -2.0, 0.0, NAN, INF, -INF], [1.5, 3.0, -0.0, NAN, INF, 1.0]]
INTS = [[1, -2, 3, 0, 7, -8], [1, 2, -3, 0, 2, 1]]
BOOLS = [[True, False, True, False, True, False], [True, True, False, False, False, True]]


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less",
                                  "greater_equal", "less_equal", "not_equal",
                                  "logical_and", "logical_or", "logical_xor"])
@pytest.mark.parametrize("data", [FLOATS, INTS, BOOLS], ids=["float", "int", "bool"])
def test_comparisons_and_logical_ops(engine, name, data):
    a, b = ag.tensor(data[0], requires_grad=isinstance(data[0][0], float)), ag.tensor(data[1])
    ta, tb = torch.tensor(data[0]), torch.tensor(data[1])
    _check(getattr(ag, name)(a, b), getattr(torch, name)(ta, tb))
    _check(getattr(a, name)(b), getattr(ta, name)(tb))
    if not name.startswith("logical"):
        _check(getattr(a, name)(1), getattr(ta, name)(1))


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "isposinf", "isneginf",
                                  "signbit", "logical_not"])
@pytest.mark.parametrize("data", [FLOATS[0], FLOATS[1], INTS[0]], ids=["f0", "f1", "int"])
def test_tests(engine, name, data):
    if name == "signbit" and isinstance(data[0], int):
        pytest.skip("signbit of integers: float in numpy")
    a = ag.tensor(data, requires_grad=isinstance(data[0], float))
    _check(getattr(ag, name)(a), getattr(torch, name)(torch.tensor(data)))
    _check(getattr(a, name)(), getattr(torch.tensor(data), name)())


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor",
                                  "bitwise_left_shift", "bitwise_right_shift"])
@pytest.mark.parametrize("dtypes", [("int64", "int64"), ("int32", "int32"), ("int8", "int64"),
                                    ("uint8", "uint8"), ("bool", "bool")])
def test_bitwise(engine, name, dtypes):
    if "shift" in name and dtypes[0] == "bool":
        pytest.skip("torch has no shifts of two bool tensors")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, (2, 3)).astype(dtypes[0])
    y = rng.integers(0, 5, (3,)).astype(dtypes[1])
    a, b = ag.tensor(x), ag.tensor(y)
    ta, tb = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
    _check(getattr(ag, name)(a, b), getattr(torch, name)(ta, tb))
    _check(getattr(a, name)(b), getattr(ta, name)(tb))
    if dtypes[0] != "bool":
        _check(getattr(ag, name)(a, 2), getattr(torch, name)(ta, 2))


def test_shift_operators(engine):
    x = np.array([[1, -4, 7], [0, 3, -1]])
    a, ta = ag.tensor(x), torch.tensor(x)
    _check(a << 2, ta << 2)
    _check(a >> 1, ta >> 1)
    _check(a << ag.tensor([0, 1, 2]), ta << torch.tensor([0, 1, 2]))
    _check(3 << ag.tensor([0, 1, 2]), 3 << torch.tensor([0, 1, 2]))
    _check(64 >> ag.tensor([0, 1, 2]), 64 >> torch.tensor([0, 1, 2]))
    b = np.array([True, False])
    _check(ag.tensor(b) << 1, torch.tensor(b) << 1)
    small = np.array([1, 3], dtype=np.int8)
    _check(ag.tensor(small) << 3, torch.tensor(small) << 3)


@pytest.mark.parametrize("dtype", ["bool", "int64", "int16", "uint8"])
def test_bitwise_not(engine, dtype):
    x = np.array([0, 1, 5, 3]).astype(dtype)
    _check(ag.bitwise_not(ag.tensor(x)), torch.bitwise_not(torch.from_numpy(x.copy())))
    _check(ag.tensor(x).bitwise_not(), torch.from_numpy(x.copy()).bitwise_not())


def test_isclose_allclose_equal(engine):
    a = [1.0, 1e-9, NAN, INF, 100.0]
    b = [1.0 + 1e-7, 0.0, NAN, INF, 100.1]
    ta, tb = torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)
    x, y = f64(a), f64(b)
    _check(ag.isclose(x, y), torch.isclose(ta, tb))
    _check(x.isclose(y, equal_nan=True), ta.isclose(tb, equal_nan=True))
    _check(ag.isclose(x, y, rtol=1e-2, atol=0.0), torch.isclose(ta, tb, rtol=1e-2, atol=0.0))
    for kw in ({}, {"equal_nan": True}, {"rtol": 1e-2}):
        assert ag.allclose(x, y, **kw) is torch.allclose(ta, tb, **kw)
        assert x[:2].allclose(y[:2], **kw) is ta[:2].allclose(tb[:2], **kw)
    assert ag.equal(x[:2], x[:2]) is True and torch.equal(ta[:2], ta[:2])
    assert ag.equal(x, x) is False and torch.equal(ta, ta) is False       # NaN != NaN
    assert ag.equal(x[:2], x[:3]) is False and x.equal(y) is False


def test_rounding_values_dtypes_and_zero_gradient(engine):
    data = [2.5, -2.5, 0.5, 1.49, -0.7, 3.0, NAN, INF]
    a, ta = f64(data, True), torch.tensor(data, dtype=torch.float64, requires_grad=True)
    for name in ["floor", "ceil", "trunc", "round", "sign", "sgn", "frac", "fix"]:
        _check(getattr(ag, name)(a), getattr(torch, name)(ta), grad=True)
    _check(a.round(decimals=1), ta.round(decimals=1), grad=True)
    _check(ag.round(a * 1234, decimals=-2), torch.round(ta * 1234, decimals=-2), grad=True)
    (ag.floor(a) + a.sign() + a.round()).sum().backward()
    assert np.array_equal(a.grad.numpy(), np.zeros(len(data)))
    for name in ["floor", "ceil", "trunc", "round", "sign"]:
        _check(getattr(ag, name)(ag.tensor([3, -2, 0])),
               getattr(torch, name)(torch.tensor([3, -2, 0])))
    _check(ag.sign(ag.tensor([True, False])), torch.sign(torch.tensor([True, False])))


def test_division_family_values(engine):
    x, y = np.array([5.0, -5.0, 5.5, -0.0, 7.0]), np.array([3.0, 3.0, -2.0, 2.0, -7.0])
    for name in ["fmod", "remainder", "floor_divide"]:
        _check(getattr(ag, name)(ag.tensor(x), ag.tensor(y)),
               getattr(torch, name)(torch.tensor(x), torch.tensor(y)))
    xi, yi = np.array([5, -5, 7, -7]), np.array([3, 3, -2, -2])
    for name in ["fmod", "remainder", "floor_divide"]:
        _check(getattr(ag, name)(ag.tensor(xi), ag.tensor(yi)),
               getattr(torch, name)(torch.tensor(xi), torch.tensor(yi)))
    _check(ag.tensor(xi) // 2, torch.tensor(xi) // 2)
    _check(ag.tensor(xi) % 3, torch.tensor(xi) % 3)
    _check(ag.remainder(2.5, ag.tensor(y)), torch.remainder(2.5, torch.tensor(y)))


def test_special_values(engine):
    """Vectorised path (more than 4096 elements) and the small one (float32)."""
    x = np.concatenate([np.linspace(-28, 28, 20001), [0.0, -0.0, INF, -INF, NAN, 1e-300, 30.0]])
    t = torch.tensor(x)
    for name in ["erf", "erfc"]:
        ours = getattr(ag, name)(ag.tensor(x)).numpy()
        ref = np.array([getattr(math, name)(v) if not math.isnan(v) else NAN for v in x])
        np.testing.assert_allclose(ours, ref, rtol=2e-14, atol=1e-300)  # subnormals aside
        np.testing.assert_allclose(ours, getattr(torch, name)(t).numpy(), rtol=1e-13, atol=1e-300)
    y = np.concatenate([np.linspace(-1, 1, 20001), 1 - np.geomspace(1e-16, 1e-3, 50),
                        [NAN, 1.5, -1.0000001]])
    np.testing.assert_allclose(ag.erfinv(ag.tensor(y)).numpy(), torch.erfinv(torch.tensor(y)),
                               rtol=1e-13, atol=0)
    f32 = np.linspace(-0.99, 0.99, 7, dtype=np.float32)
    for name in ["erf", "erfc", "erfinv"]:
        out = getattr(ag, name)(ag.tensor(f32))
        assert out.dtype == np.float32
        np.testing.assert_allclose(out.numpy(), getattr(torch, name)(torch.tensor(f32)).numpy(),
                                   rtol=1e-6, atol=1e-7)


def test_nan_to_num_and_logit_edges(engine):
    data = [NAN, INF, -INF, 1.0, 0.0]
    for kw in ({}, {"nan": 2.0}, {"posinf": 9.0, "neginf": -9.0}):
        _check(ag.nan_to_num(f64(data), **kw), torch.nan_to_num(torch.tensor(data,
                                                                      dtype=torch.float64), **kw))
    f32 = np.array(data, dtype=np.float32)
    _check(ag.tensor(f32).nan_to_num(), torch.tensor(f32).nan_to_num())
    a = f64(data, True)
    ta = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    ag.nan_to_num(a).sum().backward()
    torch.nan_to_num(ta).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())
    p = [-0.1, 0.0, 0.3, 1.0, 1.2]
    for eps in (None, 0.2):
        a = f64(p, True)
        ta = torch.tensor(p, dtype=torch.float64, requires_grad=True)
        out, tout = ag.logit(a, eps), torch.logit(ta, eps)
        np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())
        out.sum().backward()
        tout.sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())


def test_binary_edges_gradients(engine):
    """xlogy at x = 0, fmax/fmin with NaN and ties, copysign at 0, hypot,
    clamp with min > max: the first-order gradients equal torch's exactly."""
    x = [0.0, 0.0, 1.5, -2.0, 3.0, NAN, 2.0]
    y = [0.0, -1.0, 2.0, NAN, 3.0, 1.0, -0.0]
    for name in ["xlogy", "fmax", "fmin", "copysign", "atan2", "hypot", "logaddexp"]:
        a, b = f64(x, True), f64(y, True)
        ta = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        tb = torch.tensor(y, dtype=torch.float64, requires_grad=True)
        out, tout = getattr(ag, name)(a, b), getattr(torch, name)(ta, tb)
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-15)
        out.sum().backward()
        tout.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-15, err_msg=name)
        np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-15, err_msg=name)
    v, lo, hi = [1.0, 5.0, 2.0, 0.5, NAN], [2.0, 2.0, 2.0, 1.0, 0.0], [0.0, 3.0, 2.0, 1.0, 1.0]
    ts = [torch.tensor(d, dtype=torch.float64, requires_grad=True) for d in (v, lo, hi)]
    ours = [f64(d, True) for d in (v, lo, hi)]
    for kw in ({"min": 1, "max": 2}, {"min": 1}, {"max": 2}):
        out = ag.clamp(ours[0], **{k: ours[i] for k, i in kw.items()})
        tout = torch.clamp(ts[0], **{k: ts[i] for k, i in kw.items()})
        np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())
        g = ag.autograd.grad(out.sum(), ours, allow_unused=True)
        tg = torch.autograd.grad(tout.sum(), ts, allow_unused=True)
        for i in range(3):
            if tg[i] is None:
                assert g[i] is None
            else:
                np.testing.assert_array_equal(g[i].numpy(), tg[i].numpy(), err_msg=str(kw))


def test_dtypes_follow_inputs(engine):
    f32 = np.array([0.5, 0.25], dtype=np.float32)
    a, ta = ag.tensor(f32), torch.tensor(f32)
    for name in ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "atanh", "exp2",
                 "expm1", "log2", "log10", "log1p", "rsqrt", "square", "reciprocal", "logit",
                 "frac"]:
        out = getattr(ag, name)(a)
        assert out.dtype == np.float32, name
        np.testing.assert_allclose(out.numpy(), getattr(torch, name)(ta).numpy(), rtol=2e-6)
    for name in ["atan2", "hypot", "logaddexp", "xlogy", "fmax", "fmin", "copysign", "fmod",
                 "remainder"]:
        assert getattr(ag, name)(a, 0.75).dtype == np.float32, name
    _check(ag.float_power(a, 2), torch.float_power(ta, 2))
    _check(ag.square(ag.tensor([3, -2])), torch.square(torch.tensor([3, -2])))
    assert ag.lerp(a, a * 2, 0.3).dtype == np.float32
    assert ag.clamp(a, min=0.3).dtype == np.float32
    g = ag.tensor(f32, requires_grad=True)
    ag.float_power(g, 3).sum().backward()
    assert g.grad.dtype == np.float32
    np.testing.assert_allclose(g.grad.numpy(), 3 * f32.astype(np.float64) ** 2, rtol=1e-6)


def test_numpy_protocol_reaches_the_new_ops(engine):
    a = ag.tensor([0.5, 0.25], requires_grad=True)
    for fn, name in [(np.tan, "tan"), (np.arcsinh, "asinh"), (np.log1p, "log1p"),
                     (np.floor, "floor"), (np.sign, "sign")]:
        out = fn(a)
        assert out.requires_grad and out.grad_fn.name == name
    assert np.arctan2(a, 2.0).grad_fn.name == "atan2"
    assert np.round(a, 1).grad_fn.name == "round"
    assert np.clip(a, 0.3, 1.0).grad_fn.name == "clamp"


def test_clamp_in_place(engine):
    w = f64([0.5, -2.0, 3.0], True)
    saved = w * w
    with pytest.raises(RuntimeError, match="clamp_"):
        w.clamp_(-1, 1)
    with ag.no_grad():
        assert w.clamp_(-1, 1) is w
    np.testing.assert_array_equal(w.detach().numpy(), [0.5, -1.0, 1.0])
    with pytest.raises(RuntimeError):      # mul saved the old w
        saved.sum().backward()
    i = ag.tensor(np.array([1, 5, -3]))
    i.clip_(min=ag.tensor(np.array([0, 0, 0])), max=ag.tensor(np.array([4, 4, 4])))
    t = torch.tensor([1, 5, -3]).clip_(min=torch.tensor([0, 0, 0]), max=torch.tensor([4, 4, 4]))
    _check(i, t)
