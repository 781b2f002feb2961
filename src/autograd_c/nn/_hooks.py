"""Module backward hooks: identity ``Function``s around a module's inputs and
outputs see the gradients flowing through them and call the hooks."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..function import Function


class _OutputIdentity(Function):
    @staticmethod
    def forward(ctx, x, state, k):
        ctx.state, ctx.k = state, k
        return x

    @staticmethod
    def backward(ctx, g):
        return ctx.state.output_grad(ctx.k, g), None, None


class _InputIdentity(Function):
    @staticmethod
    def forward(ctx, x, state, j):
        ctx.state, ctx.j = state, j
        return x

    @staticmethod
    def backward(ctx, g):
        return ctx.state.input_grad(ctx.j, g), None, None


class BackwardHookState:
    """One module call's backward-hook bookkeeping."""

    def __init__(self, module, hooks, pre_hooks):
        self.module = module
        self.hooks = [h for h, _ in hooks]
        self.pre_hooks = [h for h, _ in pre_hooks]
        self.grad_inputs = []
        self.grad_outputs = []
        self.n_in = self.n_out = 0
        self.got_in = self.got_out = 0

    def wrap_inputs(self, args):
        args = list(args)
        pos = [i for i, a in enumerate(args) if isinstance(a, (Tensor, np.ndarray))]
        self.grad_inputs = [None] * len(pos)
        self.n_in = 0
        for j, i in enumerate(pos):
            if isinstance(args[i], Tensor) and args[i].requires_grad:
                args[i] = _InputIdentity.apply(args[i], self, j)
                self.n_in += 1
        return tuple(args)

    def wrap_outputs(self, out):
        single = isinstance(out, Tensor)
        outs = [out] if single else list(out) if isinstance(out, (tuple, list)) else None
        if outs is None:
            return out
        self.grad_outputs = [None] * len(outs)
        self.n_out = 0
        for k, o in enumerate(outs):
            if isinstance(o, Tensor) and o.requires_grad:
                outs[k] = _OutputIdentity.apply(o, self, k)
                self.n_out += 1
        if single:
            return outs[0]
        return type(out)(outs) if isinstance(out, tuple) and type(out) is tuple \
            else (type(out)(*outs) if isinstance(out, tuple) else outs)

    def output_grad(self, k, g):
        self.grad_outputs[k] = g
        self.got_out += 1
        if self.got_out < self.n_out:
            return g
        self.got_out = 0
        for hook in self.pre_hooks:
            res = hook(self.module, tuple(self.grad_outputs))
            if res is not None:
                self.grad_outputs = list(res if isinstance(res, (tuple, list)) else (res,))
        g = self.grad_outputs[k]
        if self.n_in == 0:                    # no input needs a gradient: hooks see None
            self._call_hooks()
        return g

    def input_grad(self, j, g):
        self.grad_inputs[j] = g
        self.got_in += 1
        if self.got_in < self.n_in:
            return g
        self.got_in = 0
        self._call_hooks()
        return self.grad_inputs[j]

    def _call_hooks(self):
        for hook in self.hooks:
            res = hook(self.module, tuple(self.grad_inputs), tuple(self.grad_outputs))
            if res is not None:
                res = list(res if isinstance(res, (tuple, list)) else (res,))
                if len(res) != len(self.grad_inputs):
                    raise RuntimeError(f"backward hook returned {len(res)} gradients; "
                                       f"expected {len(self.grad_inputs)}")
                self.grad_inputs = res
