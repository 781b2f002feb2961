"""Shape functions written with the shape and index ops (no VJP of their
own): transposes, squeezes, repeats, splits, stacking, diagonals,
triangles and padding. Each takes Tensors (the ops record) or arrays."""
from __future__ import annotations

import builtins

import numpy as np

from ._helpers import is_tensor as _is_tensor
from ._helpers import norm_dims, result_type
from ._registry import composite
from .elementwise import where
from .index import getitem
from .shape import _sizes, broadcast_to, cat, diag_put, flip, pad, permute, reshape  # noqa: F401
from .shape import diagonal as _diagonal

sum_ = builtins.sum


def _ndim(x):
    return x.ndim if hasattr(x, "ndim") else np.ndim(x)


def _shape(x):
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def _dtype(x):
    return x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype


def _one(dim, nd, who):
    d = norm_dims(dim, nd, who)
    return d[0] if d else 0


def _along(d, index):
    """An index that applies ``index`` to dim ``d``."""
    return (slice(None),) * d + (index,)


# --------------------------------------------------------------------------
# dims: transpose, movedim, squeeze, flatten...
# --------------------------------------------------------------------------

@composite(methods=("transpose",), functions=("transpose",))
def transpose(input, *dims, dim0=None, dim1=None, axes=None):
    """``transpose(input, dim0, dim1)`` swaps two dims, as in PyTorch.
    (numpy's reading of ``transpose()`` with no dims, all reversed, and with a
    full permutation, are kept for arrays users ported from numpy.)"""
    dims = dims + tuple(d for d in (dim0, dim1) if d is not None)
    if axes is not None:
        dims = (axes,)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        # one sequence: numpy's full permutation (``a.transpose((0, 1))`` is
        # the identity, not a swap), as permute's VJP uses it
        return permute(input, dims=tuple(dims[0]))
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


@composite(methods=("swapaxes",), functions=("swapaxes",))
def swapaxes(input, axis0, axis1):
    """``transpose`` under numpy's name."""
    return transpose(input, axis0, axis1)


@composite(methods=("swapdims",), functions=("swapdims",))
def swapdims(input, dim0, dim1):
    """``transpose`` under another PyTorch name."""
    return transpose(input, dim0, dim1)


@composite(methods=("movedim", "moveaxis"), functions=("movedim", "moveaxis"))
def movedim(input, source, destination):
    """Move dims ``source`` to positions ``destination`` (the others keep
    their order)."""
    nd = _ndim(input)
    src = norm_dims(source, nd, "movedim")
    dst = norm_dims(destination, nd, "movedim")
    if len(src) != len(dst):
        raise ValueError(f"movedim(): source {source!r} and destination {destination!r} "
                         f"differ in length")
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, dims=tuple(order))


@composite(methods=("unsqueeze",), functions=("unsqueeze",))
def unsqueeze(input, dim):
    """A new dim of size 1 at ``dim`` (numpy's ``expand_dims``; a tuple of
    dims is accepted as numpy does)."""
    shape = list(_shape(input))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    nd = len(shape) + len(dims)
    for d in sorted(norm_dims(tuple(dims), nd, "unsqueeze")):
        shape.insert(d, 1)
    return reshape(input, shape=tuple(shape))


@composite(methods=("squeeze",), functions=("squeeze",))
def squeeze(input, dim=None, *, axis=None):
    """Remove dims of size 1 (all, or those of ``dim``: an int or a tuple;
    a named dim whose size is not 1 is kept, as in PyTorch)."""
    dim = dim if axis is None else axis
    shape = _shape(input)
    if dim is None:
        dims = range(len(shape))
    else:
        dims = norm_dims(dim, len(shape), "squeeze")
    new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return reshape(input, shape=new)


@composite(methods=("flatten",), functions=("flatten",))
def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim`` .. ``end_dim`` into one."""
    shape = _shape(input)
    nd = len(shape)
    if nd == 0:
        return reshape(input, shape=(1,))
    s = norm_dims(start_dim, nd, "flatten")[0]
    e = norm_dims(end_dim, nd, "flatten")[0]
    if s > e:
        raise ValueError(f"flatten(): start_dim {start_dim} comes after end_dim {end_dim}")
    merged = int(np.prod(shape[s:e + 1], dtype=np.int64))
    return reshape(input, shape=shape[:s] + (merged,) + shape[e + 1:])


@composite(methods=("unflatten",), functions=("unflatten",))
def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one of them may be -1)."""
    shape = _shape(input)
    d = _one(dim, len(shape), "unflatten")
    sizes = tuple(int(s) for s in sizes)
    known = int(np.prod([s for s in sizes if s != -1], dtype=np.int64))
    if sizes.count(-1) > 1 or (-1 not in sizes and known != shape[d]) or \
            (-1 in sizes and (known == 0 or shape[d] % known)):
        raise ValueError(f"unflatten(): sizes {sizes} do not fit dim {dim} of size {shape[d]}")
    sizes = tuple(shape[d] // known if s == -1 else s for s in sizes)
    return reshape(input, shape=shape[:d] + sizes + shape[d + 1:])


@composite(methods=("t",), functions=("t",))
def t(input):
    """The transpose of a matrix; 0-d and 1-d tensors are returned as they are."""
    nd = _ndim(input)
    if nd > 2:
        raise ValueError(f"t(): expects a tensor of at most 2 dims, got {nd}; use transpose")
    return transpose(input, 0, 1) if nd == 2 else input


@composite(methods=("rot90",), functions=("rot90",))
def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane ``dims`` (from the first
    dim towards the second)."""
    nd = _ndim(input)
    if len(dims) != 2 or nd < 2:
        raise ValueError(f"rot90(): needs two dims of a tensor of at least 2 dims, got "
                         f"dims {dims!r} for {nd} dims")
    d0, d1 = norm_dims(dims[0], nd, "rot90") + norm_dims(dims[1], nd, "rot90")
    if d0 == d1:
        raise ValueError(f"rot90(): dims {dims!r} are the same dim")
    k = int(k) % 4
    if k == 1:
        return transpose(flip(input, dims=(d1,)), d0, d1)
    if k == 2:
        return flip(input, dims=(d0, d1))
    if k == 3:
        return transpose(flip(input, dims=(d0,)), d0, d1)
    return input * 1 if _is_tensor(input) else np.array(input)


@composite(methods=("ravel",), functions=("ravel",))
def ravel(input):
    """The elements as one dim."""
    return reshape(input, shape=(-1,))


@composite(methods=("view_as",))
def view_as(input, other):
    """``input`` viewed with ``other``'s shape."""
    return reshape(input, shape=_shape(other))


@composite(methods=("reshape_as",))
def reshape_as(input, other):
    """``input`` reshaped to ``other``'s shape."""
    return reshape(input, shape=_shape(other))


# --------------------------------------------------------------------------
# broadcasting and repeating
# --------------------------------------------------------------------------

@composite(methods=("expand",))
def expand(input, *sizes):
    """Broadcast to ``sizes`` (PyTorch: -1 keeps a dimension)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    shape = _shape(input)
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise ValueError(f"expand(): {len(sizes)} sizes for a tensor of shape {shape}")
    sizes = tuple(shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(sizes))
    return broadcast_to(input, shape=sizes)


@composite(methods=("expand_as",))
def expand_as(input, other):
    """``input`` broadcast to ``other``'s shape."""
    return broadcast_to(input, shape=_shape(other))


@composite(functions=("broadcast_tensors",))
def broadcast_tensors(*tensors):
    """Every tensor broadcast to their common shape."""
    shape = np.broadcast_shapes(*(_shape(t) for t in tensors))
    return tuple(broadcast_to(t, shape=shape) for t in tensors)


@composite(methods=("repeat",))
def repeat(input, *sizes):
    """Tile ``input`` ``sizes[i]`` times along dim i (``sizes`` may have
    more dims than ``input``: new leading dims)."""
    sizes = _sizes(sizes, "repeat")
    shape = _shape(input)
    if len(sizes) < len(shape):
        raise ValueError(f"repeat(): {len(sizes)} repeats for a tensor of shape {shape}; "
                         f"need at least {len(shape)}")
    shape = (1,) * (len(sizes) - len(shape)) + shape
    inter = sum_(((1, s) for s in shape), ())
    wide = sum_(((r, s) for r, s in zip(sizes, shape)), ())
    out = broadcast_to(reshape(input, shape=inter), shape=wide)
    return reshape(out, shape=tuple(r * s for r, s in zip(sizes, shape)))


@composite(methods=("tile",), functions=("tile",))
def tile(input, dims):
    """``repeat`` with ``dims`` padded with leading ones to the input's dims."""
    dims = _sizes((dims,), "tile")
    nd = _ndim(input)
    return repeat(input, (1,) * (nd - len(dims)) + dims)


@composite(methods=("repeat_interleave",), functions=("repeat_interleave",))
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None, axis=None):
    """Repeat each element ``repeats`` times (an int, or one count per
    element) along ``dim`` (None: of the flattened tensor).
    ``repeat_interleave(counts)`` gives the indices repeated by ``counts``."""
    if repeats is None:
        counts = input.data if _is_tensor(input) else np.asarray(input)
        idx = np.repeat(np.arange(counts.shape[0]), counts)
        return result_type(input)(idx) if _is_tensor(input) else idx
    dim = dim if axis is None else axis
    r = repeats.data if _is_tensor(repeats) else repeats
    if dim is None:
        input = reshape(input, shape=(-1,))
        dim = 0
    d = _one(dim, _ndim(input), "repeat_interleave")
    n = _shape(input)[d] if _ndim(input) else 1
    if _ndim(input) == 0:
        input = reshape(input, shape=(1,))
    idx = np.repeat(np.arange(n), np.asarray(r, dtype=np.int64).reshape(-1)
                    if np.ndim(r) else int(r))
    return getitem(input, index=_along(d, idx))


# --------------------------------------------------------------------------
# flips, slices, splits
# --------------------------------------------------------------------------

@composite(methods=("fliplr",), functions=("fliplr",))
def fliplr(input):
    """Reverse dim 1 (the columns); needs at least 2 dims."""
    if _ndim(input) < 2:
        raise ValueError(f"fliplr(): needs a tensor of at least 2 dims, got {_ndim(input)}")
    return flip(input, dims=(1,))


@composite(methods=("flipud",), functions=("flipud",))
def flipud(input):
    """Reverse dim 0 (the rows); needs at least 1 dim."""
    if _ndim(input) < 1:
        raise ValueError("flipud(): needs a tensor of at least 1 dim, got 0")
    return flip(input, dims=(0,))


@composite(methods=("narrow",), functions=("narrow",))
def narrow(input, dim, start, length):
    """Elements ``start`` .. ``start + length`` of dim ``dim`` (a view)."""
    shape = _shape(input)
    d = _one(dim, len(shape), "narrow")
    start = int(start.item() if hasattr(start, "item") else start)
    length = int(length)
    if start < 0:
        start += shape[d]
    if start < 0 or length < 0 or start + length > shape[d]:
        raise IndexError(f"narrow(): start {start} and length {length} out of range for "
                         f"dim {dim} of size {shape[d]}")
    return getitem(input, index=_along(d, slice(start, start + length)))


@composite(methods=("split",), functions=("split",))
def split(input, split_size_or_sections, dim=0, *, axis=None):
    """PyTorch's split: an int is the size of each chunk; a list gives the
    sizes. (numpy's ``np.split(x, indices)`` is dispatched to ``_np_split``.)"""
    dim = dim if axis is None else axis
    d = _one(dim, _ndim(input), "split")
    n = _shape(input)[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0 and n:
            raise ValueError(f"split(): split size must be positive, got {step}")
        sizes = [builtins.min(step, n - i) for i in range(0, n, step)] if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum_(sizes) != n:
            raise ValueError(f"split(): sizes {sizes} do not add up to {n} (dim {dim})")
    out, start = [], 0
    for s in sizes:
        out.append(getitem(input, index=_along(d, slice(start, start + s))))
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


@composite(methods=("chunk",), functions=("chunk",))
def chunk(input, chunks, dim=0, *, axis=None):
    """Split into ``chunks`` pieces of size ``ceil(n / chunks)`` along
    ``dim`` (the last may be smaller, and there may be fewer pieces)."""
    dim = dim if axis is None else axis
    chunks = int(chunks)
    if chunks <= 0:
        raise ValueError(f"chunk(): chunks must be positive, got {chunks}")
    d = _one(dim, _ndim(input), "chunk")
    n = _shape(input)[d]
    if n == 0:
        return tuple(getitem(input, index=_along(d, slice(0, 0))) for _ in range(chunks))
    return split(input, -(-n // chunks), d)


@composite(methods=("unbind",), functions=("unbind",))
def unbind(input, dim=0, *, axis=None):
    """The slices along ``dim``, as a tuple (each without that dim)."""
    dim = dim if axis is None else axis
    d = _one(dim, _ndim(input), "unbind")
    return tuple(getitem(input, index=_along(d, i)) for i in range(_shape(input)[d]))


def _tensor_split(input, indices_or_sections, dim, who, exact=False):
    d = _one(dim, _ndim(input), who)
    n = _shape(input)[d]
    ios = indices_or_sections
    if _is_tensor(ios) or isinstance(ios, np.ndarray):
        ios = np.asarray(ios.data if _is_tensor(ios) else ios).tolist()
    if isinstance(ios, (int, np.integer)):
        k = int(ios)
        if k <= 0:
            raise ValueError(f"{who}(): number of sections must be positive, got {k}")
        if exact and n % k:
            raise ValueError(f"{who}(): dim {d} of size {n} does not split into {k} equal "
                             f"sections")
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    else:
        bounds = [0] + [builtins.min(builtins.max(int(i) if i >= 0 else int(i) + n, 0), n)
                        for i in ios] + [n]
    return tuple(getitem(input, index=_along(d, slice(a, builtins.max(a, b))))
                 for a, b in zip(bounds[:-1], bounds[1:]))


@composite(methods=("tensor_split",), functions=("tensor_split",))
def tensor_split(input, indices_or_sections, dim=0):
    """Split along ``dim`` into ``n`` near-equal parts (an int) or at the
    given indices (a list), as ``numpy.array_split``; the parts are views."""
    return _tensor_split(input, indices_or_sections, dim, "tensor_split")


@composite(methods=("hsplit",), functions=("hsplit",))
def hsplit(input, indices_or_sections):
    """``tensor_split`` along dim 1 (dim 0 of a 1-d tensor); equal sections."""
    return _tensor_split(input, indices_or_sections, 0 if _ndim(input) == 1 else 1, "hsplit",
                         exact=True)


@composite(methods=("vsplit",), functions=("vsplit",))
def vsplit(input, indices_or_sections):
    """``tensor_split`` along dim 0 of a tensor of at least 2 dims."""
    if _ndim(input) < 2:
        raise ValueError(f"vsplit(): needs at least 2 dims, got {_ndim(input)}")
    return _tensor_split(input, indices_or_sections, 0, "vsplit", exact=True)


@composite(methods=("dsplit",), functions=("dsplit",))
def dsplit(input, indices_or_sections):
    """``tensor_split`` along dim 2 of a tensor of at least 3 dims."""
    if _ndim(input) < 3:
        raise ValueError(f"dsplit(): needs at least 3 dims, got {_ndim(input)}")
    return _tensor_split(input, indices_or_sections, 2, "dsplit", exact=True)


@composite(methods=("diff",), functions=("diff",))
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (``prepend``/``append``
    are concatenated first)."""
    if _ndim(input) == 0:
        raise ValueError("diff(): expects a tensor of at least 1 dim")
    d = _one(dim, _ndim(input), "diff")
    parts = [p for p in (prepend, input, append) if p is not None]
    if len(parts) > 1:
        shape = _shape(input)
        parts = [p if _ndim(p) == len(shape) else
                 broadcast_to(p, shape=shape[:d] + (1,) + shape[d + 1:]) for p in parts]
        input = cat(*parts, dim=d)
    for _ in range(int(n)):
        m = _shape(input)[d]
        if m == 0:
            break
        input = getitem(input, index=_along(d, slice(1, m))) - \
            getitem(input, index=_along(d, slice(0, m - 1)))
    return input


@composite(functions=("meshgrid",))
def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-d tensors (``indexing`` 'ij', PyTorch's
    default, or 'xy')."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid(): indexing must be 'ij' or 'xy', got {indexing!r}")
    sizes = [int(np.prod(_shape(t), dtype=np.int64)) for t in tensors]
    if indexing == "xy" and len(sizes) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(tensors):
        j = i
        if indexing == "xy" and len(tensors) >= 2 and i < 2:
            j = 1 - i
        shape = [1] * len(tensors)
        shape[j] = sizes[j]
        out.append(broadcast_to(reshape(t, shape=tuple(shape)), shape=tuple(sizes)))
    return tuple(out)


@composite(methods=("unfold",))
def unfold(input, dimension, size, step):
    """The windows of ``size`` elements every ``step`` along ``dimension``:
    that dim becomes the window count and a new last dim of ``size`` holds
    each window (``Tensor.unfold``)."""
    nd = _ndim(input)
    d = _one(dimension, nd, "unfold")
    n = _shape(input)[d] if nd else 1
    size, step = int(size), int(step)
    if size < 0 or size > n or step <= 0:
        raise ValueError(f"unfold(): size {size} and step {step} do not fit dim {dimension} "
                         f"of size {n}")
    if nd == 0:
        return reshape(input, shape=(1,))
    idx = np.arange(0, n - size + 1, step)[:, None] + np.arange(size)
    windows = getitem(input, index=_along(d, idx))
    return movedim(windows, d + 1, -1)


# --------------------------------------------------------------------------
# stacking
# --------------------------------------------------------------------------

def _atleast(nd, tensors, who):
    def one(t):
        shape = _shape(t)
        if len(shape) >= nd:
            return t
        if nd == 3 and len(shape) == 1:
            return reshape(t, shape=(1, shape[0], 1))
        if nd == 3 and len(shape) == 2:
            return reshape(t, shape=shape + (1,))
        return reshape(t, shape=(1,) * (nd - len(shape)) + shape)

    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        return tuple(one(t) for t in tensors[0])
    if len(tensors) == 1:
        return one(tensors[0])
    return tuple(one(t) for t in tensors)


@composite(functions=("atleast_1d",))
def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (0-d: shape (1,))."""
    return _atleast(1, tensors, "atleast_1d")


@composite(functions=("atleast_2d",))
def atleast_2d(*tensors):
    """Each tensor with at least 2 dims (leading ones added)."""
    return _atleast(2, tensors, "atleast_2d")


@composite(functions=("atleast_3d",))
def atleast_3d(*tensors):
    """Each tensor with at least 3 dims ((N,) -> (1, N, 1), (M, N) -> (M, N, 1))."""
    return _atleast(3, tensors, "atleast_3d")


def _seq(tensors, who):
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError(f"{who}(): expected a non-empty sequence of tensors")
    return tensors


@composite(functions=("hstack",))
def hstack(tensors):
    """Concatenate along dim 1 (dim 0 for 1-d tensors)."""
    ts = _atleast(1, (_seq(tensors, "hstack"),), "hstack")
    return cat(*ts, dim=0 if _ndim(ts[0]) == 1 else 1)


@composite(functions=("vstack", "row_stack"))
def vstack(tensors):
    """Concatenate along dim 0, 1-d tensors as rows."""
    return cat(*_atleast(2, (_seq(tensors, "vstack"),), "vstack"), dim=0)


@composite(functions=("dstack",))
def dstack(tensors):
    """Concatenate along dim 2 (depth), after ``atleast_3d``."""
    return cat(*_atleast(3, (_seq(tensors, "dstack"),), "dstack"), dim=2)


@composite(functions=("column_stack",))
def column_stack(tensors):
    """Concatenate along dim 1, 0-d and 1-d tensors as columns."""
    ts = tuple(reshape(t, shape=(-1, 1)) if _ndim(t) <= 1 else t
               for t in _seq(tensors, "column_stack"))
    return cat(*ts, dim=1)


# --------------------------------------------------------------------------
# diagonals and triangles
# --------------------------------------------------------------------------

@composite(methods=("diag_embed",), functions=("diag_embed",))
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose diagonal ``offset`` of the planes (``dim1``, ``dim2``)
    holds the last dim of ``input`` (zeros elsewhere)."""
    shape = _shape(input)
    if not shape:
        raise ValueError("diag_embed(): needs a tensor of at least 1 dim, got 0")
    nd = len(shape) + 1
    d1, d2 = norm_dims(dim1, nd, "diag_embed") + norm_dims(dim2, nd, "diag_embed")
    if d1 == d2:
        raise ValueError(f"diag_embed(): dim1 and dim2 are the same dim ({dim1}, {dim2})")
    n = shape[-1] + abs(int(offset))
    out = list(shape[:-1])
    for d in sorted((d1, d2)):
        out.insert(d, n)
    return diag_put(input, shape=tuple(out), dtype=_dtype(input), offset=int(offset),
                    dim1=d1, dim2=d2)


@composite(methods=("diag",), functions=("diag",))
def diag(input, diagonal=0):
    """1-d input: the square matrix with it on diagonal ``diagonal``; 2-d
    input: its diagonal ``diagonal`` (1-d)."""
    nd = _ndim(input)
    if nd == 1:
        return diag_embed(input, offset=diagonal)
    if nd == 2:
        return _diagonal(input, offset=diagonal)
    raise ValueError(f"diag(): expected a 1-d or 2-d tensor, got {nd} dims")


@composite(methods=("trace",), functions=("trace",))
def trace(input):
    """Sum of the main diagonal of a 2-d tensor."""
    from .reduce import sum as _sum
    if _ndim(input) != 2:
        raise ValueError(f"trace(): expected a 2-d tensor, got shape {_shape(input)}")
    return _sum(_diagonal(input))


def _triangle(name, npfunc):
    def fn(input, diagonal=0):
        shape = _shape(input)
        if len(shape) < 2:
            raise ValueError(f"{name}(): needs a tensor of at least 2 dims, got {len(shape)}")
        mask = npfunc(np.ones(shape[-2:], dtype=bool), k=int(diagonal))
        return where(mask, input, np.zeros((), dtype=_dtype(input)))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"The {'lower' if name == 'tril' else 'upper'} triangle (from diagonal "
                  f"``diagonal``) of the last two dims; zeros elsewhere.")
    return composite(methods=(name,), functions=(name,))(fn)


tril = _triangle("tril", np.tril)
triu = _triangle("triu", np.triu)
