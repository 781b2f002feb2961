"""Op rules: every differentiable operation, written once, used by both engines.

An op is a forward function and a vector-Jacobian product (VJP):

    forward(*arrays, **params) -> (out_array, ctx)
    backward(ctx, g, needs)    -> tuple with one gradient (or None) per input

``arrays`` are the numpy arrays (or Python scalars) behind the inputs; ``ctx``
is whatever the VJP needs later (the engine frees it once the node has run);
``needs[i]`` says whether input i wants a gradient, so a rule can skip work.
Every gradient a rule returns has exactly the shape and dtype of its input.

The engines (``engine_python.py``, ``_engine_c.pyx``) only record which op
produced which tensor and schedule the VJPs; they never do tensor math.
"""
from __future__ import annotations

import math

import numpy as np

# Elementwise math. Here: numpy's ufuncs. In the compiled twin ``_ops_c``
# (this file compiled by Cython, where ``cython.compiled`` is True) the same
# names come from ``_ufuncs``, which runs numpy's own float64 loops from C on
# small arrays and gives the same results bit for bit.
try:
    import cython
    _COMPILED = cython.compiled
except ImportError:          # Cython is a build dependency only
    _COMPILED = False
if _COMPILED:
    from autograd_c._ufuncs import (add as _add, exp as _exp, log as _log, maximum as _maximum,
                                    minimum as _minimum, multiply as _mul, negative as _neg,
                                    sqrt as _sqrt, subtract as _sub,
                                    tanh as _tanh, true_divide as _div)
else:
    from numpy import (add as _add, exp as _exp, log as _log, maximum as _maximum,
                       minimum as _minimum, multiply as _mul, negative as _neg, sqrt as _sqrt,
                       subtract as _sub, tanh as _tanh, true_divide as _div)

_add_reduce = np.add.reduce

__all__ = ["Op", "unbroadcast"]


class Op:
    """One differentiable operation.

    ``saves`` lists the input positions whose data the VJP reads (the engine
    checks their version counters before running it); ``saves_output`` says the
    VJP reads the op's own output.
    """

    __slots__ = ("name", "forward", "backward", "saves", "saves_mask", "saves_output")

    def __init__(self, name, forward, backward, saves=(), saves_output=False):
        # immutable once built: the compiled engine caches these fields
        init = object.__setattr__
        init(self, "name", name)
        init(self, "forward", forward)
        init(self, "backward", backward)
        init(self, "saves", tuple(saves))
        # the positions below 64 as bits, for the compiled engine
        init(self, "saves_mask", sum(1 << i for i in set(self.saves) if i < 64))
        init(self, "saves_output", saves_output)

    def __setattr__(self, name, value):
        raise AttributeError(f"op {self.name!r}: Op objects are immutable; build a new Op")

    def __delattr__(self, name):
        raise AttributeError(f"op {self.name!r}: Op objects are immutable")

    def __repr__(self):
        return f"<op {self.name}>"


REGISTRY: dict[str, Op] = {}


def _op(name, saves=(), saves_output=False):
    """Register ``forward``/``backward`` pair found in the decorated namespace class."""

    def deco(cls):
        op = Op(name, cls.forward, cls.backward, saves, saves_output)
        REGISTRY[name] = op
        return op

    return deco


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

class _Like:
    """An input's shape and dtype: what ``_cast`` needs of it, without its data."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype


def _shape(x):
    return x.shape if type(x) is np.ndarray or type(x) is _Like else np.shape(x)


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


def _cast(g, like):
    """Gradient for input ``like`` (an array, a scalar or a ``_Like``): its
    shape, its dtype."""
    if type(like) is np.ndarray and g.shape == like.shape and g.dtype == like.dtype:
        return g
    g = unbroadcast(g, _shape(like))
    if (type(like) is np.ndarray or type(like) is _Like) and g.dtype != like.dtype:
        g = g.astype(like.dtype)
    return g


def _cast_info(x, out):
    """What a VJP that only reshapes the output gradient (add, sub) keeps of
    input ``x``: None when a gradient of ``out``'s shape and dtype already
    fits ``x`` (the common case), else its shape and dtype, or ``x`` itself
    for a scalar; never ``x``'s data, which can then be freed early."""
    if type(x) is np.ndarray:
        if x.shape == out.shape and x.dtype == out.dtype:
            return None
        return _Like(x.shape, x.dtype)
    return x


def _cast_by(g, info):
    """The gradient for an input described by ``_cast_info``."""
    return g if info is None else _cast(g, info)


if _COMPILED:
    # the same functions, with their common case tested in C
    from autograd_c import _ufuncs
    _ufuncs.set_general(_cast, _cast_info)
    _cast = _ufuncs.cast
    _cast_info = _ufuncs.cast_info


def _norm_axis(axis, ndim, opname):
    """Normalise an int/tuple/None axis argument, with a clear error."""
    if axis is None:
        return None
    axes = axis if isinstance(axis, tuple) else (axis,)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{opname}(): axis must be an int or tuple of ints, got {axis!r}")
        if not -ndim <= a < max(ndim, 1):
            raise np.exceptions.AxisError(
                f"{opname}(): axis {a} is out of bounds for a tensor of dimension {ndim}")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{opname}(): repeated axis in {axis!r}")
    return tuple(out)


# Below this many elements the gradient of a full reduction is a new filled
# array (np.full is several times cheaper than np.broadcast_to, and its result
# is contiguous); above it, a broadcast view that costs no memory.
_FILL_MAX = 1 << 16


def _expand_reduced(g, in_shape, axes, keepdims):
    """Reshape a reduced gradient so it broadcasts against the input again."""
    if axes is None:
        if g.size == 1 and g.ndim <= len(in_shape) and math.prod(in_shape) <= _FILL_MAX:
            out = np.empty(in_shape, dtype=g.dtype)   # np.full, without its Python layer
            out.fill(g.reshape(()))
            return out
        return np.broadcast_to(np.reshape(g, (1,) * len(in_shape)), in_shape)
    if not keepdims:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, in_shape)


# --------------------------------------------------------------------------
# elementwise binary ops (numpy broadcasting on both sides)
# --------------------------------------------------------------------------

@_op("add")
class add:
    def forward(a, b):
        out = _add(a, b)
        return out, (_cast_info(a, out), _cast_info(b, out))

    def backward(ctx, g, needs):
        a, b = ctx
        return (_cast_by(g, a) if needs[0] else None,
                _cast_by(g, b) if needs[1] else None)


@_op("sub")
class sub:
    def forward(a, b):
        out = _sub(a, b)
        return out, (_cast_info(a, out), _cast_info(b, out))

    def backward(ctx, g, needs):
        a, b = ctx
        return (_cast_by(g, a) if needs[0] else None,
                _cast_by(_neg(g), b) if needs[1] else None)


@_op("mul", saves=(0, 1))
class mul:
    def forward(a, b):
        return _mul(a, b), (a, b)

    def backward(ctx, g, needs):
        a, b = ctx
        return (_cast(_mul(g, b), a) if needs[0] else None,
                _cast(_mul(g, a), b) if needs[1] else None)


@_op("div", saves=(0, 1))
class div:
    def forward(a, b):
        return _div(a, b), (a, b)

    def backward(ctx, g, needs):
        a, b = ctx
        ga = _div(g, b)
        return (_cast(ga, a) if needs[0] else None,
                _cast(_div(_mul(_neg(ga), a), b), b) if needs[1] else None)


@_op("pow", saves=(0, 1), saves_output=True)
class pow_:
    def forward(a, b):
        out = np.power(a, b)
        return out, (a, b, out)

    def backward(ctx, g, needs):
        a, b, out = ctx
        ga = gb = None
        if needs[0]:
            ga = _cast(g * b * np.power(a, b - 1), a)
        if needs[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                loga = np.where(a > 0, np.log(np.where(a > 0, a, 1)), np.where(a == 0, 0.0, np.nan))
            gb = _cast(g * out * loga, b)
        return ga, gb


@_op("maximum", saves=(0, 1))
class maximum:
    def forward(a, b):
        return _maximum(a, b), (a, b)

    def backward(ctx, g, needs):
        a, b = ctx
        # ties share the gradient equally, as PyTorch does
        wa = (a > b) + 0.5 * (a == b)
        return (_cast(g * wa, a) if needs[0] else None,
                _cast(g * (1.0 - wa), b) if needs[1] else None)


@_op("minimum", saves=(0, 1))
class minimum:
    def forward(a, b):
        return _minimum(a, b), (a, b)

    def backward(ctx, g, needs):
        a, b = ctx
        wa = (a < b) + 0.5 * (a == b)
        return (_cast(g * wa, a) if needs[0] else None,
                _cast(g * (1.0 - wa), b) if needs[1] else None)


@_op("where", saves=(0,))
class where:
    def forward(cond, a, b):
        cond = np.asarray(cond, dtype=bool)
        return np.where(cond, a, b), (cond, a, b)

    def backward(ctx, g, needs):
        cond, a, b = ctx
        zero = np.zeros((), dtype=g.dtype)
        return (None,
                _cast(np.where(cond, g, zero), a) if needs[1] else None,
                _cast(np.where(cond, zero, g), b) if needs[2] else None)


# --------------------------------------------------------------------------
# elementwise unary ops
# --------------------------------------------------------------------------

@_op("neg")
class neg:
    def forward(a):
        return _neg(a), None

    def backward(ctx, g, needs):
        return (_neg(g),)


@_op("exp", saves_output=True)
class exp:
    def forward(a):
        out = _exp(a)
        return out, out

    def backward(out, g, needs):
        return (_mul(g, out),)


@_op("log", saves=(0,))
class log:
    def forward(a):
        return _log(a), a

    def backward(a, g, needs):
        return (_div(g, a),)


@_op("sqrt", saves_output=True)
class sqrt:
    def forward(a):
        out = _sqrt(a)
        return out, out

    def backward(out, g, needs):
        return (_div(g, _mul(2, out)),)


@_op("abs", saves=(0,))
class abs_:
    def forward(a):
        return np.abs(a), a

    def backward(a, g, needs):
        return (g * np.sign(a),)


@_op("tanh", saves_output=True)
class tanh:
    def forward(a):
        out = _tanh(a)
        return out, out

    def backward(out, g, needs):
        return (_mul(g, _sub(1, _mul(out, out))),)


@_op("sigmoid", saves_output=True)
class sigmoid:
    def forward(a):
        # stable on both tails: exp only ever sees non-positive arguments
        e = np.exp(-np.abs(a))
        out = np.where(a >= 0, 1 / (1 + e), e / (1 + e))
        return out, out

    def backward(out, g, needs):
        return (_mul(g, _mul(out, _sub(1, out))),)


@_op("relu", saves=(0,))
class relu:
    def forward(a):
        return _maximum(a, 0), a

    def backward(a, g, needs):
        # derivative 0 at exactly 0, as PyTorch
        return (g * (a > 0),)


@_op("clip", saves=(0,))
class clip:
    def forward(a, lo=None, hi=None):
        if lo is None and hi is None:
            raise ValueError("clip(): at least one of min and max must be given")
        return np.clip(a, lo, hi), (a, lo, hi)

    def backward(ctx, g, needs):
        a, lo, hi = ctx
        mask = np.ones(a.shape, dtype=bool)
        if lo is not None:
            mask &= a >= lo
        if hi is not None:
            mask &= a <= hi
        return (g * mask,)


# --------------------------------------------------------------------------
# reductions
# --------------------------------------------------------------------------

@_op("sum")
class sum_:
    def forward(a, axis=None, keepdims=False):
        if type(a) is np.ndarray:
            # what np.sum does for an ndarray, without its Python wrapper
            axes = _norm_axis(axis, a.ndim, "sum")
            out = np.asarray(_add_reduce(a, axis=axes, keepdims=keepdims))
            return out, (a.shape, axes, keepdims)
        axes = _norm_axis(axis, np.ndim(a), "sum")
        out = np.asarray(np.sum(a, axis=axes, keepdims=keepdims))
        return out, (_shape(a), axes, keepdims)

    def backward(ctx, g, needs):
        shape, axes, keepdims = ctx
        return (_expand_reduced(g, shape, axes, keepdims),)


@_op("mean")
class mean:
    def forward(a, axis=None, keepdims=False):
        axes = _norm_axis(axis, np.ndim(a), "mean")
        out = np.asarray(np.mean(a, axis=axes, keepdims=keepdims))
        shape = _shape(a)
        count = int(np.prod([shape[i] for i in axes])) if axes is not None else int(np.prod(shape))
        return out, (shape, axes, keepdims, count)

    def backward(ctx, g, needs):
        shape, axes, keepdims, count = ctx
        return (_expand_reduced(g / count, shape, axes, keepdims),)


def _extremum(name, npfunc):
    class rule:
        def forward(a, axis=None, keepdims=False):
            axes = _norm_axis(axis, np.ndim(a), name)
            if np.size(a) == 0:
                raise ValueError(f"{name}(): reduction of an empty tensor of shape {_shape(a)}")
            out = np.asarray(npfunc(a, axis=axes, keepdims=keepdims))
            return out, (a, axes, keepdims, out)

        def backward(ctx, g, needs):
            a, axes, keepdims, out = ctx
            ref = _expand_reduced(out, a.shape, axes, keepdims)
            mask = (a == ref).astype(g.dtype)
            # ties share the gradient equally (PyTorch's amax/amin rule)
            count = mask.sum(axis=axes, keepdims=True)
            return (_expand_reduced(g, a.shape, axes, keepdims) * mask / count,)

    return _op(name, saves=(0,), saves_output=True)(rule)


max_ = _extremum("max", np.max)
min_ = _extremum("min", np.min)


@_op("softmax", saves_output=True)
class softmax:
    def forward(a, axis=-1):
        _norm_axis(axis, np.ndim(a), "softmax")
        e = np.exp(a - np.max(a, axis=axis, keepdims=True))
        out = e / np.sum(e, axis=axis, keepdims=True)
        return out, (out, axis)

    def backward(ctx, g, needs):
        out, axis = ctx
        return (out * (g - np.sum(g * out, axis=axis, keepdims=True)),)


@_op("log_softmax", saves_output=True)
class log_softmax:
    def forward(a, axis=-1):
        _norm_axis(axis, np.ndim(a), "log_softmax")
        shifted = a - np.max(a, axis=axis, keepdims=True)
        out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        return out, (out, axis)

    def backward(ctx, g, needs):
        out, axis = ctx
        return (g - np.exp(out) * np.sum(g, axis=axis, keepdims=True),)


# --------------------------------------------------------------------------
# linear algebra
# --------------------------------------------------------------------------

@_op("matmul", saves=(0, 1))
class matmul:
    def forward(a, b):
        if (a.ndim if type(a) is np.ndarray else np.ndim(a)) == 0 or \
                (b.ndim if type(b) is np.ndarray else np.ndim(b)) == 0:
            raise ValueError(f"matmul: both operands need at least one dimension, "
                             f"got shapes {_shape(a)} and {_shape(b)}")
        return np.matmul(a, b), (a, b)

    def backward(ctx, g, needs):
        a, b = ctx
        if a.ndim == 2 and b.ndim == 2:
            return (g @ b.T if needs[0] else None,
                    a.T @ g if needs[1] else None)
        # promote 1-D operands as numpy does, then undo it on the way back
        A = a[None, :] if a.ndim == 1 else a
        B = b[:, None] if b.ndim == 1 else b
        G = g
        if b.ndim == 1:
            G = np.expand_dims(G, -1)
        if a.ndim == 1:
            G = np.expand_dims(G, -2)
        ga = gb = None
        if needs[0]:
            ga = _cast(G @ np.swapaxes(B, -1, -2), A).reshape(a.shape)
        if needs[1]:
            gb = _cast(np.swapaxes(A, -1, -2) @ G, B).reshape(b.shape)
        return ga, gb


# --------------------------------------------------------------------------
# shape ops
# --------------------------------------------------------------------------

@_op("reshape")
class reshape:
    def forward(a, shape):
        return np.reshape(a, shape), _shape(a)

    def backward(shape, g, needs):
        return (g.reshape(shape),)


@_op("transpose")
class transpose:
    def forward(a, axes=None):
        if axes is None:
            # all axes reversed (.T): its own inverse; backward reverses again
            return (a.transpose() if type(a) is np.ndarray else np.transpose(a)), None
        nd = np.ndim(a)
        if sorted(int(x) % max(nd, 1) for x in axes) != list(range(nd)):
            raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of "
                             f"the {nd} dimensions of a tensor of shape {_shape(a)}")
        return np.transpose(a, axes), tuple(np.argsort([int(x) % max(nd, 1) for x in axes]))

    def backward(inv, g, needs):
        return (g.transpose(inv),)          # inv None: all axes reversed


@_op("broadcast_to")
class broadcast_to:
    def forward(a, shape):
        return np.broadcast_to(a, shape), _shape(a)

    def backward(shape, g, needs):
        return (unbroadcast(g, shape),)


@_op("getitem")
class getitem:
    def forward(a, index):
        out = a[index]
        return np.asarray(out), (a.shape, a.dtype, index)

    def backward(ctx, g, needs):
        shape, dtype, index = ctx
        out = np.zeros(shape, dtype=dtype)
        # add.at sums repeated integer indices instead of keeping the last write
        np.add.at(out, index, g)
        return (out,)


@_op("concatenate")
class concatenate:
    def forward(*arrays, axis=0):
        out = np.concatenate(arrays, axis=axis)
        ax = axis % out.ndim
        return out, (ax, np.cumsum([np.shape(x)[ax] for x in arrays])[:-1])

    def backward(ctx, g, needs):
        ax, splits = ctx
        return tuple(np.split(g, splits, axis=ax))


@_op("stack")
class stack:
    def forward(*arrays, axis=0):
        out = np.stack(arrays, axis=axis)
        return out, axis % out.ndim

    def backward(ax, g, needs):
        return tuple(np.moveaxis(g, ax, 0))
