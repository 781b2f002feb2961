"""Shape helpers shared by the rules: undoing broadcasting, normalising dims,
expanding reduced gradients. They work on arrays and, under
``create_graph``, on Tensors (only methods both have are used)."""
from __future__ import annotations

import math

import numpy as np

from . import _math

__all__ = ["unbroadcast", "norm_dims", "expand_reduced", "shape_of", "Like", "cast", "cast_info",
           "cast_by"]


class Like:
    """An input's shape and dtype: what ``cast`` needs of it, without its data."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype


def shape_of(x):
    if type(x) is np.ndarray or type(x) is Like:
        return x.shape
    shape = getattr(x, "shape", None)       # a Tensor under create_graph
    return tuple(shape) if shape is not None else np.shape(x)


def unbroadcast(g, shape):
    """Sum ``g`` over the dimensions numpy broadcasting added to reach ``shape``."""
    gs = g.shape
    if gs == shape:
        return g
    nd = len(gs) - len(shape)
    if nd > 0:
        g = g.sum(axis=0 if nd == 1 else tuple(range(nd)))
        if g.shape == shape:        # the common case: a bias added to a batch
            return g
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def cast(g, like):
    """Gradient for input ``like`` (an array, a scalar, a ``Like`` or a
    Tensor): its shape, its dtype."""
    if type(like) is np.ndarray and g.shape == like.shape and g.dtype == like.dtype:
        return g
    g = unbroadcast(g, shape_of(like))
    if (type(like) is np.ndarray or type(like) is Like or hasattr(like, "_engine")) \
            and g.dtype != like.dtype:
        g = g.astype(like.dtype)
    return g


def cast_info(x, out):
    """What a VJP that only reshapes the output gradient (add, sub) keeps of
    input ``x``: None when a gradient of ``out``'s shape and dtype already
    fits ``x`` (the common case), else its shape and dtype, or ``x`` itself
    for a scalar; never ``x``'s data, which can then be freed early."""
    if type(x) is np.ndarray:
        if x.shape == out.shape and x.dtype == out.dtype:
            return None
        return Like(x.shape, x.dtype)
    return x


def cast_by(g, info):
    """The gradient for an input described by ``cast_info``."""
    return g if info is None else cast(g, info)


if _math.COMPILED:
    # the same functions, with their common case tested in C
    from autograd_c import _ufuncs
    _ufuncs.set_general(cast, cast_info)
    cast = _ufuncs.cast           # noqa: F811
    cast_info = _ufuncs.cast_info  # noqa: F811


def norm_dims(dim, ndim, opname):
    """Normalise an int/tuple/None ``dim`` argument, with a clear error. A 0-d
    tensor accepts dims 0 and -1, as in PyTorch."""
    if dim is None:
        return None
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    out = []
    for a in dims:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{opname}(): dim must be an int or tuple of ints, got {dim!r}")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise np.exceptions.AxisError(      # an IndexError and a ValueError
                f"{opname}(): dim {a} (numpy: axis {a}) is out of bounds for a tensor of dimension {ndim} "  # noqa: E501
                f"(expected in the range [{-max(ndim, 1)}, {max(ndim, 1) - 1}])")
        out.append(int(a) % max(ndim, 1))
    if ndim == 0:
        return ()
    if len(set(out)) != len(out):
        raise ValueError(f"{opname}(): repeated dim in {dim!r}")
    return tuple(out)


# Below this many elements the gradient of a full reduction is a new filled
# array (np.full is several times cheaper than np.broadcast_to, and its result
# is contiguous); above it, a broadcast view that costs no memory.
_FILL_MAX = 1 << 16


def expand_reduced(g, in_shape, axes, keepdim):
    """Reshape a reduced gradient so it broadcasts against the input again."""
    if axes is None:
        if type(g) is np.ndarray and g.size == 1 and g.ndim <= len(in_shape) \
                and math.prod(in_shape) <= _FILL_MAX:
            out = np.empty(in_shape, dtype=g.dtype)   # np.full, without its Python layer
            out.fill(g.reshape(()))
            return out
        return np.broadcast_to(g.reshape((1,) * len(in_shape)), in_shape)
    if not keepdim and axes:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, in_shape)


def is_tensor(x):
    """Whether ``x`` is a Tensor of either engine (not the class itself)."""
    return hasattr(x, "_engine") and not isinstance(x, type)


def nondiff(like, arr):
    """A result that is not differentiated (indices, booleans, counts): a
    Tensor that does not require grad when ``like`` is a Tensor (of
    ``result_type(like)``), else the array itself."""
    return result_type(like)(arr) if is_tensor(like) else arr


def result_type(like):
    """The class of a result of Tensor ``like`` that is not differentiated
    (indices, booleans, casts that leave the graph): ``like``'s own class,
    except that a Parameter's results are the engine's plain Tensor, as in
    PyTorch (a Parameter would require grad, which a bool or int cannot)."""
    cls = type(like)
    if getattr(cls, "_is_parameter", False):
        return like._engine.Tensor
    return cls
