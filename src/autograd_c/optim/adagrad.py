"""Adagrad, PyTorch's algorithm (dense gradients)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """``g = grad`` (``-grad`` with ``maximize``) ``+ weight_decay*p``;
    ``clr = lr / (1 + (t-1)*lr_decay)``; ``s += g*g`` (``s`` starts at
    ``initial_accumulator_value``); ``p -= clr * g / (sqrt(s) + eps)``.
    As in PyTorch the state (``step`` 0 and ``sum``) exists from construction."""

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: Optional[bool] = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: Optional[bool] = None) -> None:
        if not lr_decay >= 0.0:
            raise ValueError(f"Adagrad: invalid lr_decay={lr_decay} (must be >= 0)")
        if not initial_accumulator_value >= 0.0:
            raise ValueError(f"Adagrad: invalid initial_accumulator_value="
                             f"{initial_accumulator_value} (must be >= 0)")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))

    def _init_group_state(self, group) -> None:
        for p in group["params"]:
            self._init_state(self.state[p], p, group)

    @staticmethod
    def _init_state(state, p, group) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])

    def _update(self, p, g, state, group) -> None:
        self._init_state(state, p, group)
        state["step"] += 1
        t = state["step"]
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        s = state["sum"]
        s += g * g
        std = np.sqrt(s)
        std += group["eps"]
        p.data -= clr * (g / std)
