"""Elementwise ops: binary ones broadcast as numpy (and PyTorch) do; every
gradient is reduced back to its input's shape and dtype (``cast``)."""
from __future__ import annotations

import numpy as np

from ._helpers import cast, cast_by, cast_info
from ._math import add as _add
from ._math import exp as _exp
from ._math import log as _log
from ._math import maximum as _maximum
from ._math import minimum as _minimum
from ._math import multiply as _mul
from ._math import negative as _neg
from ._math import sqrt as _sqrt
from ._math import subtract as _sub
from ._math import tanh as _tanh
from ._math import true_divide as _div
from ._registry import op

# --------------------------------------------------------------------------
# binary
# --------------------------------------------------------------------------


@op("add", functions=("add",), methods=("add",), dunders=("__add__",), rdunders=("__radd__",),
    numpy=(np.add,))
class add:
    def forward(input, other):
        out = _add(input, other)
        return out, (cast_info(input, out), cast_info(other, out))

    def backward(ctx, g, needs):
        a, b = ctx
        # cast_by written out: the common case (None: g fits) makes no call
        return ((g if a is None else cast(g, a)) if needs[0] else None,
                (g if b is None else cast(g, b)) if needs[1] else None)


@op("sub", functions=("sub", "subtract"), methods=("sub", "subtract"), dunders=("__sub__",),
    rdunders=("__rsub__",), numpy=(np.subtract,))
class sub:
    def forward(input, other):
        out = _sub(input, other)
        return out, (cast_info(input, out), cast_info(other, out))

    def backward(ctx, g, needs):
        a, b = ctx
        return ((g if a is None else cast(g, a)) if needs[0] else None,
                cast_by(_neg(g), b) if needs[1] else None)


@op("mul", saves=(0, 1), saves_for={0: (1,), 1: (0,)}, functions=("mul", "multiply"), methods=("mul", "multiply"),  # noqa: E501
    dunders=("__mul__",), rdunders=("__rmul__",), numpy=(np.multiply,))
class mul:
    def forward(input, other):
        return _mul(input, other), (input, other)

    def backward(ctx, g, needs):
        a, b = ctx
        return (cast(_mul(g, b), a) if needs[0] else None,
                cast(_mul(g, a), b) if needs[1] else None)


@op("div", saves=(0, 1), saves_for={0: (1,)}, functions=("div", "divide", "true_divide"),
    methods=("div", "divide", "true_divide"), dunders=("__truediv__",),
    rdunders=("__rtruediv__",), numpy=(np.true_divide,))
class div:
    def forward(input, other):
        return _div(input, other), (input, other)

    def backward(ctx, g, needs):
        a, b = ctx
        ga = _div(g, b)
        return (cast(ga, a) if needs[0] else None,
                cast(_div(_mul(_neg(ga), a), b), b) if needs[1] else None)


@op("pow", saves=(0, 1), saves_output=True, functions=("pow",), methods=("pow",),
    dunders=("__pow__",), rdunders=("__rpow__",), numpy=(np.power,))
class pow:  # noqa: A001
    """``input ** exponent``. Gradients as PyTorch at 0: ``d/dx x**0`` is 0
    (not NaN) and ``d/dy 0**y`` is 0 for ``y >= 0``."""

    def forward(input, exponent):
        out = np.power(input, exponent)
        return out, (input, exponent, out)

    def backward(ctx, g, needs):
        a, b, out = ctx
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if needs[0]:
                ga = cast(np.where(b == 0, 0.0, g * b * np.power(a, b - 1)), a)
            if needs[1]:
                gb = cast(np.where((a == 0) & (b >= 0), 0.0, g * out * np.log(a)), b)
        return ga, gb


@op("maximum", saves=(0, 1), functions=("maximum",), methods=("maximum",),
    numpy=(np.maximum,))
class maximum:
    """Elementwise maximum; ties share the gradient equally, and a NaN passes
    the gradient to both sides, as in PyTorch."""

    def forward(input, other):
        return _maximum(input, other), (input, other)

    def backward(ctx, g, needs):
        a, b = ctx
        half = 0.5 * (a == b)
        return (cast(g * (1.0 - (a < b) - half), a) if needs[0] else None,
                cast(g * (1.0 - (a > b) - half), b) if needs[1] else None)


@op("minimum", saves=(0, 1), functions=("minimum",), methods=("minimum",),
    numpy=(np.minimum,))
class minimum:
    """Elementwise minimum (gradient rule as ``maximum``)."""

    def forward(input, other):
        return _minimum(input, other), (input, other)

    def backward(ctx, g, needs):
        a, b = ctx
        half = 0.5 * (a == b)
        return (cast(g * (1.0 - (a > b) - half), a) if needs[0] else None,
                cast(g * (1.0 - (a < b) - half), b) if needs[1] else None)


def _where_parse(condition, input, other):
    return (condition, input, other), None


@op("where", functions=("where",), methods=(), parse=_where_parse, numpy=(np.where,))
class where:
    """``where(condition, input, other)``: ``input`` where ``condition``
    holds, else ``other``. The condition is copied (a later change to the
    mask cannot change the gradient)."""

    def forward(cond, input, other):
        cond = np.array(cond, dtype=bool)
        return np.where(cond, input, other), (cond, input, other)

    def backward(ctx, g, needs):
        cond, a, b = ctx
        return (None,
                cast(np.where(cond, g, 0.0), a) if needs[1] else None,
                cast(np.where(cond, 0.0, g), b) if needs[2] else None)


# --------------------------------------------------------------------------
# unary
# --------------------------------------------------------------------------

@op("neg", functions=("neg", "negative"), methods=("neg", "negative"), dunders=("__neg__",),
    numpy=(np.negative,))
class neg:
    def forward(input):
        return _neg(input), None

    def backward(ctx, g, needs):
        return (_neg(g),)


@op("exp", saves_output=True, functions=("exp",), methods=("exp",), numpy=(np.exp,))
class exp:
    def forward(input):
        out = _exp(input)
        return out, out

    def backward(out, g, needs):
        return (_mul(g, out),)


@op("log", saves=(0,), functions=("log",), methods=("log",), numpy=(np.log,))
class log:
    def forward(input):
        return _log(input), input

    def backward(a, g, needs):
        return (_div(g, a),)


@op("sqrt", saves_output=True, functions=("sqrt",), methods=("sqrt",), numpy=(np.sqrt,))
class sqrt:
    def forward(input):
        out = _sqrt(input)
        return out, out

    def backward(out, g, needs):
        return (_div(g, _mul(2, out)),)


@op("abs", saves=(0,), functions=("abs", "absolute"), methods=("abs", "absolute"),
    dunders=("__abs__",), numpy=(np.abs,))
class abs:  # noqa: A001
    def forward(input):
        return np.abs(input), input

    def backward(a, g, needs):
        return (g * np.sign(a),)


@op("sin", saves=(0,), functions=("sin",), methods=("sin",), numpy=(np.sin,))
class sin:
    def forward(input):
        return np.sin(input), input

    def backward(a, g, needs):
        return (_mul(g, np.cos(a)),)


@op("cos", saves=(0,), functions=("cos",), methods=("cos",), numpy=(np.cos,))
class cos:
    def forward(input):
        return np.cos(input), input

    def backward(a, g, needs):
        return (_neg(_mul(g, np.sin(a))),)


@op("tanh", saves_output=True, functions=("tanh",), methods=("tanh",), numpy=(np.tanh,))
class tanh:
    def forward(input):
        out = _tanh(input)
        return out, out

    def backward(out, g, needs):
        return (_mul(g, _sub(1, _mul(out, out))),)


@op("sigmoid", saves_output=True, functions=("sigmoid",), methods=("sigmoid",))
class sigmoid:
    def forward(input):
        # stable on both tails: exp only ever sees non-positive arguments
        e = np.exp(-np.abs(input))
        out = np.where(input >= 0, 1 / (1 + e), e / (1 + e))
        return out, out

    def backward(out, g, needs):
        return (_mul(g, _mul(out, _sub(1, out))),)


@op("relu", saves_output=True, functions=("relu",), methods=("relu",))
class relu:
    """max(x, 0). Derivative 0 at exactly 0 and 1 at NaN, as PyTorch."""

    def forward(input):
        out = _maximum(input, 0)
        return out, out

    def backward(out, g, needs):
        # out is 0 where the input was <= 0, else the input (NaN included):
        # one comparison gives the mask
        return (_mul(g, out != 0),)


def _clamp_parse(input, min=None, max=None):  # noqa: A002
    return (input, min, max), None


@op("clamp", functions=("clamp", "clip"), methods=("clamp", "clip"), parse=_clamp_parse,
    numpy=(np.clip,))
class clamp:
    """``min(max(input, min), max)``; ``min``/``max`` are numbers, tensors
    (broadcast, and differentiable) or None. Gradients as PyTorch's
    ``clamp_backward``/``clamp_backward_min_max``: ``input`` gets ``grad``
    where ``min <= input <= max`` (boundaries included, NaN excluded);
    ``min`` where ``input < min`` (and ``min < max``); ``max`` where
    ``input > max`` or ``max < min`` (then the result is ``max``)."""

    def forward(input, min, max):  # noqa: A002
        if min is None and max is None:
            raise ValueError("clamp(): at least one of min and max must be given")
        out = np.clip(input, min, max)
        keep = below = above = None
        if min is not None:
            below = np.less(input, min)
            keep = np.greater_equal(input, min)
        if max is not None:
            above = np.greater(input, max)
            keep = np.less_equal(input, max) if keep is None else keep & np.less_equal(input, max)
        if below is not None and above is not None:
            below = below & np.less(min, max)
            above = above | np.less(max, min)
        return out, (keep, below, above, cast_info(input, out), cast_info(min, out),
                     cast_info(max, out))

    def backward(ctx, g, needs):
        keep, below, above, ia, ilo, ihi = ctx
        return (cast_by(np.where(keep, g, 0.0), ia) if needs[0] else None,
                cast_by(np.where(below, g, 0.0), ilo) if needs[1] else None,
                cast_by(np.where(above, g, 0.0), ihi) if needs[2] else None)


@op("astype", functions=(), methods=("astype",))
class astype:
    """A copy converted to ``dtype``; differentiable between float dtypes
    (the gradient is converted back to the input's dtype)."""

    def forward(input, dtype=None):
        dtype = np.dtype(dtype)
        return np.asarray(input).astype(dtype), np.asarray(input).dtype

    def backward(in_dtype, g, needs):
        return (g.astype(in_dtype),)
