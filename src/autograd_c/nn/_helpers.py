"""Small helpers shared by ``nn.functional``, the layers and the losses."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..dtypes import get_default_dtype
from . import init as _init

__all__ = ["as_tensor", "const_like", "gen", "tup", "to_dtype"]


def as_tensor(x):
    """``x`` itself if a Tensor, else a new constant Tensor on the active engine."""
    return x if isinstance(x, Tensor) else Tensor(x)


def const_like(like, array):
    """A constant (no grad) Tensor on ``like``'s engine (the active one if
    ``like`` is not a Tensor)."""
    if isinstance(like, Tensor):
        return type(like)._engine.Tensor(array)
    return Tensor(array)


def gen(generator):
    """The numpy Generator to draw from: ``generator`` or the default one."""
    if generator is None:
        return _init.default_generator()
    from ..random import _numpy_rng
    return _numpy_rng(generator, "dropout")


def tup(value, n, who, name="argument"):
    """An int (or 1-element sequence) repeated ``n`` times, or an n-tuple."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise ValueError(f"{who}: {name} must be an int or a tuple of {n} ints, got "
                             f"{value!r}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def to_dtype(dtype):
    """A numpy dtype from ``dtype`` (None: the default float dtype, float32
    unless ``set_default_dtype`` changed it, as in PyTorch)."""
    if dtype is None:
        return get_default_dtype()
    return np.dtype(getattr(dtype, "numpy_dtype", dtype))
