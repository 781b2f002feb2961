"""The op table's registry: ``Op`` objects and the ``@op`` decorator.

An op is one entry: a namespace class with ``forward`` and ``backward``
(written once, used by both engines, first and higher order), plus how it is
exposed (module function, Tensor method, operator dunders, numpy functions it
stands for). ``autograd_c._surface`` generates the public API from these
entries; nothing else lists the ops.

Rule contract (both engines, every order):

    forward(*arrays, **params) -> (out_array, ctx)
    backward(ctx, g, needs)    -> one gradient (or None) per input

- ``ctx`` may hold (a) the very input arrays passed to ``forward`` whose
  positions are listed in ``saves``, (b) the output array when
  ``saves_output`` is set, and (c) data that does not depend differentiably
  on the inputs (shapes, dims, boolean masks, index arrays). The engines
  version-check (a) and (b) before the VJP runs; under ``create_graph`` they
  hand the VJP Tensors in place of (a) and (b) (found in ``ctx`` by identity).
- ``backward`` is written with numpy functions and array methods that
  ``Tensor`` also implements (``np.multiply``, ``g.sum(axis=...)``,
  ``np.where``...) or with other ops called like functions (``reduce.sum(g,
  dim=1)``): on arrays that is plain numpy at full speed; on Tensors (under
  ``create_graph``) every step is recorded, so the VJP is differentiable
  again. No rule is written twice.
"""
from __future__ import annotations

import inspect

from ._helpers import is_tensor as _is_tensor

__all__ = ["Op", "REGISTRY", "COMPOSITES", "op", "composite"]


class Op:
    """One differentiable operation and its public names.

    ``saves``: input positions whose arrays the VJP reads (version-checked;
    ``saves_for`` narrows that to when given inputs need gradients);
    ``saves_output``: the VJP reads the op's own output. ``nin``: number of
    tensor inputs (-1: variadic, ``forward(*arrays, ...)``). The surface
    fields are read by ``autograd_c._surface``.
    """

    __slots__ = ("name", "forward", "backward", "saves", "saves_mask", "saves_for", "saves_output",
                 "keeps_nothing", "nin",
                 "params", "methods", "functions", "dunders", "rdunders", "view", "parse",
                 "numpy", "doc", "_apply_fn", "promote")

    def __init__(self, name, forward, backward, saves=(), saves_output=False, *,
                 saves_for=None, methods=(), functions=(), dunders=(), rdunders=(), view=False,
                 parse=None, numpy=(), doc=None):
        init = object.__setattr__
        init(self, "name", name)
        init(self, "forward", forward)
        init(self, "backward", backward)
        init(self, "saves", tuple(saves))
        # the positions below 64 as bits, for the compiled engine
        init(self, "saves_mask", sum(1 << i for i in set(self.saves) if i < 64))
        init(self, "saves_output", bool(saves_output))
        # a VJP that reads no input and no output can run again after a
        # backward without retain_graph (PyTorch frees only saved tensors):
        # its node keeps its small ctx and its edges
        init(self, "keeps_nothing", not self.saves and not self.saves_output)
        # saves_for={i: (j, ...)}: saved input i is read only for the gradients
        # of inputs j (mul keeps a only for b's gradient); the engines then
        # version-check it only when one of those requires grad, as PyTorch
        # saves only what the gradients asked for need. As bit masks per input.
        masks = [(1 << 64) - 1] * (max(self.saves, default=-1) + 1)
        for i, js in (saves_for or {}).items():
            masks[i] = sum(1 << j for j in js if j < 64)
        init(self, "saves_for", tuple(masks))
        public = bool(methods or functions or dunders or rdunders or parse or numpy)
        nin, params = _signature_of(forward) if public else (-1, ())
        init(self, "nin", nin)
        init(self, "params", params)
        init(self, "methods", tuple(methods))
        init(self, "functions", tuple(functions))
        init(self, "dunders", tuple(dunders))
        init(self, "rdunders", tuple(rdunders))
        init(self, "view", bool(view))
        init(self, "parse", parse)
        init(self, "numpy", tuple(numpy))
        init(self, "doc", doc)
        init(self, "_apply_fn", None)
        # input positions promoted together to PyTorch's result dtype, or
        # None (set from autograd_c.dtypes by set_promotion)
        init(self, "promote", None)

    def __setattr__(self, name, value):
        raise AttributeError(f"op {self.name!r}: Op objects are immutable; build a new Op")

    def __delattr__(self, name):
        raise AttributeError(f"op {self.name!r}: Op objects are immutable")

    def __repr__(self):
        return f"<op {self.name}>"

    def __call__(self, *args, **kw):
        """Run the op from another op's rule: on plain arrays, the forward
        alone (no graph, full speed); with a Tensor among the inputs, through
        its engine, recorded (this is what makes VJPs differentiable)."""
        fn = self._apply_fn
        if fn is not None:
            for a in args:
                if _is_tensor(a):
                    return fn(self, args, kw)
        return self.forward(*args, **kw)[0]


def _signature_of(forward):
    """(number of tensor inputs or -1 if variadic, names of the parameters)."""
    sig = inspect.signature(forward)
    nin = 0
    params = []
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            nin = -1
        elif p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD and nin >= 0:
            nin += 1
        elif not p.name.startswith("_"):
            params.append(p.name)
    return nin, tuple(params)


REGISTRY: dict = {}


def op(name, saves=(), saves_output=False, **surface):
    """Register the ``forward``/``backward`` pair of the decorated namespace
    class as op ``name``; ``surface`` names how it is exposed (see ``Op``)."""

    def deco(cls):
        if name in REGISTRY:
            raise ValueError(f"op {name!r} is registered twice")
        entry = Op(name, cls.forward, cls.backward, saves, saves_output,
                   doc=surface.pop("doc", cls.__doc__), **surface)
        REGISTRY[name] = entry
        return entry

    return deco


def set_apply(fn):
    """Let ops called as functions inside rules record on Tensors (set once by
    the package: ``fn(op, args, kw)`` runs ``op`` through the args' engine)."""
    for entry in REGISTRY.values():
        object.__setattr__(entry, "_apply_fn", fn)


def set_promotion(positions_of):
    """Record on every op the input positions its type promotion covers:
    ``positions_of(name)`` is a tuple or None (``dtypes.promotion_of``)."""
    for entry in REGISTRY.values():
        object.__setattr__(entry, "promote", positions_of(entry.name))


#: public functions built from ops (differentiable to any order because they
#: only call ops): name -> (function, methods, functions)
COMPOSITES: dict = {}


def composite(methods=(), functions=()):
    """Register a public function written with ops (no VJP of its own): its
    gradient, of any order, comes from the ops it calls."""

    def deco(fn):
        COMPOSITES[fn.__name__] = (fn, tuple(methods), tuple(functions))
        return fn

    return deco
