"""Gradient checking against central finite differences."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ._tensor import Tensor
from .grad_mode import no_grad

__all__ = ["gradcheck", "GradcheckError", "numerical_grad"]


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def numerical_grad(f: Callable[[], float], arr: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to ``arr`` (perturbed in place)."""
    grad = np.zeros(arr.shape, dtype=np.float64)
    flat = arr.reshape(-1)  # a view: arr must be contiguous
    if not np.shares_memory(flat, arr):
        raise ValueError("numerical_grad needs a contiguous array")
    for j in range(flat.size):
        orig = flat[j]
        flat[j] = orig + eps
        fp = f()
        flat[j] = orig - eps
        fm = f()
        flat[j] = orig
        grad.reshape(-1)[j] = (fp - fm) / (2 * eps)
    return grad


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Tensor] | Tensor, eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
              seed: int = 0) -> bool:
    """Check ``fn``'s gradients with respect to every input that requires grad.

    The output is contracted with a fixed random cotangent ``v``; the analytic
    gradient of ``sum(v * fn(*inputs))`` from backward is compared with central
    differences, element by element. On disagreement raises ``GradcheckError``
    naming the input and element (or returns False if ``raise_exception`` is
    False). ``.grad`` of the inputs is left as it was.
    """
    inputs = _as_tuple(inputs)
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError("gradcheck: fn must return a Tensor")
    v = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")
    saved = [inputs[i].grad for i in checked]
    try:
        for i in checked:
            inputs[i].grad = None
        if out.requires_grad:
            out.backward(v)
        analytic = [inputs[i].grad.data if inputs[i].grad is not None
                    else np.zeros(inputs[i].shape) for i in checked]
    finally:
        for i, g in zip(checked, saved):
            inputs[i]._grad = g

    def f():
        with no_grad():
            return float(np.sum(fn(*inputs).data * v))

    for k, i in enumerate(checked):
        x = inputs[i]
        if not x.data.flags.c_contiguous:
            x.data = np.ascontiguousarray(x.data)
        num = numerical_grad(f, x.data, eps)
        ana = analytic[k]
        bad = np.abs(ana - num) > atol + rtol * np.abs(num)
        if np.any(bad):
            idx = tuple(int(j) for j in np.argwhere(bad)[0])
            msg = (f"gradcheck: gradient mismatch for input {i} (shape {x.shape}) at element "
                   f"{idx}: analytic {ana[idx]!r}, numerical {num[idx]!r} "
                   f"({int(bad.sum())} of {bad.size} elements differ)")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True
