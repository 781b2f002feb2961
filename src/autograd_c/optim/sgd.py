"""Stochastic gradient descent, PyTorch's algorithm (momentum, dampening,
weight decay, Nesterov, maximize)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """``g = grad`` (``-grad`` with ``maximize``) ``+ weight_decay*p``; with
    momentum ``b = momentum*b + (1-dampening)*g`` (``b = g`` on the first
    step), then ``g = g + momentum*b`` (Nesterov) or ``g = b``; finally
    ``p -= lr*g``."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: Optional[bool] = None, differentiable: bool = False,
                 fused: Optional[bool] = None) -> None:
        if not momentum >= 0.0:
            raise ValueError(f"SGD: invalid momentum={momentum} (must be >= 0)")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0 and zero dampening "
                             f"(got momentum={momentum}, dampening={dampening})")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _step_group(self, group) -> None:
        if group["momentum"] != 0 or group["weight_decay"] != 0:
            return super()._step_group(group)
        # plain SGD keeps no state, as in PyTorch: p -= lr * grad as tensor
        # ops (under no_grad; the in-place operator bumps p's version)
        lr = group["lr"]
        maximize = group["maximize"]
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if g.dtype != p.dtype:
                self._step_param(p, group)
            elif maximize:
                p += lr * g
            else:
                p -= lr * g

    def _update(self, p, g, state, group) -> None:
        wd, mu = group["weight_decay"], group["momentum"]
        if wd != 0:
            g = g + wd * p.data
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = np.array(g, copy=True)
                state["momentum_buffer"] = buf
            else:
                buf *= mu
                buf += (1 - group["dampening"]) * g
            g = g + mu * buf if group["nesterov"] else buf
        p.data -= group["lr"] * g
