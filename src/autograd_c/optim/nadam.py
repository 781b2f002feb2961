"""NAdam (Adam with Nesterov momentum), PyTorch's algorithm."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .optimizer import Optimizer, lerp_

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """``g = grad`` (``-grad`` with ``maximize``); weight decay ``g +=
    weight_decay*p`` or, with ``decoupled_weight_decay``, ``p *= 1 -
    lr*weight_decay``; momentum schedule ``mu_t = beta1*(1 -
    0.96**(t*momentum_decay)/2)`` with running product ``P_t = mu_1...mu_t``;
    ``m = lerp(m, g, 1-beta1)``, ``v = beta2*v + (1-beta2)*g*g``, ``d =
    sqrt(v/(1-beta2**t)) + eps``; ``p -= lr*(1-mu_t)/(1-P_t) * g/d +
    lr*mu_{t+1}/(1-P_t*mu_{t+1}) * m/d``.

    ``mu_product`` is kept in float32, as PyTorch keeps it (a float32 scalar
    tensor under the default dtype), so trajectories agree to the last bits.
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: Optional[bool] = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        if not momentum_decay >= 0.0:
            raise ValueError(f"NAdam: invalid momentum_decay={momentum_decay} (must be >= 0)")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable))

    def _update(self, p, g, state, group) -> None:
        lr, wd, psi = group["lr"], group["weight_decay"], group["momentum_decay"]
        b1, b2 = group["betas"]
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        bias_correction2 = 1 - b2 ** t
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.data *= 1 - lr * wd
            else:
                g = g + wd * p.data
        mu = b1 * (1.0 - 0.5 * (0.96 ** (t * psi)))
        mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * psi)))
        mu_product = float(np.float32(state["mu_product"]) * np.float32(mu))
        state["mu_product"] = mu_product
        m, v = state["exp_avg"], state["exp_avg_sq"]
        lerp_(m, g, 1 - b1)
        v *= b2
        v += (1 - b2) * (g * g)
        denom = np.sqrt(v / bias_correction2)
        denom += group["eps"]
        mu_product_next = mu_product * mu_next
        p.data -= (lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
        p.data -= (lr * mu_next / (1.0 - mu_product_next)) * (m / denom)
