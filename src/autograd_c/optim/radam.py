"""RAdam (rectified Adam), PyTorch's algorithm."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .optimizer import Optimizer, lerp_

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """``g = grad`` (``-grad`` with ``maximize``); weight decay ``g +=
    weight_decay*p`` or, with ``decoupled_weight_decay``, ``p *= 1 -
    lr*weight_decay``; ``m = lerp(m, g, 1-beta1)``, ``v = beta2*v +
    (1-beta2)*g*g``; ``rho_inf = 2/(1-beta2) - 1``, ``rho_t = rho_inf -
    2 t beta2**t/(1-beta2**t)``. If ``rho_t > 5``: ``p -= lr * m/(1-beta1**t)
    * sqrt(1-beta2**t)/(sqrt(v)+eps) * r_t`` with the rectification ``r_t =
    sqrt((rho_t-4)(rho_t-2)rho_inf / ((rho_inf-4)(rho_inf-2)rho_t))``; else
    the un-adapted step ``p -= lr * m/(1-beta1**t)``."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: Optional[bool] = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize,
                                      foreach=foreach, capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      differentiable=differentiable))

    def _update(self, p, g, state, group) -> None:
        lr, wd = group["lr"], group["weight_decay"]
        b1, b2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
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
        bias_correction1 = 1 - b1 ** t
        bias_correction2 = 1 - b2 ** t
        step = (m / bias_correction1) * lr
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * (b2 ** t) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            denom = np.sqrt(v)
            denom += group["eps"]
            step *= bias_correction2 ** 0.5 / denom
            step *= rect
        p.data -= step
