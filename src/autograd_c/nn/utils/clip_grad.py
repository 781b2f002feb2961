"""Gradient clipping as ``torch.nn.utils``: by total norm (``clip_grad_norm_``)
or elementwise by value (``clip_grad_value_``). Gradients are scaled in place
(``p.grad`` keeps its identity; its version is bumped); nothing is recorded
by autograd."""
from __future__ import annotations

import math
import warnings
from typing import Iterable, List, Optional, Union

import numpy as np

from ..._tensor import Tensor

__all__ = ["get_total_norm", "clip_grads_with_norm_", "clip_grad_norm_", "clip_grad_norm",
           "clip_grad_value_"]

_Params = Union[Tensor, Iterable[Tensor]]


def _as_list(tensors, who: str) -> List[Tensor]:
    if isinstance(tensors, Tensor):
        return [tensors]
    if isinstance(tensors, np.ndarray):
        raise TypeError(f"{who}: expected a Tensor or an iterable of Tensors, got an ndarray")
    out = list(tensors)
    for t in out:
        if not isinstance(t, Tensor):
            raise TypeError(f"{who}: expected Tensors, got {type(t).__name__}")
    return out


def _grads(parameters, who: str) -> List[Tensor]:
    return [p.grad for p in _as_list(parameters, who) if p.grad is not None]


def _vector_norm(x: np.ndarray, p: float) -> float:
    """``torch.linalg.vector_norm`` of a flattened array, as a float of x's
    precision (inf: max |x|, -inf: min |x|, 0: number of non-zeros)."""
    a = np.abs(x.reshape(-1))
    if a.size == 0:
        return 0.0
    if p == math.inf:
        return a.max()
    if p == -math.inf:
        return a.min()
    if p == 0:
        return x.dtype.type(np.count_nonzero(a))
    if p == 1:
        return a.sum()
    if p == 2:
        return np.sqrt(np.dot(a, a)) if a.dtype.kind == "f" else np.sqrt((a * a).sum())
    return (a ** p).sum() ** (1.0 / p)


def get_total_norm(tensors: _Params, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: Optional[bool] = None) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` together (the norm of their
    norms), as a 0-d Tensor of their dtype; 0.0 for no tensors."""
    ts = _as_list(tensors, "get_total_norm")
    norm_type = float(norm_type)
    if not ts:
        return Tensor(np.array(0.0, dtype=np.float32))
    dtype = np.result_type(*[t.data.dtype for t in ts])
    norms = np.array([_vector_norm(t.data, norm_type) for t in ts], dtype=dtype)
    total = np.asarray(_vector_norm(norms, norm_type), dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           f"`parameters` is non-finite ({float(total)}), so it cannot be "
                           f"clipped. To disable this error and scale the gradients by the "
                           f"non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor(total)


def clip_grads_with_norm_(parameters: _Params, max_norm: float, total_norm,
                          foreach: Optional[bool] = None) -> None:
    """Scale every gradient by ``min(1, max_norm / (total_norm + 1e-6))``."""
    grads = _grads(parameters, "clip_grads_with_norm_")
    if not grads:
        return
    total = float(total_norm.item() if isinstance(total_norm, Tensor) else total_norm)
    coef = float(max_norm) / (total + 1e-6)
    coef = min(coef, 1.0) if not math.isnan(coef) else coef
    for g in grads:
        np.multiply(g.data, coef, out=g.data, casting="unsafe")
        g.mark_modified()


def clip_grad_norm_(parameters: _Params, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: Optional[bool] = None) -> Tensor:
    """Rescale the gradients of ``parameters`` in place so that their total
    ``norm_type``-norm is at most ``max_norm`` (scale ``max_norm/(norm +
    1e-6)``, only when below 1). Returns the total norm before clipping, a
    0-d Tensor. ``error_if_nonfinite`` raises instead of scaling by a NaN or
    infinite norm."""
    parameters = _as_list(parameters, "clip_grad_norm_")   # a generator is read once
    grads = _grads(parameters, "clip_grad_norm_")
    max_norm = float(max_norm)
    if not grads:
        return Tensor(np.array(0.0, dtype=np.float32))
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters: _Params, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: Optional[bool] = None) -> Tensor:
    """Deprecated alias of ``clip_grad_norm_`` (as in PyTorch)."""
    warnings.warn("`nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: _Params, clip_value: float,
                     foreach: Optional[bool] = None) -> None:
    """Clamp every gradient of ``parameters`` to ``[-clip_value, clip_value]``
    in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters, "clip_grad_value_"):
        np.clip(g.data, -clip_value, clip_value, out=g.data)
        g.mark_modified()
