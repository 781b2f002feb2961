"""``autograd_c.autograd``: PyTorch's ``torch.autograd`` layout.

``Function`` (custom ops), ``grad`` and ``backward`` (torch's signatures),
``functional`` (jacobian, hessian, vjp, jvp, hvp, vhp) and the grad-mode
switches. The HIPS-style ``autograd_c.grad(f)`` / ``value_and_grad`` /
``vjp`` stay at the top level.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from .. import _tensor
from .._graph import Capture
from ..function import Function, FunctionCtx
from ..grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from . import forward_ad, functional

__all__ = ["Function", "FunctionCtx", "grad", "backward", "functional", "forward_ad", "no_grad", "enable_grad",  # noqa: E501
           "set_grad_enabled", "is_grad_enabled"]

Tensors = Union["_tensor.Tensor", Sequence["_tensor.Tensor"]]


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _root(outputs, grad_outputs, who):
    """One output and its seed for the engine: the output itself when there
    is one; else the scalar sum over i of <output_i, grad_output_i> (whose
    gradient is exactly the sum of the vector-Jacobian products)."""
    outputs = _as_tuple(outputs)
    if not outputs:
        raise ValueError(f"{who}: no outputs given")
    gos = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outputs)
    if len(gos) != len(outputs):
        raise ValueError(f"{who}: got {len(gos)} grad_outputs for {len(outputs)} outputs")
    for o in outputs:
        if not isinstance(o, _tensor.Tensor):
            raise TypeError(f"{who}: outputs must be Tensors, got {type(o).__name__}")
    live = [(o, g) for o, g in zip(outputs, gos) if o.requires_grad]
    if not live:
        raise RuntimeError(f"{who}: element 0 of tensors does not require grad and does not "
                           f"have a grad_fn")
    if len(live) == 1:
        return live[0]
    total = None
    for o, g in live:
        if g is None:
            if o.data.size != 1:
                raise RuntimeError(f"{who}: grad can be implicitly created only for scalar "
                                   f"outputs; pass grad_outputs for the output of shape "
                                   f"{tuple(o.shape)}")
            term = o.sum()
        else:
            term = (o * g).sum()
        total = term if total is None else total + term
    return total, None


def grad(outputs: Tensors, inputs: Tensors, grad_outputs=None, retain_graph: Optional[bool] = None,
         create_graph: bool = False, allow_unused: Optional[bool] = None,
         is_grads_batched: bool = False, materialize_grads: bool = False):
    """Gradients of ``outputs`` with respect to ``inputs`` (a tuple of Tensors,
    one per input), without touching any ``.grad``. ``create_graph=True``
    records the computation so the result can be differentiated again;
    ``retain_graph`` defaults to ``create_graph``. An input the outputs do not
    depend on raises unless ``allow_unused`` (then None, or zeros with
    ``materialize_grads``)."""
    if is_grads_batched:
        raise NotImplementedError("autograd.grad: is_grads_batched is not supported")
    single = not isinstance(inputs, (tuple, list))  # noqa: F841
    ins = _as_tuple(inputs)
    for i, x in enumerate(ins):
        if not isinstance(x, _tensor.Tensor):
            raise TypeError(f"autograd.grad: inputs[{i}] is a {type(x).__name__}, not a Tensor")
        if not x.requires_grad:
            raise RuntimeError(f"autograd.grad: inputs[{i}] (shape {tuple(x.shape)}) does not "
                               f"require grad")
    if allow_unused is None:
        allow_unused = materialize_grads
    out, go = _root(outputs, grad_outputs, "autograd.grad")
    if retain_graph is None:
        retain_graph = create_graph
    targets = [x if x._node is None else x._node for x in ins]
    cap = Capture(targets)
    type(out)._engine.backward(out, go, bool(retain_graph), bool(create_graph), cap)
    res = []
    for i, (x, t) in enumerate(zip(ins, targets)):
        g = cap.get(t)
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"autograd.grad: inputs[{i}] (shape {tuple(x.shape)}) was not used to "
                    f"compute the outputs; pass allow_unused=True to get None for it")
            res.append(type(x)(np.zeros(x.shape, x.dtype)) if materialize_grads else None)
            continue
        if not isinstance(g, _tensor.Tensor):
            g = type(x)(np.asarray(g, dtype=x.dtype))
        elif g.dtype != x.dtype:
            g = g.astype(x.dtype)
        res.append(g)
    return tuple(res)


def backward(tensors: Tensors, grad_tensors=None, retain_graph: Optional[bool] = None,
             create_graph: bool = False, inputs=None):
    """``torch.autograd.backward``: accumulate into the leaves' ``.grad``."""
    out, go = _root(tensors, grad_tensors, "autograd.backward")
    out.backward(go, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)


def _backward_inputs(out, gradient, retain_graph, create_graph, inputs):
    """``t.backward(inputs=...)``: accumulate only into ``inputs``' ``.grad``."""
    ins = _as_tuple(inputs)
    gs = grad(out, ins, gradient, retain_graph, create_graph, allow_unused=True)
    from .._graph import accumulate_grad
    for x, g in zip(ins, gs):
        if g is not None:
            accumulate_grad(x, g)
