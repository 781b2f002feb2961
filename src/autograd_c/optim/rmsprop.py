"""RMSprop, PyTorch's algorithm (centered, momentum and maximize variants)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .optimizer import Optimizer, lerp_

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``g = grad`` (``-grad`` with ``maximize``) ``+ weight_decay*p``;
    ``s = alpha*s + (1-alpha)*g*g``; centered:
    ``a = lerp(a, g, 1-alpha)`` and ``d = sqrt(s - a*a) + eps``, else
    ``d = sqrt(s) + eps``; momentum: ``b = momentum*b + g/d``, ``p -= lr*b``;
    otherwise ``p -= lr*g/d``."""

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: Optional[bool] = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        if not alpha >= 0.0:
            raise ValueError(f"RMSprop: invalid alpha={alpha} (must be >= 0)")
        if not momentum >= 0.0:
            raise ValueError(f"RMSprop: invalid momentum={momentum} (must be >= 0)")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _update(self, p, g, state, group) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        wd, mu = group["weight_decay"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            if mu > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        if wd != 0:
            g = g + wd * p.data
        s = state["square_avg"]
        s *= alpha
        s += (1 - alpha) * (g * g)
        if group["centered"]:
            a = state["grad_avg"]
            lerp_(a, g, 1 - alpha)
            avg = np.sqrt(s - a * a) + eps
        else:
            avg = np.sqrt(s) + eps
        if mu > 0:
            buf = state["momentum_buffer"]
            buf *= mu
            buf += g / avg
            p.data -= lr * buf
        else:
            p.data -= lr * (g / avg)
