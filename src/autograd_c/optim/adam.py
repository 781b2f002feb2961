"""Adam, PyTorch's algorithm (amsgrad, maximize, coupled or decoupled
weight decay)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .optimizer import Optimizer, lerp_

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam: ``g = grad`` (``-grad`` with ``maximize``); weight decay either
    ``g += weight_decay*p`` (L2) or, with ``decoupled_weight_decay``, ``p *=
    1 - lr*weight_decay`` (AdamW); ``m = lerp(m, g, 1-beta1)``, ``v =
    beta2*v + (1-beta2)*g*g``; with ``amsgrad`` ``vmax = max(vmax, v)`` is
    used in place of ``v``; ``p -= lr/(1-beta1**t) * m / (sqrt(v) /
    sqrt(1-beta2**t) + eps)``."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: Optional[bool] = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False,
                 fused: Optional[bool] = None, decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, p, g, state, group) -> None:
        lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
        b1, b2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.data *= 1 - lr * wd
            else:
                g = g + wd * p.data
        m, v = state["exp_avg"], state["exp_avg_sq"]
        lerp_(m, g, 1 - b1)
        v *= b2
        v += (1 - b2) * (g * g)
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"]
            np.maximum(vmax, v, out=vmax)
            v = vmax
        step_size = lr / (1 - b1 ** t)
        denom = np.sqrt(v)
        denom /= (1 - b2 ** t) ** 0.5
        denom += eps
        p.data -= step_size * (m / denom)
