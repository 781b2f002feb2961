"""Indexing: ``t[index]``, and the gather/scatter/take families.

Every index (an array, a list, an integer Tensor) is copied when the forward
runs, so a later in-place change to the index cannot change the gradient.
The public functions that are not ops of their own (``index_select``,
``masked_fill``, ``scatter_reduce``...) are composites of the ops here and of
``where``; their gradients follow PyTorch's rules (a scattered-over position
of ``input`` gets no gradient; ``amax``/``amin`` share the gradient evenly
among the tied values).
"""
from __future__ import annotations

import numpy as np

from ._helpers import Like, cast, nondiff, norm_dims, shape_of
from ._helpers import is_tensor as _is_tensor
from ._registry import composite, op
from .elementwise import where

_INT_KINDS = "iu"


def _data(x):
    """The array under a Tensor (or the value itself)."""
    return x.data if _is_tensor(x) else x


def _index_copy(index):
    """The index as the forward keeps it: arrays (and lists) inside are
    copied, so a later in-place change to an index array cannot change the
    gradient."""
    if type(index) is tuple:
        return tuple(np.array(i) if isinstance(i, (np.ndarray, list)) else i for i in index)
    if isinstance(index, np.ndarray):
        return np.array(index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _index_arrays(index):
    """Tensors inside an index replaced by their arrays."""
    if _is_tensor(index):
        return index.data
    if type(index) is tuple:
        return tuple(i.data if _is_tensor(i) else i for i in index)
    return index


def _is_int(i):
    """An integer index entry (a 0-d integer tensor counts, as in PyTorch)."""
    if isinstance(i, np.ndarray):
        return i.ndim == 0 and i.dtype.kind in _INT_KINDS
    return isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))


def _torch_split(index):
    """PyTorch applies the integer entries of an index first (as selects) and
    then the array entries to what is left, so ``x[0, :, [1, 2]]`` has shape
    ``(x.shape[1], 2)``; numpy treats the integers as advanced indices too and
    moves the advanced dims first (``(2, x.shape[1])``). For an index mixing
    integers with arrays this returns (the integer step, the array step),
    else None."""
    if type(index) is not tuple:
        return None
    has_int = has_arr = False
    for i in index:
        if _is_int(i):
            has_int = True
        elif isinstance(i, np.ndarray) and i.ndim > 0:
            has_arr = True
    if not (has_int and has_arr):
        return None
    first, rest = [], []
    for i in index:
        if _is_int(i):
            first.append(int(i))
        elif isinstance(i, np.ndarray) and i.ndim > 0:
            n = i.ndim if i.dtype == np.bool_ else 1   # a mask consumes mask.ndim dims
            first.extend([slice(None)] * n)
            rest.append(i)
        elif i is None:
            first.append(None)
            rest.append(slice(None))
        elif i is Ellipsis:
            first.append(Ellipsis)
            rest.append(Ellipsis)
        else:
            first.append(i)
            rest.append(slice(None))
    return tuple(first), tuple(rest)


@op("getitem", dunders=("__getitem__",), view=True,
    parse=lambda input, index: ((input,), {"index": _index_arrays(index)}))
class getitem:
    """``input[index]`` with PyTorch's placement of the advanced-index dims
    (integers are applied before arrays; see ``_torch_split``)."""

    def forward(input, index):
        index = _index_copy(index)
        split = _torch_split(index)
        if split is None:
            out = input[index]
            return np.asarray(out), (np.shape(input), input.dtype, index, None)
        first, rest = split
        mid = input[first]
        out = mid[rest]
        return np.asarray(out), (np.shape(input), input.dtype, first, (np.shape(mid), rest))

    def backward(ctx, g, needs):
        shape, dtype, index, then = ctx
        if then is not None:
            mid_shape, rest = then
            g = index_put_add(g, shape=mid_shape, dtype=dtype, index=rest)
        return (index_put_add(g, shape=shape, dtype=dtype, index=index),)


def _basic_index(index):
    """Only slices, Python integers, None and Ellipsis: no position twice."""
    for i in (index if type(index) is tuple else (index,)):
        if not (i is None or i is Ellipsis or type(i) is slice
                or (type(i) is int or isinstance(i, np.integer))):
            return False
    return True


def _rows_index(index):
    """The index if it is one integer array over the first dim (an
    embedding lookup), else None."""
    if type(index) is tuple:
        if len(index) != 1:
            return None
        index = index[0]
    if isinstance(index, np.ndarray) and index.dtype.kind in _INT_KINDS and index.ndim:
        return index
    return None


def _add_rows(out, rows, g):
    """``out[rows] += g`` with repeated rows summed (what ``np.add.at`` does,
    by sorting: each row's slices summed in the order they come)."""
    flat = rows.reshape(-1).astype(np.intp)
    flat = np.where(flat < 0, flat + out.shape[0], flat)
    g = np.reshape(g, (flat.size,) + tuple(out.shape[1:]))
    order = np.argsort(flat, kind="stable")
    fs = flat[order]
    starts = np.flatnonzero(np.concatenate(([True], fs[1:] != fs[:-1])))
    out[fs[starts]] = np.add.reduceat(g[order], starts, axis=0)


@op("index_put_add", saves=())
class index_put_add:
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices
    sum): getitem's VJP, and itself differentiable (its VJP is getitem)."""

    def forward(g, shape, dtype, index):
        out = np.zeros(shape, dtype=dtype)
        if _basic_index(index):
            out[index] = g              # slices and integers pick each place once
            return out, index
        rows = _rows_index(index)
        if rows is not None and rows.size:
            _add_rows(out, rows, g)
            return out, index
        # add.at sums repeated integer indices instead of keeping the last write
        np.add.at(out, index, g)
        return out, index

    def backward(index, g, needs):
        return (getitem(g, index=index),)


@op("take_along_dim", functions=("take_along_dim",), methods=("take_along_dim",))
class take_along_dim:
    """Values of ``input`` at ``indices`` along ``dim`` (numpy's
    ``take_along_axis``); the index array is copied."""

    def forward(input, indices, dim=None):
        idx = np.array(indices, dtype=np.int64)
        if dim is None:
            return np.take_along_axis(np.reshape(input, -1), idx.reshape(-1), 0), \
                (np.shape(input), input.dtype, idx.reshape(-1), None)
        out = np.take_along_axis(input, idx, dim)
        if idx.shape != out.shape:      # input and indices broadcast (off ``dim``)
            idx = np.array(np.broadcast_to(idx, out.shape))
        return out, (np.shape(input), input.dtype, idx, dim)

    def backward(ctx, g, needs):
        shape, dtype, idx, dim = ctx
        return (put_along_dim_add(g, shape=shape, dtype=dtype, indices=idx, dim=dim), None)


@op("put_along_dim_add")
class put_along_dim_add:
    """Zeros of ``shape`` with ``g`` added at ``indices`` along ``dim``:
    take_along_dim's VJP (and its VJP is take_along_dim)."""

    def forward(g, shape, dtype, indices, dim):
        out = np.zeros(shape, dtype=dtype)
        if dim is None:
            np.add.at(out.reshape(-1), indices, g)
            return out, (indices, dim)
        nd = out.ndim
        d = dim % nd
        if (indices.shape[d] == 1 and np.shape(g) == indices.shape
                and all(indices.shape[k] == shape[k] for k in range(nd) if k != d)):
            # one index per slice along dim (a max/argmax pick): no two land on
            # the same element, so a plain put does (much faster than add.at)
            np.put_along_axis(out, indices, g, d)
            return out, (indices, dim)
        grids = np.indices(indices.shape, sparse=True)
        # a dim of size 1 that broadcast in the forward collects every row
        full = tuple(indices if k == d else (grids[k] if shape[k] != 1 else 0)
                     for k in range(nd))
        np.add.at(out, full, g)
        return out, (indices, dim)

    def backward(ctx, g, needs):
        indices, dim = ctx
        return (take_along_dim(g, indices, dim=dim),)


# --------------------------------------------------------------------------
# gather / scatter along a dim
# --------------------------------------------------------------------------

def _int_index(index, who):
    """A copy of ``index`` (Tensor, array or list) as int64, or a TypeError."""
    a = np.array(_data(index))
    if a.dtype.kind not in _INT_KINDS:
        if a.size == 0:
            return a.astype(np.int64)
        raise TypeError(f"{who}(): index must be an integer tensor, got dtype {a.dtype}")
    return a.astype(np.int64, copy=False)


def _one_dim(dim, nd, who):
    d = norm_dims(dim, nd, who)
    return d[0] if d else 0


def _along(index, d, nd):
    """The numpy index that reads ``index`` along dim ``d`` and positions
    elsewhere (``out[i][j][k] = x[i][index[i][j][k]][k]`` for ``d == 1``)."""
    grids = np.indices(index.shape, sparse=True)
    return tuple(index if k == d else grids[k] for k in range(nd))


def _check_along(who, shape, index, d, src_shape=None):
    nd = len(shape)
    if index.ndim != max(nd, 1) and not (nd == 0 and index.ndim == 0):
        raise ValueError(f"{who}(): index of shape {index.shape} must have as many dims as "
                         f"input of shape {shape}")
    for k in range(index.ndim):
        if k != d and nd and index.shape[k] > shape[k]:
            raise ValueError(f"{who}(): index of shape {index.shape} is larger than input of "
                             f"shape {shape} in dim {k} (only dim {d} may differ)")
        if src_shape is not None and index.ndim == len(src_shape) and index.shape[k] > src_shape[k]:
            raise ValueError(f"{who}(): index of shape {index.shape} is larger than src of "
                             f"shape {src_shape} in dim {k}")
    if src_shape is not None and len(src_shape) != index.ndim and np.size(index):
        raise ValueError(f"{who}(): src of shape {src_shape} must have as many dims as "
                         f"index of shape {index.shape}")
    n = shape[d] if nd else 1
    if index.size and (index.min() < 0 or index.max() >= n):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexError(f"{who}(): index {bad} is out of bounds for dimension {d} "
                         f"with size {n}")


def _gather_parse(input, dim, index, *, sparse_grad=False):
    return (input,), {"dim": dim, "index": _int_index(index, "gather")}


@op("gather", functions=("gather",), methods=("gather",), parse=_gather_parse)
class gather:
    """``gather(input, dim, index)``: ``out[i][j] = input[i][index[i][j]]``
    (``dim == 1``); index has input's number of dims and may be smaller in
    the others. The gradient is added back at the gathered positions."""

    def forward(input, dim=0, index=None):
        shape = shape_of(input)
        index = np.asarray(index, dtype=np.int64)
        if len(shape) == 0:
            _check_along("gather", shape, index, 0)
            return np.asarray(input)[()].reshape(index.shape).copy(), \
                (shape, input.dtype, 0, index)
        d = _one_dim(dim, len(shape), "gather")
        _check_along("gather", shape, index, d)
        return input[_along(index, d, len(shape))], (shape, input.dtype, d, index)

    def backward(ctx, g, needs):
        shape, dtype, d, index = ctx
        return (gather_add(g, shape=shape, dtype=dtype, dim=d, index=index),)


@op("gather_add")
class gather_add:
    """Zeros of ``shape`` with ``g`` added at the positions ``gather`` reads:
    gather's VJP (and its VJP is gather)."""

    def forward(g, shape, dtype, dim, index):
        out = np.zeros(shape, dtype=dtype)
        if len(shape) == 0:
            out[()] = np.sum(g)
        else:
            np.add.at(out, _along(index, dim, len(shape)), g)
        return out, (dim, index)

    def backward(ctx, g, needs):
        dim, index = ctx
        return (gather(g, dim=dim, index=index),)


def _src_part(index, src_shape):
    """The slices of src that scatter reads (src may be larger than index)."""
    if tuple(index.shape) == tuple(src_shape):
        return None
    return tuple(slice(0, n) for n in index.shape)


def _fit(x, shape, dtype, part):
    """``x`` (shaped like the index) as a gradient for an input of ``shape``:
    zeros outside the part that was read."""
    if part is None:
        return x
    return index_put_add(x, shape=shape, dtype=dtype, index=part)


def _src_values(src, part):
    return src if part is None else src[part]


@op("scatter_sum", saves=())
class scatter_sum:
    """``input`` with ``src`` added along ``dim`` at ``index`` (repeated
    indices add up). VJP: ``g`` for input, ``gather(g)`` for src."""

    def forward(input, src, dim=0, index=None):
        shape = shape_of(input)
        nd = len(shape)
        d = _one_dim(dim, nd, "scatter_add")
        src_shape = shape_of(src)
        _check_along("scatter_add", shape, index, d, src_shape)
        part = _src_part(index, src_shape)
        out = np.array(input, dtype=np.result_type(input, src))
        if nd == 0:
            out[()] += np.sum(_src_values(np.asarray(src), part))
        else:
            np.add.at(out, _along(index, d, nd), _src_values(np.asarray(src), part))
        return out, (shape, np.asarray(input).dtype, src_shape, np.asarray(src).dtype, d,
                     index, part)

    def backward(ctx, g, needs):
        shape, dtype, src_shape, src_dtype, d, index, part = ctx
        gi = cast(g, Like(shape, dtype)) if needs[0] else None
        gs = None
        if needs[1]:
            gs = _fit(gather(g, dim=d, index=index), src_shape, src_dtype, part)
            gs = cast(gs, Like(src_shape, src_dtype))
        return gi, gs


@op("scatter_set", saves=())
class scatter_set:
    """``input`` with the values of ``src`` written along ``dim`` at
    ``index``. VJP (as PyTorch): ``g`` with the overwritten positions zeroed
    for input, ``gather(g)`` for src."""

    def forward(input, src, dim=0, index=None):
        shape = shape_of(input)
        nd = len(shape)
        d = _one_dim(dim, nd, "scatter")
        src_shape = shape_of(src)
        _check_along("scatter", shape, index, d, src_shape)
        part = _src_part(index, src_shape)
        out = np.array(input, dtype=np.result_type(input, src))
        keep = np.ones(shape, dtype=bool)
        if nd == 0:
            if index.size:
                out[()] = np.asarray(_src_values(np.asarray(src), part)).reshape(-1)[-1]
                keep[()] = False
        else:
            where = _along(index, d, nd)
            out[where] = _src_values(np.asarray(src), part)
            keep[where] = False
        return out, (shape, np.asarray(input).dtype, src_shape, np.asarray(src).dtype, d,
                     index, part, keep)

    def backward(ctx, g, needs):
        shape, dtype, src_shape, src_dtype, d, index, part, keep = ctx
        gi = cast(np.where(keep, g, 0.0), Like(shape, dtype)) if needs[0] else None
        gs = None
        if needs[1]:
            gs = _fit(gather(g, dim=d, index=index), src_shape, src_dtype, part)
            gs = cast(gs, Like(src_shape, src_dtype))
        return gi, gs


@op("scatter_prod", saves=(0, 1), saves_output=True)
class scatter_prod:
    """``input`` (or ones where scattered when ``include_self`` is False)
    multiplied along ``dim`` by ``src`` at ``index``. VJP ``g * out / x``
    for a nonzero factor; for a zero factor the product of the other factors
    (itself a ``scatter_prod`` of the factors with the zeros set to 1), when
    it is the only zero of its product."""

    def forward(input, src, dim=0, index=None, include_self=True):
        shape = shape_of(input)
        nd = len(shape)
        d = _one_dim(dim, nd, "scatter_reduce")
        src_shape = shape_of(src)
        _check_along("scatter_reduce", shape, index, d, src_shape)
        part = _src_part(index, src_shape)
        out = np.array(input, dtype=np.result_type(input, src))
        keep = np.ones(shape, dtype=bool)
        where = _along(index, d, max(nd, 1)) if nd else ()
        if nd:
            keep[where] = False
        else:
            keep[()] = index.size == 0
        if not include_self:
            out[~keep] = 1
        vals = _src_values(np.asarray(src), part)
        if nd:
            np.multiply.at(out, where, vals)
        else:
            out[()] *= np.prod(vals)
        return out, (input, src, out, d, index, part, keep | include_self)

    def backward(ctx, g, needs):
        x, src, out, d, index, part, keep = ctx
        s = src if part is None else getitem(src, index=part)
        # zeros among the factors: the derivative for a zero factor is the
        # product of the others (nonzero only when it is the only zero)
        zx = (_data(x) == 0) & keep
        zs = np.asarray(_data(s)) == 0
        gx = gs = None
        go = g * out
        if not (zx.any() or zs.any()):
            if needs[0]:
                gx = cast(np.where(keep, go / np.where(keep, x, 1.0), 0.0), x)
            if needs[1]:
                gs = cast(_fit(gather(go, dim=d, index=index) / s, shape_of(src), src.dtype,
                               part), src)
            return gx, gs
        shape = shape_of(x)
        zcount = zx.astype(np.float64)
        if len(shape):
            np.add.at(zcount, _along(index, d, len(shape)), zs)
        else:
            zcount = zcount + zs.sum()
        one_zero = zcount == 1
        zs_full = np.zeros(shape_of(src), dtype=bool)
        zs_full[part if part is not None else ...] = zs
        others = scatter_prod(np.where(zx, 1.0, x), np.where(zs_full, 1.0, src), dim=d,
                              index=index, include_self=bool(keep.all()))
        gz = np.where(one_zero, g * others, 0.0)
        if needs[0]:
            gx = cast(np.where(keep, np.where(zx, gz, go / np.where(zx | ~keep, 1.0, x)), 0.0),
                      x)
        if needs[1]:
            gs = np.where(zs, gather(gz, dim=d, index=index),
                          gather(go, dim=d, index=index) / np.where(zs, 1.0, s))
            gs = cast(_fit(gs, shape_of(src), src.dtype, part), src)
        return gx, gs


_wrap = nondiff


def _dtype(x):
    return np.asarray(_data(x)).dtype


def _written(shape, d, index):
    """Boolean mask of the positions scatter writes to."""
    m = np.zeros(shape, dtype=bool)
    if len(shape) == 0:
        m[()] = index.size > 0
    else:
        m[_along(index, d, len(shape))] = True
    return m


def _scatter_prep(input, dim, index, who):
    shape = tuple(input.shape) if _is_tensor(input) else np.shape(input)
    d = _one_dim(dim, len(shape), who)
    return shape, d, _int_index(index, who)


@composite(methods=("scatter",), functions=("scatter",))
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """``scatter(input, dim, index, src)`` or ``scatter(input, dim, index,
    value)``: ``out[i][index[i][j]] = src[i][j]`` (``dim == 1``). With
    ``reduce="add"``/``"multiply"`` the values are added/multiplied in."""
    _, d, idx = _scatter_prep(input, dim, index, "scatter")
    if src is None:
        if value is None:
            raise TypeError("scatter(): expected src or value")
        src = value
    if not _is_tensor(src) and np.ndim(src) == 0:
        src = np.full(idx.shape, _data(src), dtype=_dtype(input))   # cast as torch does
    if reduce is None:
        return scatter_set(input, src, dim=d, index=idx)
    if reduce == "add":
        return scatter_sum(input, src, dim=d, index=idx)
    if reduce == "multiply":
        return scatter_prod(input, src, dim=d, index=idx, include_self=True)
    raise ValueError(f"scatter(): reduce must be 'add' or 'multiply', got {reduce!r}")


@composite(methods=("scatter_add",), functions=("scatter_add",))
def scatter_add(input, dim, index, src):
    """``out[i][index[i][j]] += src[i][j]`` (``dim == 1``); repeated indices add up."""
    _, d, idx = _scatter_prep(input, dim, index, "scatter_add")
    return scatter_sum(input, src, dim=d, index=idx)


_REDUCES = ("sum", "prod", "mean", "amax", "amin")


@composite(methods=("scatter_reduce",), functions=("scatter_reduce",))
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Reduce ``src`` into ``input`` along ``dim`` at ``index`` with
    ``reduce`` in "sum", "prod", "mean", "amax", "amin"; ``include_self``
    says whether the values of ``input`` at the scattered positions take part.
    Gradients as PyTorch: for "amax"/"amin" shared evenly among every value
    equal to the result (self included); for "mean" divided by the count."""
    if reduce not in _REDUCES:
        raise ValueError(f"scatter_reduce(): reduce must be one of {_REDUCES}, got {reduce!r}")
    shape, d, idx = _scatter_prep(input, dim, index, "scatter_reduce")
    if reduce == "prod":
        return scatter_prod(input, src, dim=d, index=idx, include_self=bool(include_self))
    hit = _written(shape, d, idx)
    base = input if include_self else where(hit, 0.0, input)
    if reduce == "sum":
        return scatter_sum(base, src, dim=d, index=idx)
    if reduce == "mean":
        count = scatter_sum(np.full(shape, 1.0 if include_self else 0.0), np.ones(idx.shape),
                             dim=d, index=idx)
        count = np.where(hit, np.maximum(count, 1.0), 1.0).astype(_dtype(input))
        out = scatter_sum(base, src, dim=d, index=idx) / count
        if _dtype(input).kind in _INT_KINDS:
            raise TypeError("scatter_reduce(): 'mean' on integer tensors is not supported")
        return out
    # amax / amin: the extreme computed on arrays, then written as an average
    # of the values equal to it, so the gradient is shared among the ties
    x = np.asarray(_data(input))
    s = np.asarray(_data(src))
    part = _src_part(idx, s.shape)
    vals = _src_values(s, part)
    ufunc = np.maximum if reduce == "amax" else np.minimum
    res = np.array(x, dtype=np.result_type(x, s))
    if not include_self:
        res[hit] = -np.inf if reduce == "amax" else np.inf
    if len(shape) == 0:
        res[()] = ufunc.reduce(np.append(vals.reshape(-1), res[()]))
        at_src = np.broadcast_to(res, idx.shape)
    else:
        ufunc.at(res, _along(idx, d, len(shape)), vals)
        at_src = res[_along(idx, d, len(shape))]
    # PyTorch counts a tie with input even where include_self=False (that
    # input then gets no gradient, but the share of src is divided by it)
    ties = x == res
    self_hit = ties & (~hit | bool(include_self))
    src_hit = np.zeros(s.shape, dtype=bool)
    src_hit[part if part is not None else ...] = vals == at_src
    count = scatter_sum(ties.astype(res.dtype), src_hit.astype(res.dtype), dim=d, index=idx)
    count = np.maximum(count, 1.0)
    summed = scatter_sum(where(self_hit, input, 0.0), where(src_hit, src, 0.0), dim=d, index=idx)
    if (ties & ~self_hit).any():
        summed = summed + np.where(ties & ~self_hit, res, 0.0)
    return summed / count


# --------------------------------------------------------------------------
# index_* along a dim, masks, take
# --------------------------------------------------------------------------

def _dim_index(shape, dim, index, who):
    """(dim, numpy index selecting ``index`` along ``dim``) for index_*."""
    d = _one_dim(dim, len(shape), who)
    idx = _int_index(index, who)
    if idx.ndim > 1:
        raise ValueError(f"{who}(): index must be 0-d or 1-d, got shape {idx.shape}")
    idx = idx.reshape(-1)
    n = shape[d] if shape else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"{who}(): index out of range for dim {d} of size {n}")
    return d, (slice(None),) * d + (idx,)


def _shape(x):
    return tuple(x.shape) if _is_tensor(x) else np.shape(x)


@composite(methods=("index_select",), functions=("index_select",))
def index_select(input, dim, index):
    """The entries of ``input`` at ``index`` (1-d) along ``dim``."""
    shape = _shape(input)
    _, ix = _dim_index(shape, dim, index, "index_select")
    if not shape:
        from .shape import reshape
        return getitem(reshape(input, shape=(1,)), index=ix)
    return getitem(input, index=ix)


@composite(methods=("index_add",), functions=("index_add",))
def index_add(input, dim, index, source, *, alpha=1):
    """``input`` with ``alpha * source`` added at ``index`` along ``dim``
    (repeated indices add up)."""
    shape = _shape(input)
    _, ix = _dim_index(shape, dim, index, "index_add")
    if alpha != 1:
        source = source * alpha
    return input + index_put_add(source, shape=shape, dtype=_dtype(input), index=ix)


def _fill_value(value, input):
    """A number becomes a 0-d array of input's dtype (PyTorch casts it: an
    integer tensor stays integer); a Tensor value stays in the graph."""
    if _is_tensor(value):
        return value
    return np.asarray(value).astype(_dtype(input))


def _index_mask(shape, ix):
    m = np.zeros(shape, dtype=bool)
    m[ix] = True
    return m


@composite(methods=("index_fill",), functions=("index_fill",))
def index_fill(input, dim, index, value):
    """``input`` with the entries at ``index`` along ``dim`` set to ``value``
    (a number or a 0-d tensor, which then gets the summed gradient)."""
    shape = _shape(input)
    _, ix = _dim_index(shape, dim, index, "index_fill")
    return where(_index_mask(shape, ix), _fill_value(value, input), input)


@composite(methods=("index_copy",), functions=("index_copy",))
def index_copy(input, dim, index, source):
    """``input`` with the slices at ``index`` along ``dim`` replaced by those
    of ``source``."""
    shape = _shape(input)
    _, ix = _dim_index(shape, dim, index, "index_copy")
    placed = index_put_add(source, shape=shape, dtype=_dtype(input), index=ix)
    return where(_index_mask(shape, ix), placed, input)


def _mask(mask, shape, who):
    m = np.asarray(_data(mask))
    if m.dtype != np.bool_:
        raise TypeError(f"{who}(): mask must be a bool tensor, got dtype {m.dtype}")
    try:
        return np.array(np.broadcast_to(m, shape))
    except ValueError:
        raise ValueError(f"{who}(): mask of shape {m.shape} does not broadcast to input of "
                         f"shape {shape}") from None


def _bshape(input, mask):
    """The shape input and mask broadcast to (input's when they do not: the
    caller's _mask then raises)."""
    try:
        return np.broadcast_shapes(_shape(input), np.shape(_data(mask)))
    except ValueError:
        return _shape(input)


@composite(methods=("masked_fill",), functions=("masked_fill",))
def masked_fill(input, mask, value):
    """``input`` with ``value`` where ``mask`` is True (input and mask broadcast
    together, as in PyTorch; the in-place ``masked_fill_`` keeps input's shape)."""
    return where(_mask(mask, _bshape(input, mask), "masked_fill"), _fill_value(value, input),
                 input)


@composite(methods=("masked_select",), functions=("masked_select",))
def masked_select(input, mask):
    """The entries of ``input`` where ``mask`` is True, as a 1-d tensor
    (input and mask broadcast together)."""
    from .shape import broadcast_to
    m = np.asarray(_data(mask))
    if m.dtype != np.bool_:
        raise TypeError(f"masked_select(): mask must be a bool tensor, got dtype {m.dtype}")
    shape = np.broadcast_shapes(_shape(input), m.shape)
    if _shape(input) != shape:
        input = broadcast_to(input, shape=shape)
    return getitem(input, index=np.array(np.broadcast_to(m, shape)))


@composite(methods=("masked_scatter",), functions=("masked_scatter",))
def masked_scatter(input, mask, source):
    """``input`` with the first ``mask.sum()`` entries of ``source`` (in
    row-major order) written where ``mask`` is True."""
    from .shape import reshape
    shape = _bshape(input, mask)
    m = _mask(mask, shape, "masked_scatter")
    n = int(m.sum())
    if n > int(np.prod(_shape(source))):
        raise ValueError(f"masked_scatter(): source has {int(np.prod(_shape(source)))} "
                         f"elements, the mask selects {n}")
    vals = getitem(reshape(source, shape=(-1,)), index=slice(0, n))
    placed = index_put_add(vals, shape=shape, dtype=_dtype(input), index=m)
    return where(m, placed, input)


@composite(methods=("index_put",), functions=("index_put",))
def index_put(input, indices, values, accumulate=False):
    """``input`` with ``values`` (broadcast) written at ``input[indices]``
    (a tuple of index tensors); with ``accumulate`` added instead (repeated
    indices add up)."""
    from .shape import broadcast_to
    if not isinstance(indices, (tuple, list)):
        raise TypeError("index_put(): indices must be a tuple of tensors")
    idx = tuple(slice(None) if i is None else np.array(_data(i)) for i in indices)
    for i in idx:
        if isinstance(i, np.ndarray) and i.dtype != np.bool_ and i.dtype.kind not in _INT_KINDS:
            raise TypeError(f"index_put(): indices must be integer or bool tensors, "
                            f"got dtype {i.dtype}")
    shape = _shape(input)
    target = np.zeros(shape, dtype=bool)[idx].shape
    if _shape(values) != target:
        values = broadcast_to(values, shape=target)
    placed = index_put_add(values, shape=shape, dtype=_dtype(input), index=idx)
    if accumulate:
        return input + placed
    return where(_index_mask(shape, idx), placed, input)


@composite(methods=("take",), functions=("take",))
def take(input, index):
    """``input`` read as 1-d at ``index``; the result has the index's shape."""
    from .shape import reshape
    idx = _int_index(index, "take")
    n = int(np.prod(_shape(input)))
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"take(): index out of range for a tensor of {n} elements")
    return getitem(reshape(input, shape=(-1,)), index=idx)


# --------------------------------------------------------------------------
# not differentiable: integer results
# --------------------------------------------------------------------------

@composite(methods=("nonzero",), functions=("nonzero",))
def nonzero(input, *, as_tuple=False):
    """Indices of the nonzero entries: an int64 tensor of shape ``(n,
    input.dim())``, or with ``as_tuple`` one 1-d tensor per dim."""
    a = np.asarray(_data(input))
    if as_tuple:
        if a.ndim == 0:
            return (_wrap(input, np.zeros(int(a != 0), dtype=np.int64)),)
        return tuple(_wrap(input, i.astype(np.int64)) for i in np.nonzero(a))
    return _wrap(input, np.argwhere(a).astype(np.int64))


@composite(methods=("argwhere",), functions=("argwhere",))
def argwhere(input):
    """``nonzero(input)``: indices of the nonzero entries, shape ``(n, ndim)``."""
    return nonzero(input)


@composite(functions=())
def one_hot(tensor, num_classes=-1):
    """``nn.functional.one_hot``: int64 tensor of shape ``tensor.shape +
    (num_classes,)`` with a 1 at each class; ``num_classes=-1`` means
    ``tensor.max() + 1``. Not differentiable."""
    a = np.asarray(_data(tensor))
    if a.dtype.kind not in _INT_KINDS:
        raise TypeError("one_hot is only applicable to index tensor of integer dtype, "
                        f"got {a.dtype}")
    if a.size and a.min() < 0:
        raise ValueError("one_hot(): class values must be non-negative")
    if num_classes == -1:
        if a.size == 0:
            raise ValueError("one_hot(): can not infer total number of classes from an "
                             "empty tensor")
        num_classes = int(a.max()) + 1
    elif a.size and a.max() >= num_classes:
        raise ValueError(f"one_hot(): class values must be smaller than num_classes "
                         f"({num_classes}), got {int(a.max())}")
    out = (a[..., None] == np.arange(num_classes)).astype(np.int64)
    return _wrap(tensor, out)



# --------------------------------------------------------------------------
# in-place spellings (outside the graph)
# --------------------------------------------------------------------------

def _inplace(fn):
    """``Tensor.<name>_``: writes ``fn(self, ...)`` into ``self``. Only
    outside the graph (no tensor involved requires grad, or under
    ``no_grad``): the engines rebind in-place ops only for operators."""
    name = fn.__name__ + "_"

    def method(self, *args, **kw):
        from autograd_c.grad_mode import is_grad_enabled
        if is_grad_enabled() and any(getattr(a, "requires_grad", False)
                                     for a in (self, *args, *kw.values())):
            raise RuntimeError(f"{name}(): in-place on tensors that require grad is not "
                               f"supported; use the out-of-place {fn.__name__}()")
        plain = [a.detach() if _is_tensor(a) else a for a in args]
        out = fn(self.detach(), *plain, **{k: v.detach() if _is_tensor(v) else v
                                           for k, v in kw.items()})
        if _shape(out) != _shape(self):
            raise RuntimeError(f"{name}(): output with shape {_shape(self)} doesn't match the "
                               f"broadcast shape {_shape(out)}")
        self.data[...] = _data(out)
        self.mark_modified()
        return self

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place ``{fn.__name__}`` (outside the autograd graph)."
    return composite(methods=(name,))(method)


for _fn in (scatter, scatter_add, scatter_reduce, index_add, index_fill, index_copy,
            masked_fill, masked_scatter, index_put):
    _inplace(_fn)
del _fn
