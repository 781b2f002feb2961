"""Optimizer base class: parameter groups, ``zero_grad``, ``state_dict``.

Updates follow PyTorch's documented algorithms (single-tensor path) and run
under ``no_grad()``, writing ``p.data`` in place and calling
``p.mark_modified()`` so version counters see the change.

The PyTorch implementation switches (``foreach``, ``fused``, ``capturable``)
are accepted and kept in the parameter groups, as PyTorch does, but change
nothing here: there is one numpy implementation. ``differentiable=True``
(updates recorded by autograd) is refused with a clear error.
"""
from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any, Dict, List

import numpy as np

from .._tensor import Tensor
from ..grad_mode import enable_grad, no_grad

__all__ = ["Optimizer"]


class Optimizer:
    """``Optimizer(params, defaults)``: ``params`` is an iterable of tensors or
    of dicts (parameter groups, each with ``"params"`` and optional
    per-group hyper-parameters), as in PyTorch."""

    def __init__(self, params, defaults: Dict[str, Any]) -> None:
        self._check_hparams(defaults)
        self.defaults = dict(defaults)
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of tensors "
                            f"or dicts, got a single Tensor; wrap it in a list")
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(f"{type(self).__name__}: params must be an iterable of tensors or "
                            f"dicts, got {type(params).__name__}") from None
        if not groups:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.param_groups: List[Dict[str, Any]] = []
        self.state: Dict[Tensor, Dict[str, Any]] = defaultdict(dict)
        for g in groups:
            self.add_param_group(g)

    def _check_hparams(self, h: Dict[str, Any]) -> None:
        lr = h.get("lr")
        if lr is not None and not lr >= 0.0:
            raise ValueError(f"{type(self).__name__}: invalid learning rate lr={lr} "
                             f"(must be >= 0)")
        wd = h.get("weight_decay")
        if wd is not None and not wd >= 0.0:
            raise ValueError(f"{type(self).__name__}: invalid weight_decay={wd} (must be >= 0)")
        eps = h.get("eps")
        if eps is not None and not eps >= 0.0:
            raise ValueError(f"{type(self).__name__}: invalid eps={eps} (must be >= 0)")
        betas = h.get("betas")
        if betas is not None:
            if len(betas) != 2:
                raise ValueError(f"{type(self).__name__}: betas must be a pair "
                                 f"(beta1, beta2), got {betas!r}")
            for i, b in enumerate(betas):
                if not 0.0 <= b < 1.0:
                    raise ValueError(f"{type(self).__name__}: invalid beta parameter at "
                                     f"index {i}: betas[{i}]={b} (must be in [0, 1))")
        if h.get("differentiable"):
            raise NotImplementedError(f"{type(self).__name__}: differentiable=True is not "
                                      f"supported (updates run on the arrays under no_grad)")

    def add_param_group(self, group: Dict[str, Any]) -> None:
        if not isinstance(group, dict):
            raise TypeError(f"{type(self).__name__}: a parameter group must be a dict")
        params = group["params"]
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{type(self).__name__}: parameters must be an ordered "
                            f"collection (list, tuple, generator), not a set: the order "
                            f"must be the same from run to run")
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: a parameter group has no parameters")
        names = None
        if isinstance(params[0], tuple):        # named parameters, as PyTorch 2.13
            if not all(isinstance(x, tuple) and len(x) == 2 for x in params):
                raise ValueError(f"{type(self).__name__}: mix of named (name, tensor) "
                                 f"pairs and plain tensors in one parameter group")
            names = [n for n, _ in params]
            params = [p for _, p in params]
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: can only optimize Tensors, "
                                f"got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__}: can't optimize a non-leaf tensor")
            if id(p) in existing:
                raise ValueError(f"{type(self).__name__}: a parameter appears in more "
                                 f"than one group (or twice)")
            existing.add(id(p))
        g = dict(self.defaults)
        g.update({k: v for k, v in group.items() if k != "params"})
        self._check_hparams(g)
        g["params"] = params
        if names is not None:
            g["param_names"] = names
        self.param_groups.append(g)
        self._init_group_state(g)

    def _init_group_state(self, group) -> None:
        """Hook for optimizers that create their state eagerly (Adagrad)."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every ``.grad`` (``set_to_none``, the default) or, as PyTorch,
        zero it in place (a grad that is part of a graph is replaced by a
        zero leaf)."""
        for g in self.param_groups:
            for p in g["params"]:
                grad = p.grad
                if set_to_none or grad is None:
                    p.grad = None
                elif grad.grad_fn is not None or grad.requires_grad:
                    p.grad = np.zeros_like(p.data)
                else:
                    grad.data[...] = 0
                    grad.mark_modified()

    def step(self, closure=None):
        """One update of every parameter that has a ``.grad``. ``closure``, if
        given, is called (with gradients enabled) first to recompute the loss,
        which is returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._step_group(group)
        return loss

    def _step_group(self, group) -> None:
        for p in group["params"]:
            if p.grad is not None:
                self._step_param(p, group)

    def _step_param(self, p, group) -> None:
        g = p.grad.data
        if g.dtype != p.data.dtype:
            g = g.astype(p.data.dtype)
        if group.get("maximize"):     # .get: a user subclass may not define it
            g = -g
        state = self.state[p]
        try:
            self._update(p, g, state, group)
        finally:
            p.mark_modified()   # also when numpy raised after writing (np.errstate)

    def _update(self, p, g, state, group) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- checkpointing -------------------------------------------------------------
    def state_dict(self) -> Dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``
        with parameters numbered in group order, arrays copied (as PyTorch)."""
        index: Dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            d = {k: (list(v) if isinstance(v, tuple) else v)
                 for k, v in g.items() if k != "params"}
            d["params"] = ids
            groups.append(d)
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore hyper-parameters and per-parameter state saved by ``state_dict``."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the state has "
                             f"{len(saved_groups)} parameter groups, the optimizer "
                             f"{len(self.param_groups)}")
        params_by_index = {}
        for i, (sg, g) in enumerate(zip(saved_groups, self.param_groups)):
            if len(sg["params"]) != len(g["params"]):
                raise ValueError(f"{type(self).__name__}.load_state_dict: group {i} has "
                                 f"{len(sg['params'])} parameters in the state, "
                                 f"{len(g['params'])} in the optimizer")
            for k, p in zip(sg["params"], g["params"]):
                params_by_index[int(k)] = p
        new_state: Dict[Tensor, Dict[str, Any]] = defaultdict(dict)
        for k, st in state_dict["state"].items():
            p = params_by_index.get(int(k))
            if p is None:
                raise ValueError(f"{type(self).__name__}.load_state_dict: state for "
                                 f"unknown parameter index {k}")
            entry = {}
            for name, v in st.items():
                if isinstance(v, Tensor):
                    v = v.data
                if isinstance(v, np.ndarray) and v.ndim > 0:
                    if v.shape != p.shape:
                        raise ValueError(f"{type(self).__name__}.load_state_dict: state "
                                         f"{name!r} of parameter {k} has shape {v.shape}, "
                                         f"the parameter {p.shape}")
                    v = v.astype(p.data.dtype, copy=True)
                elif isinstance(v, np.ndarray):
                    v = v.item()
                entry[name] = v
            new_state[p] = entry
        for sg, g in zip(saved_groups, self.param_groups):
            for key, v in sg.items():
                if key == "params":
                    continue
                if isinstance(v, np.ndarray):
                    v = v.tolist()
                if isinstance(self.defaults.get(key), tuple):
                    v = tuple(v)
                g[key] = copy.deepcopy(v)
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"


def lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start = lerp(start, end, weight)`` in place, rounded as PyTorch's
    ``lerp_``: ``start + w*(end-start)`` for ``|w| < 0.5``, else
    ``end - (end-start)*(1-w)``."""
    d = end - start
    if abs(weight) < 0.5:
        d *= weight
        start += d
    else:
        d *= 1.0 - weight
        np.subtract(end, d, out=start)
