"""Public functions written with ops only (no VJP of their own): their
gradients, of every order, come from the ops they call. Each takes Tensors
(the ops they call record) or arrays (the ops just compute)."""
from __future__ import annotations

from collections import namedtuple

import builtins

import numpy as np

from ._helpers import norm_dims
from ._registry import composite
from .elementwise import maximum, minimum, mul
from .index import getitem, take_along_dim
from .reduce import amax, amin
from .shape import broadcast_to, permute, reshape

sum_ = builtins.sum

#: ``values, indices = t.max(dim)`` (PyTorch's ``torch.return_types.max``)
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _ndim(x):
    return x.ndim if hasattr(x, "ndim") else np.ndim(x)


def _is_tensor(x):
    return hasattr(x, "_engine") and not isinstance(x, type)


@composite(methods=("transpose", "swapaxes", "swapdims"),
           functions=("transpose", "swapaxes", "swapdims"))
def transpose(input, *dims):
    """``transpose(input, dim0, dim1)`` swaps two dims, as in PyTorch.
    (numpy's reading of ``transpose()`` with no dims, all reversed, and with a
    full permutation, are kept for arrays users ported from numpy.)"""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if not dims:
        return permute(input, dims=None)
    nd = _ndim(input)
    if len(dims) != 2:
        return permute(input, dims=dims)
    if nd == 0:
        norm_dims(dims, 0, "transpose")          # validates: 0-d accepts 0 and -1
        return permute(input, dims=())
    d0, d1 = norm_dims(dims[0], nd, "transpose") + norm_dims(dims[1], nd, "transpose")
    order = list(range(nd))
    order[d0], order[d1] = order[d1], order[d0]
    return permute(input, dims=tuple(order))


def _T(self):
    return permute(self, dims=None)


def _mT(self):
    nd = _ndim(self)
    if nd < 2:
        raise ValueError(f"mT: tensor of dimension {nd}; need at least 2")
    return transpose(self, -2, -1)


@composite(methods=("expand",))
def expand(input, *sizes):
    """Broadcast to ``sizes`` (PyTorch: -1 keeps a dimension)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    shape = tuple(input.shape)
    lead = len(sizes) - len(shape)
    sizes = tuple(shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(sizes))
    return broadcast_to(input, shape=sizes)


@composite(methods=("flatten",), functions=("flatten",))
def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim`` .. ``end_dim`` into one."""
    shape = tuple(input.shape)
    nd = len(shape)
    if nd == 0:
        return reshape(input, shape=(1,))
    s = norm_dims(start_dim, nd, "flatten")[0]
    e = norm_dims(end_dim, nd, "flatten")[0]
    if s > e:
        raise ValueError(f"flatten(): start_dim {start_dim} comes after end_dim {end_dim}")
    merged = int(np.prod(shape[s:e + 1], dtype=np.int64))
    return reshape(input, shape=shape[:s] + (merged,) + shape[e + 1:])


def _extreme(name, full, pairwise, argfn):
    def fn(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if axis is not None:
            dim = axis
        if keepdims is not None:
            keepdim = keepdims
        if dim is None:
            return full(input, dim=None, keepdim=keepdim) if keepdim else full(input)
        if _is_tensor(dim) or isinstance(dim, np.ndarray):
            return pairwise(input, dim)
        if isinstance(dim, (tuple, list)):
            return full(input, dim=tuple(dim), keepdim=keepdim)
        data = input.detach().numpy() if _is_tensor(input) else np.asarray(input)
        nd = data.ndim
        d = norm_dims(dim, nd, name)
        d = d[0] if d else 0
        if data.ndim == 0:
            idx = np.zeros((), dtype=np.int64)
            return ValuesIndices(full(input), type(input)(idx) if _is_tensor(input) else idx)
        if data.shape[d] == 0:
            raise IndexError(f"{name}(): dim {dim} of a tensor of shape {data.shape} is empty")
        idx = np.expand_dims(argfn(data, axis=d), d)
        values = take_along_dim(input, idx, dim=d)
        if not keepdim:
            values = reshape(values, shape=data.shape[:d] + data.shape[d + 1:])
            idx = np.squeeze(idx, d)
        indices = type(input)(idx.astype(np.int64)) if _is_tensor(input) else idx
        return ValuesIndices(values, indices)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``{name}(input)``: the {name} of all elements (ties share the "
                  f"gradient); ``{name}(input, dim, keepdim=False)``: named tuple "
                  f"``(values, indices)`` (the gradient goes to the index); "
                  f"``{name}(input, other)``: elementwise, as ``{pairwise.name}``.")
    return composite(methods=(name,), functions=(name,))(fn)


max = _extreme("max", amax, maximum, np.argmax)  # noqa: A001
min = _extreme("min", amin, minimum, np.argmin)  # noqa: A001


@composite(methods=("clone",), functions=("clone",))
def clone(input):
    """A copy with its own memory that stays in the graph."""
    return mul(input, 1)


@composite(methods=("unsqueeze",), functions=("unsqueeze",))
def unsqueeze(input, dim):
    """A new dim of size 1 at ``dim`` (numpy's ``expand_dims``; a tuple of
    dims is accepted as numpy does)."""
    shape = list(input.shape)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    nd = len(shape) + len(dims)
    for d in sorted(norm_dims(tuple(dims), nd, "unsqueeze")):
        shape.insert(d, 1)
    return reshape(input, shape=tuple(shape))


@composite(methods=("movedim", "moveaxis"), functions=("movedim", "moveaxis"))
def movedim(input, source, destination):
    nd = _ndim(input)
    src = norm_dims(source, nd, "movedim")
    dst = norm_dims(destination, nd, "movedim")
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, dims=tuple(order))


@composite(methods=("split",), functions=("split",))
def split(input, split_size_or_sections, dim=0):
    """PyTorch's split: an int is the size of each chunk; a list gives the
    sizes. (numpy's ``np.split(x, indices)`` is dispatched to ``_np_split``.)"""
    n = input.shape[dim]
    d = norm_dims(dim, _ndim(input), "split")[0]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum_(sizes) != n:
            raise ValueError(f"split(): sizes {sizes} do not add up to {n} (dim {dim})")
    out, start = [], 0
    for s in sizes:
        index = (slice(None),) * d + (slice(start, start + s),)
        out.append(getitem(input, index=index))
        start += s
    return tuple(out)


def _np_split(ary, indices_or_sections, axis=0):
    n = ary.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if n % k:
            raise ValueError(f"array split does not result in an equal division ({n} by {k})")
        return list(split(ary, n // k, axis))
    bounds = [0, *[int(i) for i in indices_or_sections], n]
    return list(split(ary, [b - a for a, b in zip(bounds[:-1], bounds[1:])], axis))


PROPERTIES = {"T": _T, "mT": _mT}
