"""Cumulative reductions along one ``dim``: ``cumsum``, ``cumprod``,
``logcumsumexp``. Their VJPs are written with these same ops (and ``flip``),
so they differentiate to any order."""
from __future__ import annotations

import numpy as np

from ._helpers import Like, cast, norm_dims, shape_of
from ._registry import op
from .elementwise import exp, log, where
from .shape import flip, permute, reshape


def _one_dim(dim, nd, who):
    """The single dim a cumulative op runs along (None for a 0-d tensor)."""
    if dim is None:
        raise TypeError(f"{who}(): missing the required argument 'dim'")
    d = norm_dims(dim, nd, who)
    if isinstance(dim, (tuple, list)) and len(dim) != 1:
        raise TypeError(f"{who}(): dim must be one int, got {dim!r}")
    return d[0] if d else None


def _data(x):
    """The values of an array or a Tensor, for decisions that are not
    differentiated (which formula applies)."""
    if type(x) is np.ndarray:
        return x
    return x.data if hasattr(x, "_engine") else np.asarray(x)


def _rev_cumsum(g, d):
    """sum over k >= i of g_k along ``d`` (cumsum's VJP)."""
    return flip(cumsum(flip(g, dims=(d,)), dim=d), dims=(d,))


@op("cumsum", functions=("cumsum",), methods=("cumsum",), numpy=(np.cumsum,))
class cumsum:
    """Running sums along ``dim``; ``dtype``: convert the input first."""

    def forward(input, dim=None, dtype=None):
        a = np.asarray(input)
        d = _one_dim(dim, a.ndim, "cumsum")
        if dtype is not None:
            a = a.astype(np.dtype(dtype))
        elif a.dtype.kind in "bui":
            a = a.astype(np.int64)          # PyTorch: integers accumulate in int64
        out = a.copy() if d is None else np.cumsum(a, axis=d)
        return out, (d, Like(np.shape(input), np.asarray(input).dtype))

    def backward(ctx, g, needs):
        d, like = ctx
        return (cast(g if d is None else _rev_cumsum(g, d), like),)


@op("cumprod", saves=(0,), saves_output=True, functions=("cumprod",), methods=("cumprod",),
    numpy=(np.cumprod,))
class cumprod:
    """Running products along ``dim``; ``dtype``: convert the input first.
    The gradient is exact when the input holds zeros (PyTorch's rule)."""

    def forward(input, dim=None, dtype=None):
        a = np.asarray(input)
        d = _one_dim(dim, a.ndim, "cumprod")
        conv = None
        if dtype is not None:
            conv = np.dtype(dtype)
        elif a.dtype.kind in "bui":
            conv = np.dtype(np.int64)
        if conv is not None and conv != a.dtype:
            a = a.astype(conv)
        else:
            conv = None
        out = a.copy() if d is None else np.cumprod(a, axis=d)
        return out, (input, d, conv, out)

    def backward(ctx, g, needs):
        a, d, conv, out = ctx
        x = a if conv is None else a.astype(conv)
        if d is None:
            return (cast(g, a),)
        if not (_data(a) == 0).any():
            # d out_k / d x_i = out_k / x_i for k >= i
            return (cast(_rev_cumsum(g * out, d) / x, a),)
        return (cast(_cumprod_grad_zeros(x, g, d), a),)


def _cumprod_grad_zeros(x, g, d):
    """cumprod's VJP when ``x`` has zeros: for each i, the sum over k >= i
    of g_k times the product of x_j, j <= k, j != i -- a cumprod over a copy
    of x with x_i replaced by one (quadratic in the size of ``dim``)."""
    shape = tuple(shape_of(x))
    nd = len(shape)
    n = shape[d]
    order = tuple(k for k in range(nd) if k != d) + (d,)
    back = tuple(np.argsort(order).tolist())
    xt = permute(x, dims=order)
    gt = permute(g, dims=order)
    lead = tuple(shape[k] for k in order[:-1])
    eye = np.eye(n, dtype=bool)
    # z[..., i, j] = x_j, with x_i replaced by 1
    z = where(eye, np.ones((), dtype=_data(x).dtype), reshape(xt, shape=lead + (1, n)))
    c = cumprod(z, dim=nd)
    upper = np.triu(np.ones((n, n), dtype=bool))          # k >= i
    terms = where(upper, c * reshape(gt, shape=lead + (1, n)), 0.0)
    return permute(np.sum(terms, axis=nd), dims=back)


@op("logcumsumexp", saves=(0,), saves_output=True, functions=("logcumsumexp",),
    methods=("logcumsumexp",))
class logcumsumexp:
    """``log(cumsum(exp(input)))`` along ``dim``, computed stably."""

    def forward(input, dim=None):
        a = np.asarray(input)
        d = _one_dim(dim, a.ndim, "logcumsumexp")
        if a.dtype.kind not in "fc":
            raise TypeError(f"logcumsumexp(): expected a floating tensor, got {a.dtype}")
        with np.errstate(invalid="ignore"):
            out = a.copy() if d is None else np.logaddexp.accumulate(a, axis=d)
        return out, (input, d, out)

    def backward(ctx, g, needs):
        x, d, out = ctx
        if d is None:
            return (g,)
        # grad_i = sum_{k >= i} g_k exp(x_i - out_k), in log space; g's
        # positive and negative parts separately (log of a signed sum)
        gd = _data(g)
        # an out_k of -inf pairs only with x_i = -inf (i <= k), whose terms
        # are 0 anyway: a finite stand-in keeps NaN out of every order
        low = np.isneginf(_data(out))
        if low.any():
            out = where(low, 0.0, out)
        if hasattr(g, "_engine") and g.requires_grad:
            # g is itself differentiated (forward mode differentiates the VJP
            # with respect to g, at g = 0): the form linear in g, shifted by
            # the constant m = max(out) along d to keep exp in range
            m = np.max(_data(out), axis=d, keepdims=True)
            return (exp(x - m) * _rev_cumsum(g * exp(m - out), d),)
        parts = []
        for mask, sign in ((gd > 0, 1.0), (gd < 0, -1.0)):
            if not mask.any():
                continue
            lg = where(mask, log(where(mask, g * sign, 1.0)), -np.inf)
            rev = flip(logcumsumexp(flip(lg - out, dims=(d,)), dim=d), dims=(d,))
            parts.append(exp(rev + x) * sign)
        if not parts:
            return (g * 0.0,)
        return (parts[0] + parts[1] if len(parts) == 2 else parts[0],)
