"""Reductions that select elements (``median``, ``sort``, ``topk``,
``kthvalue``, ``cummax``, ``cummin``) and the non-differentiable ones
(``all``, ``any``, ``count_nonzero``, ``argmax``, ``argmin``, ``argsort``),
plus ``var_mean``/``std_mean``. Written with ops only: the indices are
computed on the data, the values taken with ``take_along_dim`` (so the
gradient goes to the selected elements, to every order)."""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ._helpers import is_tensor as _is_tensor
from ._helpers import nondiff, norm_dims
from ._registry import composite
from .elementwise import where
from .index import take_along_dim
from .reduce import _var_parse, amax, mean, std, var
from .shape import reshape

#: ``torch.return_types``-like named tuples (values, indices)
SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])
KthvalueResult = namedtuple("kthvalue", ["values", "indices"])
MedianResult = namedtuple("median", ["values", "indices"])
CummaxResult = namedtuple("cummax", ["values", "indices"])
CumminResult = namedtuple("cummin", ["values", "indices"])


def _data(x):
    return x.data if _is_tensor(x) else np.asarray(x)


def _wrap(like, arr):
    return nondiff(like, np.asarray(arr))


def _alias(dim, keepdim, axis, keepdims):
    """numpy's ``axis``/``keepdims`` for PyTorch's ``dim``/``keepdim``."""
    return (dim if axis is None else axis), (keepdim if keepdims is None else keepdims)


def _dim1(dim, nd, who):
    """One dim, normalised (0 for a 0-d tensor)."""
    if isinstance(dim, (tuple, list)):
        if len(dim) != 1:
            raise TypeError(f"{who}(): dim must be one int, got {dim!r}")
        dim = dim[0]
    d = norm_dims(dim, nd, who)
    return d[0] if d else 0


def _pick(cls, input, data, idx, d, keepdim):
    """``cls(values, indices)`` for indices ``idx`` (kept dim ``d``)."""
    if data.ndim == 0:
        return cls(input * 1 if _is_tensor(input) else data.copy(),
                   _wrap(input, np.zeros((), dtype=np.int64)))
    idx = idx.astype(np.int64)
    values = take_along_dim(input, idx, dim=d)
    if not keepdim:
        idx = np.squeeze(idx, d)
        values = reshape(values, shape=idx.shape)
    return cls(values, _wrap(input, idx))


def _sort_index(data, d, descending):
    """Stable sorting indices along ``d``; NaN is the largest value, and
    descending order keeps equal elements in their original order."""
    if not descending:
        return np.argsort(data, axis=d, kind="stable")
    rev = np.flip(data, axis=d)
    idx = np.argsort(rev, axis=d, kind="stable")
    return data.shape[d] - 1 - np.flip(idx, axis=d)


# --------------------------------------------------------------------------
# not differentiable
# --------------------------------------------------------------------------

@composite(methods=("all",), functions=("all",))
def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """True where every element (over ``dim``; all dims when None) is nonzero."""
    dim, keepdim = _alias(dim, keepdim, axis, keepdims)
    data = _data(input)
    axes = norm_dims(dim, data.ndim, "all")
    return _wrap(input, np.all(data, axis=axes, keepdims=keepdim))


@composite(methods=("any",), functions=("any",))
def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """True where some element (over ``dim``; all dims when None) is nonzero."""
    dim, keepdim = _alias(dim, keepdim, axis, keepdims)
    data = _data(input)
    axes = norm_dims(dim, data.ndim, "any")
    return _wrap(input, np.any(data, axis=axes, keepdims=keepdim))


@composite(methods=("count_nonzero",), functions=("count_nonzero",))
def count_nonzero(input, dim=None, *, axis=None):
    """How many elements are nonzero (over ``dim``; all when None), int64."""
    dim = dim if axis is None else axis
    data = _data(input)
    axes = norm_dims(dim, data.ndim, "count_nonzero")
    if axes is None:
        return _wrap(input, np.array(np.count_nonzero(data), dtype=np.int64))
    return _wrap(input, np.asarray(np.sum(data != 0, axis=axes), dtype=np.int64))


def _arg(name, npfunc):
    def fn(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _alias(dim, keepdim, axis, keepdims)
        data = _data(input)
        if data.size == 0:
            raise ValueError(f"{name}(): empty tensor of shape {data.shape}")
        if dim is None:
            out = npfunc(data.reshape(-1))
            if keepdim:
                return _wrap(input, np.full((1,) * data.ndim, out, dtype=np.int64))
            return _wrap(input, np.array(out, dtype=np.int64))
        if data.ndim == 0:
            _dim1(dim, 0, name)
            return _wrap(input, np.zeros((), dtype=np.int64))
        d = _dim1(dim, data.ndim, name)
        return _wrap(input, npfunc(data, axis=d, keepdims=keepdim).astype(np.int64))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"Index of the {name[3:]} (first one on ties; NaN counts as the "
                  f"largest), over ``dim`` or of the flattened tensor; int64.")
    return composite(methods=(name,), functions=(name,))(fn)


argmax = _arg("argmax", np.argmax)
argmin = _arg("argmin", np.argmin)


@composite(methods=("argsort",), functions=("argsort",))
def argsort(input, dim=-1, descending=False, stable=False, *, axis=None):
    """Indices that sort ``input`` along ``dim`` (int64; ``sort``'s order)."""
    dim = dim if axis is None else axis
    data = _data(input)
    if data.ndim == 0:
        _dim1(dim, 0, "argsort")
        return _wrap(input, np.zeros((), dtype=np.int64))
    d = _dim1(dim, data.ndim, "argsort")
    return _wrap(input, _sort_index(data, d, descending).astype(np.int64))


# --------------------------------------------------------------------------
# selections (the gradient goes to the selected elements)
# --------------------------------------------------------------------------

@composite(methods=("sort",), functions=("sort",))
def sort(input, dim=-1, descending=False, stable=False, *, axis=None):
    """``(values, indices)`` sorted along ``dim``; NaN sorts as the largest
    value; equal elements keep their order (also when ``descending``)."""
    dim = dim if axis is None else axis
    data = _data(input)
    if data.ndim == 0:
        _dim1(dim, 0, "sort")
        return _pick(SortResult, input, data, None, 0, False)
    d = _dim1(dim, data.ndim, "sort")
    return _pick(SortResult, input, data, _sort_index(data, d, descending), d, True)


@composite(methods=("topk",), functions=("topk",))
def topk(input, k, dim=-1, largest=True, sorted=True, *, axis=None):
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim``
    and their indices, in sorted order."""
    dim = dim if axis is None else axis
    data = _data(input)
    k = int(k)
    if data.ndim == 0:
        _dim1(dim, 0, "topk")
        if k not in (0, 1):
            raise IndexError(f"topk(): k {k} out of range for a 0-d tensor")
        return _pick(TopkResult, input, data, None, 0, False)
    d = _dim1(dim, data.ndim, "topk")
    if not 0 <= k <= data.shape[d]:
        raise IndexError(f"topk(): k {k} out of range for dim {dim} of size {data.shape[d]}")
    idx = _sort_index(data, d, largest)
    idx = idx[(slice(None),) * d + (slice(0, k),)]
    return _pick(TopkResult, input, data, idx, d, True)


@composite(methods=("kthvalue",), functions=("kthvalue",))
def kthvalue(input, k, dim=-1, keepdim=False, *, axis=None, keepdims=None):
    """The ``k``-th smallest element (1-based) along ``dim`` and its index."""
    dim, keepdim = _alias(dim, keepdim, axis, keepdims)
    data = _data(input)
    k = int(k)
    if data.ndim == 0:
        _dim1(dim, 0, "kthvalue")
        if k != 1:
            raise IndexError(f"kthvalue(): k {k} out of range for a 0-d tensor")
        return _pick(KthvalueResult, input, data, None, 0, False)
    d = _dim1(dim, data.ndim, "kthvalue")
    if not 1 <= k <= data.shape[d]:
        raise IndexError(f"kthvalue(): k {k} out of range for dim {dim} of size "
                         f"{data.shape[d]}")
    idx = _sort_index(data, d, False)[(slice(None),) * d + (slice(k - 1, k),)]
    return _pick(KthvalueResult, input, data, idx, d, keepdim)


def _median_index(data, d):
    """Index of the lower median along ``d`` (kept dim); a NaN when the
    line holds one (PyTorch propagates NaN)."""
    n = data.shape[d]
    idx = np.argsort(data, axis=d, kind="stable")
    idx = idx[(slice(None),) * d + (slice((n - 1) // 2, (n - 1) // 2 + 1),)]
    if data.dtype.kind in "fc":
        nan = np.isnan(data)
        has = nan.any(axis=d, keepdims=True)
        if has.any():
            idx = np.where(has, np.argmax(nan, axis=d, keepdims=True), idx)
    return idx


@composite(methods=("median",), functions=("median",))
def median(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """``median(input)``: the lower median of all elements (NaN if any; the
    gradient is shared by the elements equal to it). ``median(input, dim,
    keepdim=False)``: named tuple ``(values, indices)`` along ``dim``."""
    dim, keepdim = _alias(dim, keepdim, axis, keepdims)
    data = _data(input)
    if dim is None:
        if data.size == 0:
            if data.dtype.kind in "fc" and _is_tensor(input):
                return input.sum() * np.nan     # NaN, recorded (as torch: empty gradient)
            return _wrap(input, np.array(np.nan, dtype=data.dtype))
        flat = data.reshape(-1)
        v = flat[_median_index(flat, 0)[0]]
        if data.dtype.kind not in "fc":
            return _wrap(input, np.asarray(v))
        mask = np.isnan(data) if np.isnan(v) else data == v
        return amax(where(mask, input, np.array(-np.inf, dtype=data.dtype)))
    if data.ndim == 0:
        _dim1(dim, 0, "median")
        return _pick(MedianResult, input, data, None, 0, False)
    d = _dim1(dim, data.ndim, "median")
    if data.shape[d] == 0:
        raise IndexError(f"median(): dim {dim} of a tensor of shape {data.shape} is empty")
    return _pick(MedianResult, input, data, _median_index(data, d), d, keepdim)


def _cum_extreme(name, accumulate, cls):
    def fn(input, dim, *, axis=None):
        dim = dim if axis is None else axis
        data = _data(input)
        if data.ndim == 0:
            _dim1(dim, 0, name)
            return _pick(cls, input, data, None, 0, False)
        d = _dim1(dim, data.ndim, name)
        # PyTorch: ties move to the later index, a NaN wins and stays. The
        # running extreme changes only at a "hit" (x_j equals it), so the
        # index at k is the last hit up to k.
        run = accumulate(data, axis=d)
        hit = data == run
        if data.dtype.kind in "fc":
            hit |= np.isnan(data)
        pos = np.arange(data.shape[d]).reshape((-1,) + (1,) * (data.ndim - d - 1))
        idx = np.maximum.accumulate(np.where(hit, pos, 0), axis=d)
        return _pick(cls, input, data, idx, d, True)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"Running {name[3:]} along ``dim``: named tuple ``(values, indices)``; "
                  f"ties take the later index, NaN propagates (as PyTorch).")
    return composite(methods=(name,), functions=(name,))(fn)


cummax = _cum_extreme("cummax", np.maximum.accumulate, CummaxResult)
cummin = _cum_extreme("cummin", np.minimum.accumulate, CumminResult)


# --------------------------------------------------------------------------
# var_mean, std_mean
# --------------------------------------------------------------------------

def _stat_mean(name, op):
    def fn(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
           keepdims=None):
        dim, keepdim = _alias(dim, keepdim, axis, keepdims)
        (x,), kw = _var_parse(input, dim, unbiased, keepdim, correction=correction)
        return op(x, **kw), mean(x, dim=kw["dim"], keepdim=kw["keepdim"])

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``({op.name}, mean)`` over ``dim``, with ``{op.name}``'s arguments "
                  f"(``correction`` defaults to 1).")
    return composite(functions=(name,))(fn)


var_mean = _stat_mean("var_mean", var)
std_mean = _stat_mean("std_mean", std)


# --------------------------------------------------------------------------
# NaN-ignoring reductions, msort
# --------------------------------------------------------------------------

@composite(methods=("nansum",), functions=("nansum",))
def nansum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """``sum`` with NaNs counted as zero (they get no gradient)."""
    from .reduce import sum as _sum
    dim, keepdim = _alias(dim, keepdim, axis, keepdims)
    data = _data(input)
    if data.dtype.kind in "fc":
        nan = np.isnan(data)
        if nan.any():
            input = where(nan, np.zeros((), dtype=data.dtype), input)
    return _sum(input, dim=dim, keepdim=keepdim, dtype=dtype)


@composite(methods=("nanmean",), functions=("nanmean",))
def nanmean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """The mean of the elements that are not NaN (NaN where all are)."""
    dim, keepdim = _alias(dim, keepdim, axis, keepdims)
    data = _data(input)
    if data.dtype.kind not in "fc" and dtype is None:
        raise TypeError(f"nanmean(): expected a floating tensor, got dtype {data.dtype}")
    axes = norm_dims(dim, data.ndim, "nanmean")
    count = np.sum(~np.isnan(data), axis=axes, keepdims=keepdim)
    total = nansum(input, dim=dim, keepdim=keepdim, dtype=dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        return total / np.asarray(count, dtype=_data(total).dtype)


@composite(methods=("msort",), functions=("msort",))
def msort(input):
    """The values of ``input`` sorted along dim 0."""
    return sort(input, 0).values


# --------------------------------------------------------------------------
# aminmax, quantile
# --------------------------------------------------------------------------

AminmaxResult = namedtuple("aminmax", ["min", "max"])


@composite(methods=("aminmax",), functions=("aminmax",))
def aminmax(input, *, dim=None, keepdim=False):
    """Named tuple ``(min, max)`` over ``dim`` (all elements when None)."""
    from .reduce import amin
    return AminmaxResult(amin(input, dim=dim, keepdim=keepdim),
                         amax(input, dim=dim, keepdim=keepdim))


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, who, ignore_nan):
    from .shape_composites import movedim, unsqueeze
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{who}(): interpolation must be one of {_INTERPOLATIONS}, got "
                         f"{interpolation!r}")
    data = _data(input)
    if data.dtype.kind != "f":
        raise TypeError(f"{who}(): expected a floating tensor, got dtype {data.dtype}")
    qa = np.asarray(_data(q), dtype=np.float64)
    if qa.ndim > 1 or np.any((qa < 0) | (qa > 1)):
        raise ValueError(f"{who}(): q must be a scalar or 1-d, with values in [0, 1]")
    nd = data.ndim
    x = input
    if dim is None:
        x = reshape(input, shape=(-1,))
        d = 0
    else:
        d = _dim1(dim, nd, who)
        if nd == 0:
            x = reshape(input, shape=(1,))
    xd = _data(x)
    n = xd.shape[d]
    if n == 0:
        raise IndexError(f"{who}(): dim {d} of a tensor of shape {data.shape} is empty")
    values = sort(x, d).values
    qs = qa.reshape((-1,) + (1,) * (xd.ndim - d - 1))          # along dim d
    nan = np.isnan(xd)
    if ignore_nan:
        valid = np.sum(~nan, axis=d, keepdims=True)
        ranks = qs * np.maximum(valid - 1, 0)
    else:
        # a NaN in the line: the rank of the last element (NaN sorts last)
        ranks = np.where(nan.any(axis=d, keepdims=True), n - 1.0, qs * (n - 1.0))
    if interpolation == "lower":
        ranks = np.floor(ranks)
    elif interpolation == "higher":
        ranks = np.ceil(ranks)
    elif interpolation == "nearest":
        ranks = np.round(ranks)
    shape = np.broadcast_shapes(ranks.shape, xd.shape[:d] + (1,) + xd.shape[d + 1:])
    ranks = np.broadcast_to(ranks, shape)
    below = np.floor(ranks).astype(np.int64)
    above = np.ceil(ranks).astype(np.int64)
    lo = take_along_dim(values, below, dim=d)
    if interpolation in ("lower", "higher", "nearest"):
        out = lo
    else:
        hi = take_along_dim(values, above, dim=d)
        w = (ranks - below).astype(xd.dtype) if interpolation == "linear" else \
            np.full(shape, 0.5, dtype=xd.dtype)
        # PyTorch's lerp: from the nearer end
        out = where(w < 0.5, lo + w * (hi - lo), hi - (hi - lo) * (1.0 - w))
    if ignore_nan:
        empty = np.broadcast_to(valid == 0, shape)
        if empty.any():
            out = where(empty, np.array(np.nan, dtype=xd.dtype), out)
    # the q dim (at d) goes first; the reduced dim is dropped or kept as 1
    if qa.ndim == 0:
        out = reshape(out, shape=_shape_without(shape, d))
    else:
        out = movedim(out, d, 0)
    if keepdim:
        lead = 1 if qa.ndim else 0
        if dim is None:
            out = reshape(out, shape=tuple(_shape_of(out)[:lead]) + (1,) * nd)
        elif nd:
            out = unsqueeze(out, d + lead)
    return out


def _shape_without(shape, d):
    return tuple(shape[:d]) + tuple(shape[d + 1:])


def _shape_of(x):
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


@composite(methods=("quantile",), functions=("quantile",))
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-quantiles (a scalar or 1-d, in [0, 1]; a 1-d ``q`` adds a
    first dim) along ``dim`` (None: of all elements). A NaN in a line gives
    NaN. ``interpolation``: linear, lower, higher, midpoint or nearest."""
    return _quantile(input, q, dim, keepdim, interpolation, "quantile", False)


@composite(methods=("nanquantile",), functions=("nanquantile",))
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` of the elements that are not NaN (NaN if there are none)."""
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile", True)
