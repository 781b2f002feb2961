"""Gradient checking against central finite differences."""
from __future__ import annotations

import warnings
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
    False). The check runs on detached copies of the inputs, so their
    ``.grad`` is left as it was. Use float64 inputs (float32 warns).
    """
    # work on detached copies: the caller's tensors (leaves or not) keep
    # their .grad, and non-leaf inputs get a gradient too
    originals = _as_tuple(inputs)
    checked = [i for i, x in enumerate(originals) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")
    inputs = tuple(x.detach().requires_grad_(True) if i in checked else x
                   for i, x in enumerate(originals))
    for i in checked:
        if inputs[i].dtype != np.float64:
            warnings.warn(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences "
                          f"with eps={eps} are only reliable in float64", stacklevel=2)
        inputs[i].data = np.array(inputs[i].data, copy=True, order="C")
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError("gradcheck: fn must return a Tensor")
    v = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
    if out.requires_grad:
        out.backward(v)
    analytic = [g.data if (g := inputs[i].grad) is not None
                else np.zeros(inputs[i].shape) for i in checked]

    def f():
        with no_grad():
            return float(np.sum(fn(*inputs).data * v))

    for k, i in enumerate(checked):
        x = inputs[i]
        num = numerical_grad(f, x.data, eps)
        ana = analytic[k]
        bad = np.abs(ana - num) > atol + rtol * np.abs(num)
        if np.any(bad):
            idx = tuple(int(j) for j in np.argwhere(bad)[0])
            msg = (f"gradcheck: gradient mismatch for input {i} (shape {x.shape}) at element "
                   f"{idx}: analytic {float(ana[idx])!r}, numerical {float(num[idx])!r} "
                   f"({int(bad.sum())} of {bad.size} elements differ)")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True
