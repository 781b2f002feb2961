"""Module-level functions (``autograd_c.exp(x)`` ...): each hands an op rule
to the engine of its tensor arguments (or the active engine for plain arrays)."""
from __future__ import annotations

from typing import Sequence

from . import ops as _ops
from ._tensor import Tensor, engine_for


def _apply(op, args, kw=None):
    return engine_for(args).apply(op, tuple(args), kw)


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Build a tensor on the active engine (copies ``data``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def as_tensor(data, dtype=None) -> Tensor:
    return data if isinstance(data, Tensor) and dtype is None else Tensor(data, dtype=dtype)


def _dims(shape) -> tuple:
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def zeros(*shape, dtype=float, requires_grad=False) -> Tensor:
    import numpy as np
    return Tensor(np.zeros(_dims(shape), dtype=dtype), requires_grad=requires_grad)


def ones(*shape, dtype=float, requires_grad=False) -> Tensor:
    import numpy as np
    return Tensor(np.ones(_dims(shape), dtype=dtype), requires_grad=requires_grad)


def add(a, b) -> Tensor: return _apply(_ops.add, (a, b))
def sub(a, b) -> Tensor: return _apply(_ops.sub, (a, b))
def mul(a, b) -> Tensor: return _apply(_ops.mul, (a, b))
def div(a, b) -> Tensor: return _apply(_ops.div, (a, b))
def pow(a, b) -> Tensor: return _apply(_ops.pow_, (a, b))  # noqa: A001
def neg(x) -> Tensor: return _apply(_ops.neg, (x,))
def matmul(a, b) -> Tensor: return _apply(_ops.matmul, (a, b))
def exp(x) -> Tensor: return _apply(_ops.exp, (x,))
def log(x) -> Tensor: return _apply(_ops.log, (x,))
def sqrt(x) -> Tensor: return _apply(_ops.sqrt, (x,))
def abs(x) -> Tensor: return _apply(_ops.abs_, (x,))  # noqa: A001
def tanh(x) -> Tensor: return _apply(_ops.tanh, (x,))
def sigmoid(x) -> Tensor: return _apply(_ops.sigmoid, (x,))
def relu(x) -> Tensor: return _apply(_ops.relu, (x,))
def maximum(a, b) -> Tensor: return _apply(_ops.maximum, (a, b))
def minimum(a, b) -> Tensor: return _apply(_ops.minimum, (a, b))


def clip(x, min=None, max=None) -> Tensor:  # noqa: A002
    return _apply(_ops.clip, (x,), {"lo": min, "hi": max})


clamp = clip


def where(condition, x, y) -> Tensor:
    return _apply(_ops.where, (condition, x, y))


def softmax(x, axis: int = -1) -> Tensor: return _apply(_ops.softmax, (x,), {"axis": axis})
def log_softmax(x, axis: int = -1) -> Tensor: return _apply(_ops.log_softmax, (x,), {"axis": axis})


def sum(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    return _apply(_ops.sum_, (x,), {"axis": axis, "keepdims": keepdims})


def mean(x, axis=None, keepdims=False) -> Tensor:
    return _apply(_ops.mean, (x,), {"axis": axis, "keepdims": keepdims})


def max(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    return _apply(_ops.max_, (x,), {"axis": axis, "keepdims": keepdims})


def min(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    return _apply(_ops.min_, (x,), {"axis": axis, "keepdims": keepdims})


# shape ops go through the Tensor methods, which also link views to their base
def reshape(x, shape) -> Tensor: return as_tensor(x).reshape(tuple(shape))


def transpose(x, axes=None) -> Tensor:
    return as_tensor(x).transpose(*(axes or ()))


def broadcast_to(x, shape) -> Tensor: return as_tensor(x).broadcast_to(tuple(shape))


def concatenate(tensors: Sequence, axis: int = 0) -> Tensor:
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("concatenate: need at least one tensor")
    return _apply(_ops.concatenate, tensors, {"axis": axis})


cat = concatenate


def stack(tensors: Sequence, axis: int = 0) -> Tensor:
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("stack: need at least one tensor")
    return _apply(_ops.stack, tensors, {"axis": axis})
