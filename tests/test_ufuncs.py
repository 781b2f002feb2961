"""The compiled op rules' elementwise math (``_ufuncs``) against numpy, bit for bit.

``_ufuncs`` runs numpy's own float64 loops from C on small arrays; these tests
check it returns exactly what the numpy ufunc returns (values, dtype, shape,
type), takes the numpy path for everything else, and reports floating-point
errors exactly as numpy does under ``np.errstate``.
"""
import warnings

import numpy as np
import pytest

_ufuncs = pytest.importorskip("autograd_c._ufuncs",
                              reason="compiled engine not built in this install")

BINARY = ["add", "subtract", "multiply", "true_divide", "maximum", "minimum"]
UNARY = ["negative", "exp", "log", "sqrt", "tanh"]


def same(x, y):
    """Same type, dtype, shape and bits (NaN payloads and signed zeros included)."""
    assert type(x) is type(y)
    x, y = np.asarray(x), np.asarray(y)
    assert x.dtype == y.dtype and x.shape == y.shape
    assert np.ascontiguousarray(x).tobytes() == np.ascontiguousarray(y).tobytes()


def check(ours, theirs, *args):
    """Same result as numpy, or the same exception type."""
    try:
        expected = theirs(*args)
    except (ValueError, TypeError, OverflowError) as err:
        with pytest.raises(type(err)):
            ours(*args)
        return
    same(ours(*args), expected)


def test_every_loop_found():
    assert len(_ufuncs.loops_found()) == len(BINARY) + len(UNARY)
    assert len(_ufuncs.loops_found("float32")) == len(BINARY) + len(UNARY)


def _operands(rng):
    x = rng.standard_normal((4, 5)) * 3
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310, 1e308, -1e308])
    return [x, x[0], special, rng.standard_normal(20000),   # the last is above the fast-path size
            x.T, x[:, ::2], x.astype(np.float32), x.astype(">f8"), np.float64(2.5),
            2.5, 3, -0.0, True, np.array(1.5), 2 ** 60,
            # float32: the fast path's second dtype (with Python numbers that
            # round, overflow or underflow in float32, and numpy scalars)
            x.astype(np.float32)[1],
            np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, 3e38, -3e38], dtype=np.float32),
            rng.standard_normal(20000).astype(np.float32), x.astype(">f4"), 0.1, 1e300,
            1e-50, 16777217, np.float32(1.5), 2 ** 53 + 1]


@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_numpy(name):
    rng = np.random.default_rng(0)
    ops = _operands(rng)
    ours, theirs = getattr(_ufuncs, name), getattr(np, name)
    with np.errstate(all="ignore"):
        for a in ops:
            for b in ops:
                check(ours, theirs, a, b)


@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_numpy(name):
    rng = np.random.default_rng(1)
    with np.errstate(all="ignore"):
        for a in _operands(rng):
            check(getattr(_ufuncs, name), getattr(np, name), a)


def test_floating_point_errors_reported_as_numpy():
    x = np.array([-1.0, 0.0, 2.0])
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        _ufuncs.log(x)
    with warnings.catch_warnings(record=True) as want:
        warnings.simplefilter("always")
        np.log(x)
    assert [str(w.message) for w in got] == [str(w.message) for w in want]
    assert len(got) == 2        # divide by zero and invalid value
    with np.errstate(over="raise"):
        with pytest.raises(FloatingPointError):
            _ufuncs.multiply(np.array([1e300]), 1e300)
    with np.errstate(over="raise"):
        with pytest.raises(FloatingPointError):
            _ufuncs.multiply(np.array([1e30], dtype=np.float32), 1e30)
    # a Python float that overflows float32: numpy's cast warning, as numpy
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        same(_ufuncs.add(np.ones(2, dtype=np.float32), 1e300),
             np.add(np.ones(2, dtype=np.float32), 1e300))
    assert got and all("overflow" in str(w.message) for w in got)
    # a clean call after a flagged one is clean again (flags are cleared)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same(_ufuncs.add(x, x), np.add(x, x))



def _raise_stale_flags():
    """Leave the overflow and invalid IEEE flags set, as earlier C code may."""
    import ctypes
    import ctypes.util
    import platform
    if platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("flag values below are x86's")
    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    libm.feraiseexcept(0x08 | 0x01)         # FE_OVERFLOW | FE_INVALID


def test_flags_left_set_by_earlier_code_do_not_leak_into_results():
    # the flags are read after the loop only: a stale one sends that call to
    # numpy (same bits, no warning, since numpy clears before its own loop)
    x = np.array([1.5, -2.0, 3.0])
    for name in ("add", "multiply", "negative", "exp"):
        ours, theirs = getattr(_ufuncs, name), getattr(np, name)
        args = (x,) if name in UNARY else (x, x)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _raise_stale_flags()
            same(ours(*args), theirs(*args))
            same(ours(*args), theirs(*args))    # and the next call, flags cleared
    # the engine's in-place sum (staged, then copied): a clean result too
    import autograd_c as ag
    with ag.use_engine("c"):
        t = ag.tensor(x.copy())
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _raise_stale_flags()
            t += 1.0
    np.testing.assert_array_equal(t.data, x + 1.0)

def test_result_is_a_new_array():
    a = np.ones(3)
    r = _ufuncs.add(a, 0.0)
    assert r is not a and not np.shares_memory(r, a) and r.flags.owndata
