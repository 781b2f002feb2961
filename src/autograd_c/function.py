"""User-defined differentiable operations, PyTorch style.

::

    class Cube(autograd_c.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    y = Cube.apply(x)

Semantics (as ``torch.autograd.Function``):

- ``forward(ctx, *args)`` receives the Tensors passed to ``apply`` (and any
  non-tensor arguments as they are) and runs with gradient recording off. It
  must return ONE Tensor (or an array); multiple outputs are not supported.
- ``backward(ctx, grad_output)`` receives the output's gradient as a Tensor
  and returns one gradient per forward argument (a Tensor, an ndarray, a
  number, or None); a single gradient may be returned bare when forward took
  one argument. A gradient must have exactly its input's shape; a wrong count
  or shape raises an error naming the Function and the shapes. Gradients for
  non-tensor arguments must be None. ``backward`` also runs with recording off
  (no double backward).
- ``ctx.save_for_backward(*tensors)`` / ``ctx.saved_tensors``: tensors saved
  this way are version-checked: modifying one in place between forward and
  backward makes backward raise. Saving the output is allowed.
- ``ctx.needs_input_grad``: one bool per forward argument.
- ``ctx.mark_non_differentiable(output)``: the result will not require grad.
- any other attribute can be stored on ``ctx`` (``ctx.axis = 1``).

Integration: each ``apply`` builds an ``ops.Op`` whose forward hands back the
already computed output and whose backward calls the user's ``backward``; it
is run through the engine's ``apply``, so both engines record it like any
built-in op (and the engines check the versions of saved inputs).
"""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from . import _tensor
from .grad_mode import no_grad
from .ops import Op

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """The ``ctx`` object passed to a custom Function's forward and backward."""

    def __init__(self, fn_cls, engine, needs_input_grad) -> None:
        self._fn_cls = fn_cls
        self._engine = engine
        self.needs_input_grad: Tuple[bool, ...] = needs_input_grad
        self._to_save: Tuple[Any, ...] = ()
        self._saved: Tuple[Any, ...] = ()           # (tensor or None, version) pairs
        self._saved_output_pos: Tuple[int, ...] = ()
        self._output = None
        self._non_diff: Tuple[Any, ...] = ()
        self._input_shapes: Tuple[Any, ...] = ()      # shape per argument (None: not a Tensor)
        self._input_dtypes: Tuple[Any, ...] = ()

    # -- forward side ----------------------------------------------------
    def save_for_backward(self, *tensors) -> None:
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, _tensor.Tensor):
                raise TypeError(
                    f"{self._fn_cls.__name__}: save_for_backward() takes Tensors (or None); "
                    f"argument {i} is a {type(t).__name__}. Store other values as ctx "
                    f"attributes (ctx.name = value)")
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_diff = self._non_diff + tensors

    def _freeze(self, output):
        """Record the versions of the saved tensors once forward has returned."""
        saved = []
        out_pos = []
        for i, t in enumerate(self._to_save):
            if t is not None and t is output:
                out_pos.append(i)
                saved.append((t, None))
            else:
                saved.append((t, None if t is None else t._version))
        self._saved = tuple(saved)
        self._saved_output_pos = tuple(out_pos)
        self._to_save = ()

    # -- backward side ---------------------------------------------------
    @property
    def saved_tensors(self) -> Tuple[Any, ...]:
        self._check_versions()
        return tuple(t for t, _ in self._saved)

    def _check_versions(self):
        for i, (t, version) in enumerate(self._saved):
            if version is not None and t._version != version:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an in-place operation: saved tensor {i} of Function "
                    f"'{self._fn_cls.__name__}' (shape {tuple(t.shape)}, dtype {t.dtype}) "
                    f"is at version {t._version}; expected version {version}")


def _forward_passthrough(*arrays, _result):
    """The Op's forward: the output was already computed by the user's forward."""
    return _result


def _function_backward(ctx: FunctionCtx, g, needs):
    cls = ctx._fn_cls
    name = cls.__name__
    ctx._check_versions()
    engine = ctx._engine
    shapes = ctx._input_shapes
    n = len(shapes)
    with no_grad():
        g_t = engine.Tensor(g)
        res = cls.backward(ctx, g_t)
    if not isinstance(res, tuple):
        if isinstance(res, list):
            res = tuple(res)
        elif n == 1:
            res = (res,)
        else:
            raise RuntimeError(
                f"Function {name}.backward returned a single gradient, but forward took {n} "
                f"arguments: return a tuple with one gradient (or None) per argument")
    if len(res) != n:
        extra = res[n:] if len(res) > n else ()
        if not (len(res) > n and all(r is None for r in extra)):
            raise RuntimeError(
                f"Function {name}.backward returned an incorrect number of gradients "
                f"(expected {n}, one per forward argument, got {len(res)})")
        res = res[:n]
    out: list = []
    for i, r in enumerate(res):
        shape = shapes[i]
        if r is None:
            out.append(None)
            continue
        if shape is None:
            raise RuntimeError(
                f"Function {name}.backward returned a gradient different from None for "
                f"argument {i}, but that forward argument was not a Tensor")
        if not needs[i]:
            out.append(None)
            continue
        if isinstance(r, _tensor.Tensor):
            r = r.data
        arr = np.asarray(r)
        if arr.dtype.kind not in "fiub":
            raise TypeError(f"Function {name}.backward returned a gradient of dtype "
                            f"{arr.dtype} for argument {i}")
        if arr.shape != shape:
            raise RuntimeError(
                f"Function {name}.backward returned an invalid gradient for argument {i}: "
                f"got shape {arr.shape} but the input has shape {shape}")
        dtype = ctx._input_dtypes[i]
        if arr.dtype != dtype:
            arr = arr.astype(dtype)
        out.append(arr)
    return tuple(out)


class Function:
    """Base class for custom differentiable operations (see the module docstring).

    Subclass it, define static ``forward(ctx, *args)`` and
    ``backward(ctx, grad_output)``, and call ``MyFunction.apply(*args)``.
    Only a single Tensor output is supported.
    """

    def __init__(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__name__}: custom Functions are not instantiated; "
                           f"call {type(self).__name__}.apply(...)")

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        raise NotImplementedError("a custom Function must define a static forward(ctx, *args)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        raise NotImplementedError("a custom Function must define a static "
                                  "backward(ctx, grad_output)")

    @classmethod
    def apply(cls, *args):
        name = cls.__name__
        engine = _tensor.engine_for(args)
        base = _tensor.Tensor
        for a in args:
            if isinstance(a, base) and type(a)._engine is not engine:
                raise TypeError(f"Function {name}: cannot mix tensors of the "
                                f"{type(a)._engine.name!r} and {engine.name!r} engines")
        needs = tuple(isinstance(a, base) and a.requires_grad for a in args)
        ctx = FunctionCtx(cls, engine, needs)
        with no_grad():
            result = cls.forward(ctx, *args)
        result = _tensor.single_output(result, f"Function {name}.forward")
        if isinstance(result, base):
            if type(result)._engine is not engine:
                raise TypeError(f"Function {name}.forward returned a tensor of the "
                                f"{type(result)._engine.name!r} engine; its inputs are on "
                                f"the {engine.name!r} engine")
            out_data = result.data
        else:
            out_data, result = result, None
        ctx._freeze(result)
        ctx._input_shapes = tuple(tuple(a.shape) if isinstance(a, base) else None for a in args)
        ctx._input_dtypes = tuple(a.dtype if isinstance(a, base) else None for a in args)
        if result is not None and any(t is result for t in ctx._non_diff):
            return engine.Tensor(out_data)
        saved_ids = {id(t) for t, _ in ctx._saved if t is not None}
        saves = tuple(i for i, a in enumerate(args) if isinstance(a, base) and id(a) in saved_ids)
        op = Op(f"{name}Backward", _forward_passthrough, _function_backward, saves=saves,
                saves_output=bool(ctx._saved_output_pos))
        return engine.apply(op, args, {"_result": (out_data, ctx)})
