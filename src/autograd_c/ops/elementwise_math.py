"""More elementwise math (issue 13): trigonometric and hyperbolic functions,
exponentials and logarithms, rounding, and the binary functions PyTorch
has beside the arithmetic operators (``atan2``, ``fmod``, ``hypot``...).

Gradients follow PyTorch's ``tools/autograd/derivatives.yaml``, special
cases included (noted per op). Rounding ops (``sign``, ``floor``, ``round``
...) are recorded with a zero gradient, as in PyTorch; on integer and bool
tensors they return a copy of the same dtype, as PyTorch does (numpy would
return floats). Everything else keeps numpy's dtype rules (an integer
tensor gives float64 where PyTorch gives its default float32)."""
from __future__ import annotations

import math

import numpy as np

from ._helpers import cast, cast_by, cast_info, shape_of
from ._registry import composite, op
from .elementwise import astype, clamp, mul, pow, where

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _zero_grad(g):
    """A gradient of zeros shaped as ``g`` (PyTorch's ``zeros_like(grad)``);
    recorded under ``create_graph`` (exactly zero, even where g is inf)."""
    if type(g) is np.ndarray:
        return np.zeros_like(g)
    return where(True, 0.0, g)


def _is_exact(x):
    """Integer or bool data: rounding leaves it unchanged."""
    return np.asarray(x).dtype.kind in "biu"


# --------------------------------------------------------------------------
# trigonometric and hyperbolic
# --------------------------------------------------------------------------


@op("tan", saves_output=True, functions=("tan",), methods=("tan",), numpy=(np.tan,))
class tan:
    def forward(input):
        out = np.tan(input)
        return out, out

    def backward(out, g, needs):
        return (g * (1 + out * out),)


@op("asin", saves=(0,), functions=("asin", "arcsin"), methods=("asin", "arcsin"),
    numpy=(np.arcsin,))
class asin:
    def forward(input):
        return np.arcsin(input), input

    def backward(a, g, needs):
        return (g / np.sqrt(1 - a * a),)


@op("acos", saves=(0,), functions=("acos", "arccos"), methods=("acos", "arccos"),
    numpy=(np.arccos,))
class acos:
    def forward(input):
        return np.arccos(input), input

    def backward(a, g, needs):
        return (-g / np.sqrt(1 - a * a),)


@op("atan", saves=(0,), functions=("atan", "arctan"), methods=("atan", "arctan"),
    numpy=(np.arctan,))
class atan:
    def forward(input):
        return np.arctan(input), input

    def backward(a, g, needs):
        return (g / (a * a + 1),)


@op("sinh", saves=(0,), functions=("sinh",), methods=("sinh",), numpy=(np.sinh,))
class sinh:
    def forward(input):
        return np.sinh(input), input

    def backward(a, g, needs):
        return (g * np.cosh(a),)


@op("cosh", saves=(0,), functions=("cosh",), methods=("cosh",), numpy=(np.cosh,))
class cosh:
    def forward(input):
        return np.cosh(input), input

    def backward(a, g, needs):
        return (g * np.sinh(a),)


@op("asinh", saves=(0,), functions=("asinh", "arcsinh"), methods=("asinh", "arcsinh"),
    numpy=(np.arcsinh,))
class asinh:
    def forward(input):
        return np.arcsinh(input), input

    def backward(a, g, needs):
        return (g / np.sqrt(a * a + 1),)


@op("acosh", saves=(0,), functions=("acosh", "arccosh"), methods=("acosh", "arccosh"),
    numpy=(np.arccosh,))
class acosh:
    def forward(input):
        return np.arccosh(input), input

    def backward(a, g, needs):
        return (g / np.sqrt(a * a - 1),)


@op("atanh", saves=(0,), functions=("atanh", "arctanh"), methods=("atanh", "arctanh"),
    numpy=(np.arctanh,))
class atanh:
    def forward(input):
        return np.arctanh(input), input

    def backward(a, g, needs):
        return (g / (1 - a * a),)


# --------------------------------------------------------------------------
# exponentials and logarithms
# --------------------------------------------------------------------------


@op("exp2", saves_output=True, functions=("exp2",), methods=("exp2",), numpy=(np.exp2,))
class exp2:
    def forward(input):
        out = np.exp2(input)
        return out, out

    def backward(out, g, needs):
        return (g * out * _LN2,)


@op("expm1", saves_output=True, functions=("expm1",), methods=("expm1",), numpy=(np.expm1,))
class expm1:
    def forward(input):
        out = np.expm1(input)
        return out, out

    def backward(out, g, needs):
        return (g * (out + 1),)


@op("log2", saves=(0,), functions=("log2",), methods=("log2",), numpy=(np.log2,))
class log2:
    def forward(input):
        return np.log2(input), input

    def backward(a, g, needs):
        return (g / (a * _LN2),)


@op("log10", saves=(0,), functions=("log10",), methods=("log10",), numpy=(np.log10,))
class log10:
    def forward(input):
        return np.log10(input), input

    def backward(a, g, needs):
        return (g / (a * _LN10),)


@op("log1p", saves=(0,), functions=("log1p",), methods=("log1p",), numpy=(np.log1p,))
class log1p:
    def forward(input):
        return np.log1p(input), input

    def backward(a, g, needs):
        return (g / (a + 1),)


@op("rsqrt", saves_output=True, functions=("rsqrt",), methods=("rsqrt",))
class rsqrt:
    """``1 / sqrt(input)``."""

    def forward(input):
        out = 1 / np.sqrt(input)
        return out, out

    def backward(out, g, needs):
        return (-0.5 * g * (out * out * out),)


@op("reciprocal", saves_output=True, functions=("reciprocal",), methods=("reciprocal",),
    numpy=(np.reciprocal,))
class reciprocal:
    """``1 / input`` (integer tensors give floats, as in PyTorch)."""

    def forward(input):
        out = np.true_divide(1, input)
        return out, out

    def backward(out, g, needs):
        return (-g * (out * out),)


@op("logit", saves=(0,), functions=("logit",), methods=("logit",))
class logit:
    """``log(p / (1 - p))``; with ``eps``, ``p`` is first clamped to
    ``[eps, 1 - eps]`` and the gradient is 0 outside that range (PyTorch's
    ``logit_backward``); without, it is NaN outside [0, 1]."""

    def forward(input, eps=None):
        x = input if eps is None else np.clip(input, eps, 1 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log(x / (1 - x))
        return out, (input, eps)

    def backward(ctx, g, needs):
        a, eps = ctx
        d = g / (a * (1 - a))
        if eps is None:
            return (np.where((a < 0) | (a > 1), np.nan, d),)
        return (np.where((a < eps) | (a > 1 - eps), 0.0, d),)


@op("nan_to_num", functions=("nan_to_num",), methods=("nan_to_num",), numpy=(np.nan_to_num,))
class nan_to_num:
    """NaN -> ``nan`` (0), +inf -> ``posinf`` (default: the dtype's largest
    value), -inf -> ``neginf`` (its lowest). Gradient: ``grad * isfinite``."""

    def forward(input, nan=0.0, posinf=None, neginf=None):
        a = np.asarray(input)
        if a.dtype.kind in "biu":
            return a.copy(), None
        out = np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)
        return out, np.isfinite(a)

    def backward(finite, g, needs):
        return (g * finite,)


# --------------------------------------------------------------------------
# rounding: zero gradient
# --------------------------------------------------------------------------


@op("sign", functions=("sign",), methods=("sign",), numpy=(np.sign,))
class sign:
    """-1, 0 or 1 (0 for NaN, as PyTorch; bool stays bool). Gradient 0."""

    def forward(input):
        a = np.asarray(input)
        if a.dtype == bool:
            return a.copy(), None
        out = np.sign(a)
        if a.dtype.kind in "fc":
            out = np.where(np.isnan(out), np.zeros((), out.dtype), out)
        return out, None

    def backward(ctx, g, needs):
        return (_zero_grad(g),)


@op("sgn", functions=("sgn",), methods=("sgn",))
class sgn:
    """``sign`` for real tensors (PyTorch's complex-aware alias). Gradient 0."""

    def forward(input):
        return sign.forward(input)

    def backward(ctx, g, needs):
        return (_zero_grad(g),)


def _rounding(name, ufunc, doc, aliases=()):
    class rule:
        def forward(input):
            if _is_exact(input):
                return np.array(input, copy=True), None
            return ufunc(input), None

        def backward(ctx, g, needs):
            return (_zero_grad(g),)

    rule.__doc__ = doc
    names = (name, *aliases)
    return op(name, functions=names, methods=names, numpy=(ufunc,))(rule)


floor = _rounding("floor", np.floor, "Largest integer <= input (gradient 0).")
ceil = _rounding("ceil", np.ceil, "Smallest integer >= input (gradient 0).")
trunc = _rounding("trunc", np.trunc, "Rounds toward zero (gradient 0). Alias ``fix``.",
                 ("fix",))


@op("round", functions=("round",), methods=("round",), numpy=(np.rint, np.round, np.around))
class round:  # noqa: A001
    """Rounds half to even, as PyTorch (``torch.round``) and numpy; with
    ``decimals``, to that many decimal places (negative: tens, hundreds...).
    Gradient 0."""

    def forward(input, decimals=0):
        if _is_exact(input) and decimals >= 0:
            return np.array(input, copy=True), None
        return np.round(input, decimals), None

    def backward(ctx, g, needs):
        return (_zero_grad(g),)


@op("frac", functions=("frac",), methods=("frac",))
class frac:
    """``input - trunc(input)`` (sign of the input). Gradient 1."""

    def forward(input):
        return input - np.trunc(input), None

    def backward(ctx, g, needs):
        return (g,)


# --------------------------------------------------------------------------
# binary
# --------------------------------------------------------------------------


@op("atan2", saves=(0, 1), functions=("atan2", "arctan2"), methods=("atan2", "arctan2"),
    numpy=(np.arctan2,))
class atan2:
    """Angle of the point (``other``, ``input``); the gradient is 0 where
    ``input**2 + other**2`` is 0 (PyTorch's rule)."""

    def forward(input, other):
        return np.arctan2(input, other), (input, other)

    def backward(ctx, g, needs):
        a, b = ctx
        d = a * a + b * b
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(d == 0, 0.0, g / d)        # 0 at the origin, as PyTorch
        return (cast(r * b, a) if needs[0] else None,
                cast(-r * a, b) if needs[1] else None)


@op("hypot", saves=(0, 1), saves_output=True, functions=("hypot",), methods=("hypot",),
    numpy=(np.hypot,))
class hypot:
    """``sqrt(input**2 + other**2)`` without overflow."""

    def forward(input, other):
        out = np.hypot(input, other)
        return out, (input, other, out)

    def backward(ctx, g, needs):
        a, b, out = ctx
        r = g / out
        return (cast(r * a, a) if needs[0] else None,
                cast(r * b, b) if needs[1] else None)


@op("logaddexp", saves=(0, 1), functions=("logaddexp",), methods=("logaddexp",),
    numpy=(np.logaddexp,))
class logaddexp:
    """``log(exp(input) + exp(other))``, computed without overflow."""

    def forward(input, other):
        return np.logaddexp(input, other), (input, other)

    def backward(ctx, g, needs):
        a, b = ctx
        return (cast(g / (1 + np.exp(b - a)), a) if needs[0] else None,
                cast(g / (1 + np.exp(a - b)), b) if needs[1] else None)


@op("logaddexp2", saves=(0, 1), functions=("logaddexp2",), methods=("logaddexp2",),
    numpy=(np.logaddexp2,))
class logaddexp2:
    """``log2(2**input + 2**other)``, computed without overflow."""

    def forward(input, other):
        return np.logaddexp2(input, other), (input, other)

    def backward(ctx, g, needs):
        a, b = ctx
        return (cast(g / (1 + np.exp2(b - a)), a) if needs[0] else None,
                cast(g / (1 + np.exp2(a - b)), b) if needs[1] else None)


def _check_int_divisor(name, input, other):
    """An integer division (``//``, ``%``, fmod) by zero raises, as in
    PyTorch (numpy returns 0 there, with a warning)."""
    if np.result_type(input, other).kind in "iub" and not np.all(other) \
            and np.broadcast(input, other).size:
        raise RuntimeError(f"{name}(): integer division by zero (input of shape "
                           f"{shape_of(input)}, divisor of shape {shape_of(other)})")


@op("floor_divide", functions=("floor_divide",), methods=("floor_divide",),
    dunders=("__floordiv__",), rdunders=("__rfloordiv__",), numpy=(np.floor_divide,))
class floor_divide:
    """``floor(input / other)``, Python's ``//`` (integers stay integers).
    PyTorch defines no derivative (its backward raises); here it is 0, as
    for the other piecewise-constant ops."""

    def forward(input, other):
        _check_int_divisor("floor_divide", input, other)
        return np.floor_divide(input, other), None

    def backward(ctx, g, needs):
        return (_zero_grad(g) if needs[0] else None, None)


@op("fmod", saves=(0, 1), functions=("fmod",), methods=("fmod",), numpy=(np.fmod,))
class fmod:
    """C's remainder: the sign of ``input`` (unlike ``remainder``).
    Gradients: ``grad`` and ``-grad * trunc(input / other)``."""

    def forward(input, other):
        _check_int_divisor("fmod", input, other)
        return np.fmod(input, other), (input, other)

    def backward(ctx, g, needs):
        a, b = ctx
        return (cast(g, a) if needs[0] else None,
                cast(-g * trunc(a / b), b) if needs[1] else None)


@op("remainder", saves=(0, 1), functions=("remainder",), methods=("remainder",),
    dunders=("__mod__",), rdunders=("__rmod__",), numpy=(np.remainder,))
class remainder:
    """Python's ``%``: the sign of ``other``. Gradients: ``grad`` and
    ``-grad * floor_divide(input, other)``."""

    def forward(input, other):
        _check_int_divisor("remainder", input, other)
        return np.remainder(input, other), (input, other)

    def backward(ctx, g, needs):
        a, b = ctx
        return (cast(g, a) if needs[0] else None,
                cast(-g * floor_divide(a, b), b) if needs[1] else None)


@op("xlogy", saves=(0, 1), functions=("xlogy",), methods=("xlogy",))
class xlogy:
    """``input * log(other)``, 0 where ``input`` is 0 (unless ``other`` is
    NaN). Gradient for ``input`` is ``xlogy(grad, other)``, 0 where
    ``input == 0`` and ``other <= 0``; for ``other`` ``grad * input / other``."""

    def forward(input, other):
        with np.errstate(divide="ignore", invalid="ignore"):
            log = np.log(other)
            if not isinstance(other, np.ndarray):
                log = float(log)            # a Python number keeps input's dtype
            prod = np.multiply(input, log)
        out = np.where((np.equal(input, 0)) & ~np.isnan(other), np.zeros((), prod.dtype), prod)
        return out, (input, other)

    def backward(ctx, g, needs):
        a, b = ctx
        ga = gb = None
        if needs[0]:
            ga = cast(np.where((a == 0) & (b <= 0), 0.0, xlogy(g, b)), a)
        if needs[1]:
            gb = cast(g * a / b, b)
        return ga, gb


def _fextremum(name, ufunc, wins):
    class rule:
        def forward(input, other):
            out = ufunc(input, other)
            # input's gradient where it wins (ties too) or other is NaN
            take = wins(input, other) | np.isnan(other)
            return out, (take, cast_info(input, out), cast_info(other, out))

        def backward(ctx, g, needs):
            take, ia, ib = ctx
            return (cast_by(np.where(take, g, 0.0), ia) if needs[0] else None,
                    cast_by(np.where(take, 0.0, g), ib) if needs[1] else None)

    rule.__doc__ = (f"Elementwise {name[1:]}imum ignoring NaN (NaN only if both are). "
                    f"The gradient goes to ``input`` on ties (PyTorch's rule).")
    return op(name, functions=(name,), methods=(name,), numpy=(ufunc,))(rule)


fmax = _fextremum("fmax", np.fmax, np.greater_equal)
fmin = _fextremum("fmin", np.fmin, np.less_equal)


@op("copysign", saves=(0,), saves_output=True, functions=("copysign",), methods=("copysign",),
    numpy=(np.copysign,))
class copysign:
    """``|input|`` with the sign of ``other`` (integers give floats). The
    gradient for ``input`` is ``grad * result / input`` (+-grad), 0 where
    ``input`` is 0 (PyTorch's rule, NaN where ``input`` is NaN); for
    ``other`` it is 0, as in PyTorch."""

    def forward(input, other):
        out = np.copysign(input, other)
        return out, (input, out, cast_info(other, out))

    def backward(ctx, g, needs):
        a, out, ib = ctx
        ga = gb = None
        if needs[0]:
            with np.errstate(divide="ignore", invalid="ignore"):
                ga = cast(g * np.where(a == 0, 0.0, out / a), a)
        if needs[1]:
            gb = cast_by(_zero_grad(g), ib)
        return ga, gb


def _lerp_parse(input, end, weight):
    return (input, end, weight), None


@op("lerp", saves=(0, 1, 2), functions=("lerp",), methods=("lerp",), parse=_lerp_parse)
class lerp:
    """``input + weight * (end - input)`` (``weight`` a number or a tensor),
    evaluated as PyTorch does (from ``end`` when ``|weight| >= 0.5``)."""

    def forward(input, end, weight):
        diff = np.subtract(end, input)
        small = np.abs(weight) < 0.5
        out = np.where(small, input + weight * diff, end - diff * (1 - weight))
        return out, (input, end, weight)

    def backward(ctx, g, needs):
        a, b, w = ctx
        return (cast(g * (1 - w), a) if needs[0] else None,
                cast(g * w, b) if needs[1] else None,
                cast(g * (b - a), w) if needs[2] else None)


# --------------------------------------------------------------------------
# composites
# --------------------------------------------------------------------------


@composite(methods=("square",), functions=("square",))
def square(input):
    """``input * input`` (integers stay integers, as in PyTorch)."""
    return mul(input, input)


def _float64(x):
    if hasattr(x, "dtype"):
        return x if x.dtype == np.float64 else astype(x, dtype=np.float64)
    return float(x) if not isinstance(x, complex) else x


@composite(methods=("float_power",), functions=("float_power",))
def float_power(input, exponent):
    """``input ** exponent`` computed in float64 (the result is float64,
    whatever the inputs' dtypes; the gradients return to their dtypes)."""
    return pow(_float64(input), _float64(exponent))


@composite(methods=("clamp_min",), functions=("clamp_min",))
def clamp_min(input, min):  # noqa: A002
    """``clamp(input, min=min)``."""
    return clamp(input, min, None)


@composite(methods=("clamp_max",), functions=("clamp_max",))
def clamp_max(input, max):  # noqa: A002
    """``clamp(input, max=max)``."""
    return clamp(input, None, max)
