"""Type promotion follows PyTorch (``torch.result_type``), on both engines.

Table-driven: every dtype pair x {tensor, 0-d tensor, Python scalar} x the
promoting binary ops, their operators (both sides), ``where``, comparisons,
and the float-valued unary ops on integer and bool tensors. Each case checks
the result dtype and values against torch. Gradients come back in each
input's own dtype, with torch's values.
"""
import operator

import numpy as np
import pytest

import autograd_c as ag
from conftest import needs_torch

torch = pytest.importorskip("torch")

pytestmark = needs_torch

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64"]
KINDS = ["tensor", "zerodim", "scalar"]

#: values every op is defined on (no zero divisors, no negative powers)
_VALUES = {"bool": [True, False, True], "float32": [0.5, 1.25, 3.1],
           "float64": [0.7, 1.5, 2.3]}
_SCALARS = {"bool": True, "float32": 1.5, "float64": 0.25}


def _values(dt):
    return _VALUES.get(dt, [1, 2, 3])


def operand(kind, dt, lib):
    """An operand of ``kind`` and dtype ``dt`` in ``lib`` (ag or torch)."""
    if kind == "scalar":
        return _SCALARS.get(dt, 2)
    vals = _values(dt)
    arr = np.array(vals if kind == "tensor" else vals[1], dtype=dt)
    if lib is torch:
        return torch.from_numpy(np.array(arr))
    return ag.tensor(arr)


BINARY = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "truediv": operator.truediv, "pow": operator.pow,
    "maximum": lambda a, b, lib: lib.maximum(a, b),
    "minimum": lambda a, b, lib: lib.minimum(a, b),
    "atan2": lambda a, b, lib: lib.atan2(a, b),
    "fmod": lambda a, b, lib: lib.fmod(a, b),
    "remainder": lambda a, b, lib: lib.remainder(a, b),
    "floor_divide": lambda a, b, lib: lib.floor_divide(a, b),
    "hypot": lambda a, b, lib: lib.hypot(a, b),
    "xlogy": lambda a, b, lib: lib.xlogy(a, b),
    "add_fn": lambda a, b, lib: lib.add(a, b),
    "div_fn": lambda a, b, lib: lib.div(a, b),
    "mul_method": lambda a, b, lib: a.mul(b),
    "lt": operator.lt, "eq": operator.eq, "ge_fn": lambda a, b, lib: lib.ge(a, b),
}
#: ops torch defines only for tensors first, or for float tensors
_TENSOR_ONLY = {"maximum", "minimum", "atan2", "hypot", "xlogy"}


def _call(name, a, b, lib):
    fn = BINARY[name]
    if fn in (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
              operator.lt, operator.eq):
        return fn(a, b)
    return fn(a, b, lib)


def _same(ours, theirs, what, tol=None):
    assert isinstance(ours, ag.Tensor), what
    want_dtype = str(theirs.dtype).replace("torch.", "")
    assert str(ours.dtype) == want_dtype, f"{what}: dtype {ours.dtype}, torch {want_dtype}"
    want = theirs.detach().numpy()
    if tol is None:
        tol = 1e-6 if want.dtype == np.float32 else 1e-12
    if want.dtype.kind == "f":
        np.testing.assert_allclose(ours.detach().numpy(), want, rtol=tol, atol=tol,
                                   err_msg=what)
    else:
        np.testing.assert_array_equal(ours.detach().numpy(), want, err_msg=what)


def _check(fn, make, what):
    """``fn`` on ag operands and on torch operands: same dtype and values.
    Combinations torch refuses (``bool - bool``, ``maximum(t, 2)``, ``abs``
    of bool) are not compared: autograd_c may accept more."""
    try:
        theirs = fn(*make(torch), torch)
    except (RuntimeError, TypeError, NotImplementedError):
        return False
    _same(fn(*make(ag), ag), theirs, what)
    return True


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_promotion_matches_torch(engine, name):
    checked = 0
    for d1 in DTYPES:
        for d2 in DTYPES:
            for k1 in ("tensor", "zerodim"):
                for k2 in KINDS:
                    for swap in (False, True):
                        if swap and (k2 != "scalar" or name in _TENSOR_ONLY
                                     or name.endswith(("_fn", "_method"))):
                            continue

                        def make(lib, k1=k1, k2=k2, d1=d1, d2=d2, swap=swap):
                            a, b = operand(k1, d1, lib), operand(k2, d2, lib)
                            return (b, a) if swap else (a, b)

                        what = f"{name}({k1} {d1}, {k2} {d2}{', swapped' if swap else ''})"
                        checked += _check(lambda a, b, lib: _call(name, a, b, lib), make, what)
    assert checked > 100      # most combinations are defined in torch


def test_headline_rules(engine):
    """The rules spelled out: Python numbers and 0-d tensors of a higher
    category decide the category, not the width; integer true division and
    float functions of integers give the default float dtype."""
    i32 = ag.tensor(np.array([1, 2, 3], dtype=np.int32))
    f32 = ag.tensor(np.array([1.0, 2.0], dtype=np.float32))
    f64 = ag.tensor(np.array([1.0, 2.0]))
    assert (i32 + 1.5).dtype == ag.float32
    assert (f32 + 1.5).dtype == ag.float32
    assert (f32 + ag.tensor(np.float64(2.0))).dtype == ag.float32
    assert (f32 + f64).dtype == ag.float64
    assert (i32 / 2).dtype == ag.float32
    assert (i32 + ag.tensor(np.float64(2.0))).dtype == ag.float64
    assert ag.exp(i32).dtype == ag.float32
    assert i32.sqrt().dtype == ag.float32
    assert (ag.tensor(np.uint8([1])) + ag.tensor(np.int8([1]))).dtype == ag.int16
    assert (i32 + 2).dtype == ag.int32
    assert (i32 * np.float64(2.0)).dtype == ag.float32      # numpy scalars: Python numbers
    ag.set_default_dtype(ag.float64)
    try:
        assert (i32 / 2).dtype == ag.float64
        assert (i32 + 1.5).dtype == ag.float64
        assert (f32 + 1.5).dtype == ag.float32
    finally:
        ag.set_default_dtype(ag.float32)


UNARY = ["exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "log1p", "expm1",
         "log2", "log10", "rsqrt", "reciprocal", "atan", "asinh", "erf", "abs", "neg",
         "relu", "sign"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_on_integers_matches_torch(engine, name):
    for dt in DTYPES:
        for kind in ("tensor", "zerodim"):
            for how in ("function", "method"):
                def fn(a, _, lib, how=how):
                    return getattr(lib, name)(a) if how == "function" else getattr(a, name)()

                def make(lib, kind=kind, dt=dt):
                    return operand(kind, dt, lib), None

                _check(fn, make, f"{name}({kind} {dt}) as {how}")


@pytest.mark.parametrize("d1", DTYPES)
def test_where_promotes_its_values(engine, d1):
    for d2 in DTYPES:
        for k2 in KINDS:
            def make(lib, d1=d1, d2=d2, k2=k2):
                cond = (torch.tensor([True, False, True]) if lib is torch
                        else ag.tensor([True, False, True]))
                return cond, (operand("tensor", d1, lib), operand(k2, d2, lib))

            _check(lambda c, xy, lib: lib.where(c, *xy), make, f"where({d1}, {k2} {d2})")


def test_comparisons_in_the_promoted_dtype(engine):
    a = np.array([0.1, 0.2], dtype=np.float32)
    for b in (np.float64(0.1), np.array(0.1)):
        ours = ag.tensor(a) == ag.tensor(np.asarray(b))
        theirs = torch.from_numpy(a) == torch.from_numpy(np.array(b))
        _same(ours, theirs, "float32 == 0-d float64")
        _same(ag.eq(ag.tensor(a), ag.tensor(np.asarray(b))), theirs, "eq")
        _same(ag.tensor(a) <= ag.tensor(np.asarray(b)),
              torch.from_numpy(a) <= torch.from_numpy(np.array(b)), "le")


def test_numpy_protocol_promotes(engine):
    f32 = ag.tensor(np.array([1.0, 2.0], dtype=np.float32))
    assert np.add(f32, ag.tensor(np.float64(1.0))).dtype == ag.float32
    assert np.multiply(ag.tensor(np.array([1, 2])), 0.5).dtype == ag.float32


# ---------------------------------------------------------------------------
# gradients: each input's own dtype, torch's values
# ---------------------------------------------------------------------------

GRAD_OPS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "div": operator.truediv, "pow": operator.pow,
    "maximum": lambda a, b: (torch if isinstance(a, torch.Tensor) else ag).maximum(a, b),
    "where": lambda a, b: (torch if isinstance(a, torch.Tensor) else ag).where(
        a > 1.0, a, b),
    "atan2": lambda a, b: (torch if isinstance(a, torch.Tensor) else ag).atan2(a, b),
    "lerp": lambda a, b: (torch if isinstance(a, torch.Tensor) else ag).lerp(a, b, 0.3),
}

GRAD_CASES = [("float32", "tensor", "float64", "tensor"),
              ("float64", "tensor", "float32", "tensor"),
              ("float32", "tensor", "float64", "zerodim"),
              ("float64", "zerodim", "float32", "tensor"),
              ("float32", "zerodim", "float64", "zerodim")]


def _leaf(kind, dt, lib):
    vals = np.array(_values(dt) if kind == "tensor" else _values(dt)[1], dtype=dt)
    if lib is torch:
        return torch.from_numpy(np.array(vals)).requires_grad_()
    return ag.tensor(vals, requires_grad=True)


@pytest.mark.parametrize("name", sorted(GRAD_OPS))
@pytest.mark.parametrize("case", GRAD_CASES, ids=lambda c: "-".join(c))
def test_gradient_dtypes_and_values(engine, name, case):
    d1, k1, d2, k2 = case
    fn = GRAD_OPS[name]
    ta, tb = _leaf(k1, d1, torch), _leaf(k2, d2, torch)
    a, b = _leaf(k1, d1, ag), _leaf(k2, d2, ag)
    if name == "lerp" and ta.dtype != tb.dtype:
        pytest.skip("torch.lerp needs one dtype")
    theirs = fn(ta, tb)
    ours = fn(a, b)
    _same(ours, theirs, f"{name} forward")
    theirs.sum().backward()
    ours.sum().backward()
    for x, tx in ((a, ta), (b, tb)):
        assert x.grad.dtype == x.dtype, f"{name}: grad {x.grad.dtype} for input {x.dtype}"
        # a float64 input of a float32 result gets a gradient computed in float32
        _same(x.grad, tx.grad, f"{name} grad", tol=1e-6)


def test_gradient_through_integer_promotion(engine):
    i = ag.tensor(np.array([1, 2, 3], dtype=np.int64))
    w = ag.tensor(np.array([0.5, 1.5, 2.5], dtype=np.float32), requires_grad=True)
    y = (w * i + i / 2).sum()
    y.backward()
    assert y.dtype == ag.float32 and w.grad.dtype == ag.float32
    np.testing.assert_allclose(w.grad.numpy(), [1, 2, 3])


def test_second_order_with_mixed_dtypes(engine):
    x = ag.tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    c = ag.tensor(np.float64(3.0), requires_grad=True)
    tx = torch.tensor([0.5, 1.5], dtype=torch.float32, requires_grad=True)
    tc = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    (g,) = ag.autograd.grad((x ** c * c).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad((tx ** tc * tc).sum(), tx, create_graph=True)
    _same(g, tg, "first order")
    g.sum().backward()
    tg.sum().backward()
    for ours, theirs in ((x.grad, tx.grad), (c.grad, tc.grad)):
        _same(ours, theirs, "second order", tol=1e-6)   # computed in float32


def test_same_dtype_needs_no_promotion():
    """The op path's cheap test: float tensors of one dtype with Python
    numbers go straight to the engine (numpy 2 already agrees)."""
    from autograd_c import dtypes
    f32 = ag.tensor(np.ones(2, dtype=np.float32))
    f64 = ag.tensor(np.ones(2))
    assert not dtypes.needs_promotion((f32, 2.0), (0, 1))
    assert not dtypes.needs_promotion((f32, f32, 3), (0, 1))
    assert dtypes.needs_promotion((f32, f64), (0, 1))
    assert dtypes.needs_promotion((f32, np.float64(1.0)), (0, 1))
    assert dtypes.needs_promotion((ag.tensor([1, 2]),), (0,))
    try:
        from autograd_c import _ufuncs
    except ImportError:
        return
    for args in [(f32, 2.0), (f32, f32, 3), (f32, f64), (f32, np.float64(1.0)),
                 (ag.tensor([1, 2]),), (ag.tensor([True]), 1.0, f64)]:
        assert _ufuncs.needs_promotion(args, (0, 1)) == dtypes.needs_promotion(args, (0, 1))


# -- Python int operands that do not fit the integer dtype ------------------
# PyTorch converts such an operand to the op's integer dtype by wrapping it
# (uint8 + (-1) is 255); numpy 2 raises OverflowError. An integer power's
# exponent is checked instead, and an integer division by zero raises.

_WRAP_OPS = {
    "add": (operator.add, False), "sub": (operator.sub, False), "mul": (operator.mul, False),
    "floordiv": (operator.floordiv, False), "mod": (operator.mod, False),
    "and": (operator.and_, False), "xor": (operator.xor, False),
    "lt": (operator.lt, False), "eq": (operator.eq, False), "ge": (operator.ge, False),
    "radd": (operator.add, True), "rsub": (operator.sub, True), "rmul": (operator.mul, True),
    "rpow": (operator.pow, True),
}


@pytest.mark.parametrize("name", sorted(_WRAP_OPS))
@pytest.mark.parametrize("dt", ["uint8", "int8", "int16", "int32"])
@pytest.mark.parametrize("value", [-1, 300, -129, 70000])
def test_out_of_range_python_int_wraps_as_torch(engine, name, dt, value):
    fn, reflected = _WRAP_OPS[name]
    data = np.array([7, 2, 5], dtype=dt)
    t, a = torch.tensor(data), ag.tensor(data)
    want = fn(value, t) if reflected else fn(t, value)
    got = fn(value, a) if reflected else fn(a, value)
    assert got.numpy().dtype == torch.empty(0, dtype=want.dtype).numpy().dtype
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("dt", ["uint8", "int8"])
def test_integer_power_checks_its_exponent_as_torch(engine, dt):
    data = np.array([2, 3], dtype=dt)
    with pytest.raises(RuntimeError):
        torch.tensor(data) ** 300
    with pytest.raises((OverflowError, RuntimeError)):
        ag.tensor(data) ** 300
    np.testing.assert_array_equal((ag.tensor(data) ** 3).numpy(), (torch.tensor(data) ** 3).numpy())


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod"])
def test_integer_division_by_zero_raises_as_torch(engine, name):
    x = np.array([7, -3, 4])
    divisors = [0, np.array([2, 0, 1]), np.array(0)]
    for d in divisors:
        td = torch.tensor(d) if isinstance(d, np.ndarray) else d
        ad = ag.tensor(d) if isinstance(d, np.ndarray) else d
        with pytest.raises(RuntimeError):
            getattr(torch, name)(torch.tensor(x), td)
        with pytest.raises(RuntimeError, match=f"{name}\\(\\): integer division by zero"):
            getattr(ag, name)(ag.tensor(x), ad)
    # nothing to divide: no error, as in torch; float division by zero is IEEE
    empty = np.zeros(0, dtype=np.int64)
    assert getattr(ag, name)(ag.tensor(empty), 0).shape == getattr(torch, name)(
        torch.tensor(empty), 0).shape
    got = getattr(ag, name)(ag.tensor([7.0, -3.0]), ag.tensor([2.0, 4.0]))
    want = getattr(torch, name)(torch.tensor([7.0, -3.0]), torch.tensor([2.0, 4.0]))
    np.testing.assert_allclose(got.numpy(), want.numpy())
