"""Indexing."""
from __future__ import annotations

import numpy as np

from ._registry import op


def _index_copy(index):
    """The index as the forward keeps it: arrays inside are copied, so a
    later in-place change to an index array cannot change the gradient."""
    if type(index) is tuple:
        return tuple(np.array(i) if isinstance(i, np.ndarray) else i for i in index)
    if isinstance(index, np.ndarray):
        return np.array(index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _index_arrays(index):
    """Tensors inside an index replaced by their arrays."""
    if hasattr(index, "_engine"):
        return index.data
    if type(index) is tuple:
        return tuple(i.data if hasattr(i, "_engine") else i for i in index)
    return index


@op("getitem", dunders=("__getitem__",), view=True,
    parse=lambda input, index: ((input,), {"index": _index_arrays(index)}))
class getitem:
    def forward(input, index):
        index = _index_copy(index)
        out = input[index]
        return np.asarray(out), (np.shape(input), input.dtype, index)

    def backward(ctx, g, needs):
        shape, dtype, index = ctx
        return (index_put_add(g, shape=shape, dtype=dtype, index=index),)


@op("index_put_add", saves=())
class index_put_add:
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices
    sum): getitem's VJP, and itself differentiable (its VJP is getitem)."""

    def forward(g, shape, dtype, index):
        out = np.zeros(shape, dtype=dtype)
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
        return np.take_along_axis(input, idx, dim), (np.shape(input), input.dtype, idx, dim)

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
        grids = np.indices(indices.shape, sparse=True)
        full = tuple(indices if k == d else grids[k] for k in range(nd))
        np.add.at(out, full, g)
        return out, (indices, dim)

    def backward(ctx, g, needs):
        indices, dim = ctx
        return (take_along_dim(g, indices, dim=dim),)
