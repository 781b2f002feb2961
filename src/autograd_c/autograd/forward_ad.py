"""Forward-mode AD, PyTorch's ``torch.autograd.forward_ad``::

    with forward_ad.dual_level():
        x = forward_ad.make_dual(primal, tangent)
        y = f(x)
        jvp = forward_ad.unpack_dual(y).tangent      # J(primal) @ tangent

Every op is covered, with no forward rule of its own: the tangent of an op's
output is derived from its VJP by the double-VJP identity. For the VJP
``g(u) = J^T u`` (linear in ``u``), ``J t = d/du <g(u), t>``; so each op
applied to a dual tensor costs one extra forward of the op plus two backward
passes through it (about 3-4x the op itself; reverse mode through the same
program costs about 2x). The rules are therefore the same ones, written once,
that first- and second-order reverse mode use.

While a dual level is open, the engines call ``_propagate`` after every op
(through the grad-mode hook flag, so nothing is paid when no level is open).
Tangents are kept beside the tensors (a table keyed by identity, weakly
held), not in them, and are dropped when the level closes.
"""
from __future__ import annotations

import contextlib
import weakref
from collections import namedtuple

import numpy as np

from .. import _tensor
from ..grad_mode import enable_grad, state

__all__ = ["dual_level", "make_dual", "unpack_dual", "UnpackedDualTensor", "enter_dual_level",
           "exit_dual_level"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])

_levels: list = []            # open levels (their tangent tables), innermost last


class _Level:
    def __init__(self, index) -> None:
        self.index = index
        self.tangents: dict = {}          # id(tensor) -> (weakref, tangent)

    def get(self, t):
        e = self.tangents.get(id(t))
        if e is None or e[0]() is not t:
            return None
        return e[1]

    def set(self, t, tangent):
        key = id(t)
        ref = weakref.ref(t, lambda _r, k=key, tab=self.tangents: tab.pop(k, None))
        self.tangents[key] = (ref, tangent)


def enter_dual_level():
    """Open a new dual level (the context manager ``dual_level`` does this)."""
    level = _Level(len(_levels))
    _levels.append(level)
    state.fwd_ad = _propagate
    return level.index


def exit_dual_level(*, level=None):
    if not _levels:
        raise RuntimeError("exit_dual_level: no dual level is open")
    if level is not None and level != _levels[-1].index:
        raise RuntimeError(f"exit_dual_level: level {level} is not the innermost open level")
    _levels.pop()
    if not _levels:
        state.fwd_ad = None


@contextlib.contextmanager
def dual_level():
    """A scope for dual tensors: tangents made inside are dropped at its end."""
    index = enter_dual_level()
    try:
        yield index
    finally:
        exit_dual_level(level=index)


def _current(who):
    if not _levels:
        raise RuntimeError(f"{who}: no dual level is open; use `with forward_ad.dual_level():`")
    return _levels[-1]


def make_dual(tensor, tangent, *, level=None):
    """A tensor with ``tensor``'s values (sharing its memory) carrying
    ``tangent`` (same shape) at the current dual level."""
    lvl = _current("make_dual")
    if not isinstance(tensor, _tensor.Tensor):
        raise TypeError(f"make_dual: expected a Tensor primal, got {type(tensor).__name__}")
    tan = tangent if isinstance(tangent, _tensor.Tensor) else type(tensor)(np.asarray(tangent))
    if tuple(tan.shape) != tuple(tensor.shape):
        raise ValueError(f"make_dual: tangent of shape {tuple(tan.shape)} for a primal of shape "
                         f"{tuple(tensor.shape)}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"make_dual: the primal must be floating point, got {tensor.dtype}")
    dual = tensor.view(tuple(tensor.shape))          # a view: shares memory and history
    lvl.set(dual, tan.detach() if tan.dtype == tensor.dtype else tan.detach().astype(tensor.dtype))
    return dual


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)``; ``tangent`` is None for a tensor with none."""
    if not _levels or not isinstance(tensor, _tensor.Tensor):
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(tensor.detach() if tensor.requires_grad else tensor,
                              _levels[-1].get(tensor))


def _propagate(op, args, kw, out):
    """After ``out = op(*args, **kw)``: the tangent of ``out`` from the
    tangents of ``args``, by the double-VJP identity (see the module)."""
    if not _levels or out.dtype.kind != "f":
        return
    lvl = _levels[-1]
    tans = [lvl.get(a) if isinstance(a, _tensor.Tensor) else None for a in args]
    if all(t is None for t in tans):
        return
    from .._surface import apply_op
    from .functional import double_vjp
    prev = state.fwd_ad
    state.fwd_ad = None              # the computation below is not itself dual
    try:
        with enable_grad():
            xs = []
            for a, t in zip(args, tans):
                if t is not None:
                    d = a.detach()
                    d.requires_grad_(True)
                    xs.append(d)
                else:
                    xs.append(a.detach() if isinstance(a, _tensor.Tensor) else a)
            y = apply_op(op, xs, kw)
            live = [(x, t) for x, t in zip(xs, tans) if t is not None]
            tangent = double_vjp((y,), [x for x, _ in live], [t for _, t in live])[0] \
                if y.requires_grad else None
    finally:
        state.fwd_ad = prev
    if tangent is None:
        tangent = type(out)(np.zeros(out.shape, out.dtype))
    lvl.set(out, tangent.detach())


def _move_tangent(src, dst):
    """An in-place op wrote ``src``'s value into ``dst``: its tangent too."""
    if _levels:
        tan = _levels[-1].get(src)
        if tan is not None:
            _levels[-1].set(dst, tan)
