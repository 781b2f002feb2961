"""Parameter initialisation and the random generator layers draw from.

Every layer that draws random numbers (``Linear``, ``Embedding``, ``Dropout``)
takes an optional ``generator=`` (a ``numpy.random.Generator``); without one
it uses a module-wide generator that ``autograd_c.manual_seed(seed)`` resets,
so ``manual_seed(0); model = build()`` gives the same weights every run.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["manual_seed", "default_generator", "uniform_", "normal_", "zeros_", "ones_",
           "constant_", "kaiming_uniform_bound"]

_default = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the generator used by layers built without ``generator=``."""
    global _default
    _default = np.random.default_rng(seed)
    return _default


def default_generator() -> np.random.Generator:
    return _default


def _gen(generator):
    return _default if generator is None else generator


def _fill(tensor, values) -> None:
    np.copyto(tensor.data, values, casting="unsafe")
    tensor.mark_modified()


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill ``tensor`` in place with U(a, b) draws."""
    _fill(tensor, _gen(generator).uniform(a, b, size=tensor.shape))
    return tensor


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill ``tensor`` in place with N(mean, std**2) draws."""
    _fill(tensor, _gen(generator).normal(mean, std, size=tensor.shape))
    return tensor


def constant_(tensor, value: float):
    _fill(tensor, value)
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def kaiming_uniform_bound(fan_in: int) -> float:
    """PyTorch's default Linear bound: 1/sqrt(fan_in) (0 when fan_in is 0)."""
    return 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
