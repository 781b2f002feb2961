"""Comparisons, tests and bitwise/logical ops (issue 13): no gradient.

Each computes on the data and returns a Tensor that does not require grad
(the Tensor class of its first Tensor argument, else the active engine's):
bool for comparisons, tests and logical ops; the promoted integer (or bool)
dtype for bitwise ops and shifts. ``allclose`` and ``equal`` return Python
bools, as in PyTorch. The operators ``== < & | ^ ~`` are in ``_tensor.py``;
``<<`` and ``>>`` are added here."""
from __future__ import annotations

import numpy as np

from ._helpers import is_tensor as _is_tensor
from ._helpers import result_type
from ._registry import composite


def _data(x):
    return x.data if _is_tensor(x) else x


def _wrap(out, *args):
    for a in args:
        if _is_tensor(a):
            return result_type(a)(out)
    from autograd_c._tensor import Tensor
    return Tensor(out)


def _binary(name, ufunc, aliases=(), doc=None, dunders=(), promote=False):
    def fn(input, other):
        if promote:     # comparisons: in PyTorch's common dtype of the operands
            from autograd_c.dtypes import compare_operands
            return _wrap(ufunc(*compare_operands(input, other)), input, other)
        return _wrap(ufunc(_data(input), _data(other)), input, other)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc or (f"``{name}(input, other)``: elementwise numpy.{ufunc.__name__} "
                         f"(no gradient).")
    names = (name, *aliases)
    return composite(methods=names + tuple(dunders), functions=names)(fn)


def _unary(name, ufunc, aliases=(), doc=None):
    def fn(input):
        return _wrap(ufunc(_data(input)), input)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc or f"``{name}(input)``: elementwise numpy.{ufunc.__name__} (no gradient)."
    names = (name, *aliases)
    return composite(methods=names, functions=names)(fn)


# comparisons -> bool
eq = _binary("eq", np.equal, promote=True)
ne = _binary("ne", np.not_equal, ("not_equal",), promote=True)
lt = _binary("lt", np.less, ("less",), promote=True)
le = _binary("le", np.less_equal, ("less_equal",), promote=True)
gt = _binary("gt", np.greater, ("greater",), promote=True)
ge = _binary("ge", np.greater_equal, ("greater_equal",), promote=True)

# tests -> bool
isnan = _unary("isnan", np.isnan)
isinf = _unary("isinf", np.isinf)
isfinite = _unary("isfinite", np.isfinite)
isposinf = _unary("isposinf", np.isposinf)
isneginf = _unary("isneginf", np.isneginf)
signbit = _unary("signbit", np.signbit)

# logical -> bool (any dtype; nonzero is true)
logical_and = _binary("logical_and", np.logical_and)
logical_or = _binary("logical_or", np.logical_or)
logical_xor = _binary("logical_xor", np.logical_xor)
logical_not = _unary("logical_not", np.logical_not)

# bitwise, on integer and bool tensors (the promoted dtype)
bitwise_and = _binary("bitwise_and", np.bitwise_and)
bitwise_or = _binary("bitwise_or", np.bitwise_or)
bitwise_xor = _binary("bitwise_xor", np.bitwise_xor)
bitwise_not = _unary("bitwise_not", np.invert)
bitwise_left_shift = _binary(
    "bitwise_left_shift", np.left_shift, dunders=("__lshift__",),
    doc="``input << other`` on integer (or bool) tensors (no gradient).")
bitwise_right_shift = _binary(
    "bitwise_right_shift", np.right_shift, dunders=("__rshift__",),
    doc="``input >> other`` (arithmetic: the sign is kept) on integer tensors (no gradient).")


def _reflected(name, ufunc, symbol):
    def fn(self, other):
        return _wrap(ufunc(_data(other), _data(self)), self)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``other {symbol} self`` (no gradient)."
    return composite(methods=(name,))(fn)


_rlshift = _reflected("__rlshift__", np.left_shift, "<<")
_rrshift = _reflected("__rrshift__", np.right_shift, ">>")


@composite(methods=("isclose",), functions=("isclose",))
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|input - other| <= atol + rtol * |other|`` elementwise (infinities
    equal to themselves; NaNs equal only with ``equal_nan``) -> bool."""
    return _wrap(np.isclose(_data(input), _data(other), rtol=rtol, atol=atol,
                            equal_nan=equal_nan), input, other)


@composite(methods=("allclose",), functions=("allclose",))
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether ``isclose`` holds everywhere: a Python bool."""
    return bool(np.allclose(_data(input), _data(other), rtol=rtol, atol=atol,
                            equal_nan=equal_nan))


@composite(methods=("equal",), functions=("equal",))
def equal(input, other):
    """True if both have the same shape and elements (a Python bool)."""
    a, b = np.asarray(_data(input)), np.asarray(_data(other))
    return a.shape == b.shape and bool(np.array_equal(a, b))
