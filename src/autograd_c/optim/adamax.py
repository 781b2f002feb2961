"""Adamax (Adam with the infinity norm), PyTorch's algorithm."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .optimizer import Optimizer, lerp_

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """``g = grad`` (``-grad`` with ``maximize``) ``+ weight_decay*p``;
    ``m = lerp(m, g, 1-beta1)``; ``u = max(beta2*u, |g| + eps)``;
    ``p -= lr/(1-beta1**t) * m/u``."""

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: Optional[bool] = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _update(self, p, g, state, group) -> None:
        b1, b2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_inf"] = np.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        m, u = state["exp_avg"], state["exp_inf"]
        lerp_(m, g, 1 - b1)
        u *= b2
        a = np.abs(g)
        a += group["eps"]
        np.maximum(u, a, out=u)
        clr = group["lr"] / (1 - b1 ** t)
        p.data -= clr * (m / u)
