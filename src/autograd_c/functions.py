"""Tensor factories (``autograd_c.tensor``, ``zeros``...). The op functions
(``autograd_c.exp``, ``autograd_c.sum``...) are generated from the op table
by ``_surface`` and live in the package namespace."""
from __future__ import annotations

from ._tensor import Tensor

__all__ = ["tensor", "as_tensor", "zeros", "ones"]


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
