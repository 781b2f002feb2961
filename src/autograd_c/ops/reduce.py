"""Reductions over ``dim`` (PyTorch's name; numpy's ``axis``/``keepdims`` are
accepted as aliases by the generated API) and the softmax family."""
from __future__ import annotations

import numpy as np

from ._helpers import cast, expand_reduced, norm_dims, shape_of
from ._registry import op

_add_reduce = np.add.reduce


def _reduce_parse(input, dim=None, keepdim=False):
    return (input,), {"dim": dim, "keepdim": keepdim}


@op("sum", functions=("sum",), methods=("sum",), numpy=(np.sum,))
class sum:  # noqa: A001
    """Sum over ``dim`` (all dims when None). ``dtype``: accumulate and return
    in that dtype (the input is converted first, as in PyTorch)."""

    def forward(input, dim=None, keepdim=False, dtype=None):
        if dtype is not None:
            return _reduce_as(np.sum, "sum", input, dim, keepdim, dtype)
        if type(input) is np.ndarray:
            # what np.sum does for an ndarray, without its Python wrapper
            axes = norm_dims(dim, input.ndim, "sum")
            out = np.asarray(_add_reduce(input, axis=axes, keepdims=keepdim))
            return out, (input.shape, axes, keepdim)
        axes = norm_dims(dim, np.ndim(input), "sum")
        out = np.asarray(np.sum(input, axis=axes, keepdims=keepdim))
        return out, (shape_of(input), axes, keepdim)

    def backward(ctx, g, needs):
        if len(ctx) == 4:
            shape, axes, keepdim, in_dtype = ctx
            return (expand_reduced(g, shape, axes, keepdim).astype(in_dtype),)
        shape, axes, keepdim = ctx
        return (expand_reduced(g, shape, axes, keepdim),)


def _reduce_as(npfunc, name, input, dim, keepdim, dtype):
    """``npfunc`` over ``dim`` after converting ``input`` to ``dtype``; the
    ctx of sum/mean with the input dtype appended (the gradient goes back)."""
    a = np.asarray(input)
    axes = norm_dims(dim, a.ndim, name)
    out = np.asarray(npfunc(a.astype(np.dtype(dtype)), axis=axes, keepdims=keepdim))
    if name == "mean":
        return out, (a.shape, axes, keepdim, _count(a.shape, axes), a.dtype)
    return out, (a.shape, axes, keepdim, a.dtype)


def _count(shape, axes):
    """How many elements a reduction over ``axes`` (None: all) combines."""
    if axes is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[i] for i in axes], dtype=np.int64))


@op("mean", functions=("mean",), methods=("mean",), numpy=(np.mean,))
class mean:
    """Mean over ``dim`` (all dims when None); ``dtype`` as in ``sum``."""

    def forward(input, dim=None, keepdim=False, dtype=None):
        if dtype is not None:
            return _reduce_as(np.mean, "mean", input, dim, keepdim, dtype)
        axes = norm_dims(dim, np.ndim(input), "mean")
        out = np.asarray(np.mean(input, axis=axes, keepdims=keepdim))
        shape = shape_of(input)
        return out, (shape, axes, keepdim, _count(shape, axes))

    def backward(ctx, g, needs):
        if len(ctx) == 5:
            shape, axes, keepdim, count, in_dtype = ctx
            return (expand_reduced(g / count, shape, axes, keepdim).astype(in_dtype),)
        shape, axes, keepdim, count = ctx
        return (expand_reduced(g / count, shape, axes, keepdim),)


def _extremum(name, npfunc):
    class rule:
        def forward(input, dim=None, keepdim=False):
            axes = norm_dims(dim, np.ndim(input), name)
            shape = shape_of(input)
            if np.size(input) == 0 and (axes is None or any(shape[i] == 0 for i in axes)):
                raise ValueError(f"{name}(): reduction of an empty tensor of shape {shape} "
                                 f"over dim {dim}")
            out = np.asarray(npfunc(input, axis=axes, keepdims=keepdim))
            return out, (input, axes, keepdim, out)

        def backward(ctx, g, needs):
            a, axes, keepdim, out = ctx
            ref = expand_reduced(out, shape_of(a), axes, keepdim)
            # ties share the gradient equally; a NaN maximum passes it to the
            # NaNs (PyTorch's amax/amin rule)
            hit = (a == ref) | (np.isnan(a) & np.isnan(ref))
            mask = hit.astype(g.dtype) if type(hit) is np.ndarray else hit
            count = np.sum(mask, axis=axes, keepdims=True)
            return (expand_reduced(g, shape_of(a), axes, keepdim) * mask / count,)

    rule.__doc__ = f"{name} over ``dim`` (all dims when None)."
    return rule


amax = op("amax", saves=(0,), saves_output=True, functions=("amax",), methods=("amax",),
          numpy=(np.amax, np.max))(_extremum("amax", np.max))
amin = op("amin", saves=(0,), saves_output=True, functions=("amin",), methods=("amin",),
          numpy=(np.amin, np.min))(_extremum("amin", np.min))


@op("softmax", saves_output=True, functions=("softmax",), methods=("softmax",))
class softmax:
    def forward(input, dim=-1):
        dims = norm_dims(dim, np.ndim(input), "softmax")
        axis = dims[0] if dims else None
        if not np.size(input):          # an empty input has no max to shift by
            e = np.exp(input)
        else:
            # (asarray: a 0-d input gives a numpy scalar, which has no out=)
            e = np.asarray(np.subtract(input, np.max(input, axis=axis, keepdims=True)))
            if e.dtype.kind in "fc":        # in place: no more temporaries than needed
                np.exp(e, out=e)
                e /= np.sum(e, axis=axis, keepdims=True)
                return e, (e, axis)
            e = np.exp(e)
        out = e / np.sum(e, axis=axis, keepdims=True)
        return out, (out, axis)

    def backward(ctx, g, needs):
        out, axis = ctx
        return (out * (g - np.sum(g * out, axis=axis, keepdims=True)),)


@op("log_softmax", saves_output=True, functions=("log_softmax",), methods=("log_softmax",))
class log_softmax:
    def forward(input, dim=-1):
        dims = norm_dims(dim, np.ndim(input), "log_softmax")
        axis = dims[0] if dims else None
        shifted = np.asarray(input - np.max(input, axis=axis, keepdims=True)) \
            if np.size(input) else input
        lse = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        if np.size(input) and shifted.dtype.kind in "fc" and shifted.dtype == lse.dtype:
            shifted -= lse                  # in place (a fresh array: input is never written)
            return shifted, (shifted, axis)
        out = shifted - lse
        return out, (out, axis)

    def backward(ctx, g, needs):
        out, axis = ctx
        return (g - np.exp(out) * np.sum(g, axis=axis, keepdims=True),)


# --------------------------------------------------------------------------
# prod, var/std, logsumexp, norm
# --------------------------------------------------------------------------

def _data(x):
    """The values of an array or a Tensor (for choices not differentiated)."""
    if type(x) is np.ndarray:
        return x
    return x.data if hasattr(x, "_engine") else np.asarray(x)


@op("prod", saves=(0,), saves_output=True, functions=("prod",), methods=("prod",),
    numpy=(np.prod,))
class prod:
    """Product over ``dim`` (all elements when None); ``dtype``: convert the
    input first. Integers and bools multiply in int64, as in PyTorch. The
    gradient is exact when the input holds zeros (products of the others)."""

    def forward(input, dim=None, keepdim=False, dtype=None):
        a = np.asarray(input)
        axes = norm_dims(dim, a.ndim, "prod")
        conv = np.dtype(dtype) if dtype is not None else \
            (np.dtype(np.int64) if a.dtype.kind in "bui" else None)
        if conv is not None and conv != a.dtype:
            a = a.astype(conv)
        else:
            conv = None
        out = np.asarray(np.prod(a, axis=axes, keepdims=keepdim))
        return out, (input, axes, keepdim, conv, out)

    def backward(ctx, g, needs):
        a, axes, keepdim, conv, out = ctx
        x = a if conv is None else a.astype(conv)
        shape = shape_of(a)
        ge = expand_reduced(g, shape, axes, keepdim)
        if not (_data(a) == 0).any():
            grad = ge * expand_reduced(out, shape, axes, keepdim) / x
        else:
            grad = ge * _prod_of_others(x, axes)
        return (cast(grad, a),)


def _prod_of_others(x, axes):
    """For each element, the product of the other elements of its reduced
    group (``axes``; None: all), without dividing: exclusive running
    products from both ends (PyTorch's rule for inputs with zeros)."""
    from .index import getitem
    from .reduce_cum import cumprod
    from .shape import cat, flip, permute, reshape
    shape = tuple(shape_of(x))
    nd = len(shape)
    if nd == 0:
        return x * 0.0 + 1.0
    axes = tuple(range(nd)) if axes is None else tuple(axes)
    if not axes:
        return x * 0.0 + 1.0
    order = tuple(k for k in range(nd) if k not in axes) + axes
    lead = tuple(shape[k] for k in order[:len(order) - len(axes)])
    n = int(np.prod([shape[k] for k in axes], dtype=np.int64))
    flat = reshape(permute(x, dims=order), shape=lead + (n,))
    one = np.ones(lead + (1,), dtype=_data(x).dtype)
    last = len(lead)
    head = getitem(flat, index=(Ellipsis, slice(0, n - 1)))
    tail = getitem(flat, index=(Ellipsis, slice(1, n)))
    left = cumprod(cat(one, head, dim=last), dim=last)
    right = flip(cumprod(flip(cat(tail, one, dim=last), dims=(last,)), dim=last), dims=(last,))
    others = reshape(left * right, shape=tuple(shape[k] for k in order))
    return permute(others, dims=tuple(np.argsort(order).tolist()))


def _var_parse(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """PyTorch's overloads: ``var(x, dim=None, *, correction=1,
    keepdim=False)``, the legacy ``var(x, dim, unbiased, keepdim)`` and
    ``var(x, unbiased)``."""
    if isinstance(dim, (bool, np.bool_)):
        if unbiased is not None:
            raise TypeError("var()/std(): unbiased given twice")
        dim, unbiased = None, bool(dim)
    if correction is None:
        correction = 1 if unbiased is None else int(bool(unbiased))
    elif unbiased is not None:
        raise TypeError("var()/std(): give either unbiased or correction, not both")
    return (input,), {"dim": dim, "correction": correction, "keepdim": keepdim}


def _var_forward(input, dim, correction, keepdim, who):
    a = np.asarray(input)
    if a.dtype.kind not in "fc":
        raise TypeError(f"{who}(): expected a floating tensor, got dtype {a.dtype}")
    axes = norm_dims(dim, a.ndim, who)
    denom = max(_count(a.shape, axes) - correction, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = a - np.mean(a, axis=axes, keepdims=True)
        out = np.asarray(np.sum(dev * dev, axis=axes, keepdims=keepdim) / a.dtype.type(denom))
        scale = np.true_divide(2.0, denom) if denom else np.inf
    return out, axes, scale


def _var_grad(x, g, axes, keepdim, scale):
    ge = expand_reduced(g, shape_of(x), axes, keepdim)
    with np.errstate(invalid="ignore"):
        return ge * scale * (x - np.mean(x, axis=axes, keepdims=True))


@op("var", saves=(0,), functions=("var",), methods=("var",), parse=_var_parse)
class var:
    """Variance over ``dim`` (all dims when None) with ``correction``
    (PyTorch's default 1, Bessel's; numpy's ``var`` uses 0). ``unbiased``
    is the legacy spelling (True: correction 1, False: 0)."""

    def forward(input, dim=None, correction=1, keepdim=False):
        out, axes, scale = _var_forward(input, dim, correction, keepdim, "var")
        return out, (input, axes, keepdim, scale)

    def backward(ctx, g, needs):
        x, axes, keepdim, scale = ctx
        return (_var_grad(x, g, axes, keepdim, scale),)


@op("std", saves=(0,), saves_output=True, functions=("std",), methods=("std",),
    parse=_var_parse)
class std:
    """Standard deviation: the square root of ``var`` (same arguments). The
    gradient is 0 where the deviation is 0, as in PyTorch."""

    def forward(input, dim=None, correction=1, keepdim=False):
        out, axes, scale = _var_forward(input, dim, correction, keepdim, "std")
        out = np.asarray(np.sqrt(out))
        return out, (input, axes, keepdim, scale, out)

    def backward(ctx, g, needs):
        x, axes, keepdim, scale, out = ctx
        zero = _data(out) == 0
        if zero.any():
            gv = np.where(zero, 0.0, g / np.where(zero, 1.0, 2.0 * out))
        else:
            gv = g / (2.0 * out)
        return (_var_grad(x, gv, axes, keepdim, scale),)


@op("logsumexp", saves=(0,), saves_output=True, functions=("logsumexp",),
    methods=("logsumexp",))
class logsumexp:
    """``log(sum(exp(input), dim))``, computed stably (PyTorch requires
    ``dim``)."""

    def forward(input, dim=None, keepdim=False):
        if dim is None:
            raise TypeError("logsumexp(): missing the required argument 'dim'")
        a = np.asarray(input)
        if a.dtype.kind not in "fc":
            a = a.astype(np.float32)        # PyTorch: integers give the default float
        axes = norm_dims(dim, a.ndim, "logsumexp")
        if a.ndim == 0:
            return a.copy(), (input, axes, keepdim, a.copy())
        m = np.max(a, axis=axes, keepdims=True, initial=-np.inf)
        m = np.where(np.isinf(m), 0.0, m).astype(a.dtype)
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(a - m), axis=axes, keepdims=True)) + m
        if not keepdim:
            out = np.squeeze(out, axis=axes)
        out = np.asarray(out)
        return out, (input, axes, keepdim, out)

    def backward(ctx, g, needs):
        x, axes, keepdim, out = ctx
        shape = shape_of(x)
        if len(shape) == 0:
            return (g,)
        return (cast(expand_reduced(g, shape, axes, keepdim)
                     * np.exp(x - expand_reduced(out, shape, axes, keepdim)), x),)


def _norm_parse(input, p="fro", dim=None, keepdim=False, dtype=None):
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        dim = (dim,)
    if p == "fro" or p is None:
        p = 2
    elif p == "nuc":
        raise NotImplementedError("norm(): the nuclear norm (p='nuc') is not supported")
    elif isinstance(p, str):
        raise ValueError(f"norm(): unknown p {p!r}")
    if dtype is not None:
        input = input.astype(np.dtype(dtype)) if hasattr(input, "astype") else \
            np.asarray(input, dtype=dtype)
    return (input,), {"p": float(p), "dim": dim, "keepdim": keepdim}


@op("norm", saves=(0,), saves_output=True, functions=("norm",), methods=("norm",),
    parse=_norm_parse)
class norm:
    """The vector ``p``-norm over ``dim`` (all elements when None): ``p`` a
    number, ``inf``, ``-inf``, or ``'fro'`` (2). Gradients as PyTorch's: 0
    where the norm is 0, ties of the inf-norm share."""

    def forward(input, p=2.0, dim=None, keepdim=False):
        a = np.asarray(input)
        if a.dtype.kind not in "fc":
            raise TypeError(f"norm(): expected a floating tensor, got dtype {a.dtype}")
        axes = norm_dims(dim, a.ndim, "norm")
        ab = np.abs(a)
        if p == 2:
            out = np.sqrt(np.sum(ab * ab, axis=axes, keepdims=keepdim))
        elif p == 1:
            out = np.sum(ab, axis=axes, keepdims=keepdim)
        elif p == np.inf:
            out = np.max(ab, axis=axes, keepdims=keepdim, initial=0.0)
        elif p == -np.inf:
            out = np.min(ab, axis=axes, keepdims=keepdim)
        elif p == 0:
            out = np.sum(ab != 0, axis=axes, keepdims=keepdim).astype(a.dtype)
        else:
            with np.errstate(divide="ignore"):
                out = np.power(np.sum(np.power(ab, p), axis=axes, keepdims=keepdim), 1.0 / p)
        out = np.asarray(out, dtype=a.dtype)
        return out, (input, p, axes, keepdim, out)

    def backward(ctx, g, needs):
        from .elementwise import abs as _abs
        x, p, axes, keepdim, out = ctx
        shape = shape_of(x)
        ge = expand_reduced(g, shape, axes, keepdim)
        oe = expand_reduced(out, shape, axes, keepdim)
        sign = np.sign(_data(x))
        if p == 0:
            return (ge * 0.0,)
        if p == 1:
            return (ge * sign,)
        if p == np.inf or p == -np.inf:
            hit = (np.abs(_data(x)) == _data(oe)).astype(_data(x).dtype)
            count = np.sum(hit, axis=axes, keepdims=True)
            return (ge * sign * hit / count,)
        zero = _data(oe) == 0
        any_zero = zero.any()
        if any_zero:
            oe = np.where(zero, 1.0, oe)
        if p == 2:
            grad = x * (ge / oe)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad = sign * _abs(x) ** (p - 1.0) * (ge / oe ** (p - 1.0))
        return (np.where(zero, 0.0, grad) if any_zero else grad,)
