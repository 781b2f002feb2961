"""Special functions: ``erf``, ``erfc``, ``erfinv`` (numpy has none, and
scipy is not a dependency).

The values are computed here, vectorised in float64 (float32 inputs are
rounded back), to about 1e-15 relative error:

- ``erf(x)`` for ``|x| < 1.5``: the series ``2/sqrt(pi) exp(-x^2) sum_n
  (2x^2)^n x / (1*3*...*(2n+1))`` (all terms positive: no cancellation).
- ``erfc(x)`` for ``x >= 1.5``: the continued fraction ``exp(-x^2)/sqrt(pi)
  / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))``, 90 levels, evaluated from
  the bottom; ``exp(-x^2)`` with ``x^2`` split in an exact and a small part,
  so its error does not grow with ``x``. The other cases follow from
  ``erf = 1 - erfc`` and ``erfc(-x) = 2 - erfc(x)``.
- Arrays of at most 4096 elements use Python's ``math.erf``/``math.erfc``
  element by element instead (exact to the last bit, and faster there).
- ``erfinv(y)``: Winitzki's closed-form approximation (relative error about
  2e-3), then three Halley steps on ``erf(x) - y`` (on ``erfc(x) - (1 - |y|)``
  in the tails, where ``1 - |y|`` is exact), each tripling the correct digits.

Gradients (PyTorch's ``derivatives.yaml``): ``erf' = 2/sqrt(pi) exp(-x^2)``,
``erfc' = -erf'``, ``erfinv' = sqrt(pi)/2 exp(erfinv(y)^2)``.
"""
from __future__ import annotations

import math

import numpy as np

from ._registry import op

_SQRT_PI = math.sqrt(math.pi)
_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI
_SPLIT = 1.5        # series below, continued fraction above
_SERIES_TERMS = 24  # enough below 1.5 (checked against math.erf: < 1e-15)
_CF_LEVELS = 90     # enough above 1.5 (checked against math.erfc: < 1e-15)
_ERFC_ZERO = 27.3   # erfc(x) is 0 in float64 beyond this
_SMALL = 4096       # up to this many elements, Python's math.erf/erfc (faster there)

#: the series' coefficients 1 / (1*3*...*(2n+1))
_COEF = [1.0]
for _n in range(1, _SERIES_TERMS + 1):
    _COEF.append(_COEF[-1] / (2 * _n + 1))


def _exp_minus_square(x):
    """``exp(-x*x)`` for ``0 <= x <= 27.3`` with the rounding of ``x*x``
    taken out: ``x = hi + lo`` with ``hi`` on a 2**-16 grid (``hi*hi`` exact)."""
    hi = np.floor(x * 65536.0) / 65536.0
    lo = x - hi
    return np.exp(-hi * hi) * np.exp(-lo * (x + hi))


def _erf_small(x):
    """erf(x) for |x| < 1.5: the positive series, by Horner in 2x^2."""
    x2 = 2.0 * x * x
    acc = np.full_like(x, _COEF[_SERIES_TERMS])
    for c in _COEF[_SERIES_TERMS - 1::-1]:
        acc *= x2
        acc += c
    return _TWO_OVER_SQRT_PI * np.exp(-x * x) * x * acc


def _erfc_large(x):
    """erfc(x) for x >= 1.5 (or NaN) by the continued fraction."""
    x = np.minimum(x, _ERFC_ZERO)
    t = x.copy()
    for k in range(_CF_LEVELS, 0, -1):
        np.divide(0.5 * k, t, out=t)
        t += x
    out = _exp_minus_square(x) / (_SQRT_PI * t)
    out[x >= _ERFC_ZERO] = 0.0
    return out


def _as_float64(x):
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    return np.array(x, dtype=np.float64, copy=True, ndmin=1), dtype, x.shape


def _erf64(x):
    if x.size <= _SMALL:
        return np.array([math.erf(v) for v in x.ravel().tolist()]).reshape(x.shape)
    out = np.empty_like(x)
    small = np.abs(x) < _SPLIT
    out[small] = _erf_small(x[small])
    big = ~small
    xb = x[big]
    out[big] = np.copysign(1.0 - _erfc_large(np.abs(xb)), xb)
    return out


def _erfc64(x):
    if x.size <= _SMALL:
        return np.array([math.erfc(v) for v in x.ravel().tolist()]).reshape(x.shape)
    out = np.empty_like(x)
    small = np.abs(x) < _SPLIT
    out[small] = 1.0 - _erf_small(x[small])
    big = ~small
    xb = x[big]
    c = _erfc_large(np.abs(xb))
    out[big] = np.where(xb < 0, 2.0 - c, c)
    return out


def erf_values(x):
    """erf of an array (float64 math, the input's float dtype)."""
    x, dtype, shape = _as_float64(x)
    return _erf64(x).reshape(shape).astype(dtype, copy=False)


def erfc_values(x):
    """erfc of an array (float64 math, the input's float dtype)."""
    x, dtype, shape = _as_float64(x)
    return _erfc64(x).reshape(shape).astype(dtype, copy=False)


def _erfinv_halley(x, f):
    """One Halley step on erf(x) - y = f: x - f / (f' + x f), f' = 2/sqrt(pi) exp(-x^2)."""
    return x - f / (_TWO_OVER_SQRT_PI * np.exp(-x * x) + x * f)


def erfinv_values(y):
    """erfinv of an array: +-inf at +-1, NaN outside [-1, 1]."""
    y, dtype, shape = _as_float64(y)
    a = np.abs(y)
    out = np.full_like(y, np.nan)
    for part, tail in ((a < 0.5, False), ((a >= 0.5) & (a < 1), True)):
        t = a[part]
        # Winitzki's approximation of erfinv(t)
        ln = np.log1p(-t * t)
        c = 2.0 / (math.pi * 0.147) + 0.5 * ln
        x = np.sqrt(np.sqrt(c * c - ln / 0.147) - c)
        rest = 1.0 - t                  # exact for t >= 0.5
        for _ in range(3):
            x = _erfinv_halley(x, rest - _erfc64(x) if tail else _erf64(x) - t)
        out[part] = np.copysign(x, y[part])
    one = a == 1
    out[one] = np.copysign(np.inf, y[one])
    return out.reshape(shape).astype(dtype, copy=False)


@op("erf", saves=(0,), functions=("erf",), methods=("erf",))
class erf:
    """The error function."""

    def forward(input):
        return erf_values(input), input

    def backward(a, g, needs):
        return (g * (_TWO_OVER_SQRT_PI * np.exp(-(a * a))),)


@op("erfc", saves=(0,), functions=("erfc",), methods=("erfc",))
class erfc:
    """``1 - erf(input)``, accurate where it is small."""

    def forward(input):
        return erfc_values(input), input

    def backward(a, g, needs):
        return (g * (-_TWO_OVER_SQRT_PI * np.exp(-(a * a))),)


@op("erfinv", saves_output=True, functions=("erfinv",), methods=("erfinv",))
class erfinv:
    """The inverse of ``erf`` on (-1, 1)."""

    def forward(input):
        out = erfinv_values(input)
        return out, out

    def backward(out, g, needs):
        return (g * (0.5 * _SQRT_PI * np.exp(out * out)),)
