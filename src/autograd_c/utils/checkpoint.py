"""Activation checkpointing: ``checkpoint(fn, *args)`` runs ``fn`` without
keeping its intermediate results, and runs it again during backward to get
them, trading compute for memory (PyTorch's ``torch.utils.checkpoint``).

How: a custom ``Function`` whose forward runs ``fn`` under ``no_grad`` (no
graph, so no saved intermediates) and keeps only the inputs; its backward
re-runs ``fn`` on detached copies of the inputs with recording on and
backpropagates the incoming gradient through that fresh graph: parameters
used inside ``fn`` get their ``.grad`` from that inner pass, the inputs'
gradients are returned to the outer pass. The random state is not replayed:
``fn`` must be deterministic (no dropout) for the recomputation to match.
"""
from __future__ import annotations

from .. import _tensor
from ..function import Function
from ..grad_mode import enable_grad

__all__ = ["checkpoint", "checkpoint_sequential"]


class _Checkpoint(Function):
    @staticmethod
    def forward(ctx, fn, *args):
        ctx.fn = fn
        ctx.save_for_backward(*[a for a in args if isinstance(a, _tensor.Tensor)])
        ctx.args = args
        return fn(*args)

    @staticmethod
    def backward(ctx, grad):
        saved = iter(ctx.saved_tensors)          # version-checked
        args = []
        for a in ctx.args:
            if isinstance(a, _tensor.Tensor):
                t = next(saved)
                d = t.detach()
                d.requires_grad_(t.requires_grad)
                args.append(d)
            else:
                args.append(a)
        with enable_grad():
            out = ctx.fn(*args)
        if not isinstance(out, _tensor.Tensor):
            raise TypeError("checkpoint: the function must return a single Tensor")
        if out.requires_grad:
            out.backward(grad)
        grads = [a.grad if isinstance(a, _tensor.Tensor) and a.requires_grad else None
                 for a in args]
        return (None, *grads)


def checkpoint(function, *args, use_reentrant=False, preserve_rng_state=True,
               determinism_check="default", debug=False, **kwargs):
    """``function(*args)``, recomputed during backward instead of keeping
    its intermediate activations. Gradients are the same as without
    checkpointing. ``use_reentrant`` is accepted for PyTorch compatibility
    (both settings run the recomputation as described in the module)."""
    if kwargs:
        inner = function

        def function(*a):  # noqa: F811
            return inner(*a, **kwargs)
    return _Checkpoint.apply(function, *args)


def checkpoint_sequential(functions, segments, input, use_reentrant=False, **kwargs):
    """Run a sequence of modules in ``segments`` checkpointed chunks."""
    fns = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = max(1, -(-len(fns) // max(1, segments)))

    def run(chunk):
        def f(x):
            for g in chunk:
                x = g(x)
            return x
        return f

    for i in range(0, len(fns), size):
        input = checkpoint(run(fns[i:i + size]), input, use_reentrant=use_reentrant)
    return input
