"""Functional API in the style of HIPS autograd / JAX: ``grad``, ``value_and_grad``, ``vjp``.

The wrapped function ``f`` receives fresh leaf Tensors (of the active engine)
in place of the differentiated arguments and must return a Tensor; the wrappers
take and return plain NumPy arrays::

    df = autograd_c.grad(lambda w, x: ((x @ w).tanh() ** 2).sum())
    dw = df(w_array, x_array)                 # ndarray of w_array's shape

Guarantees:

- the ``.grad`` of every tensor the user owns (e.g. parameters captured in
  ``f``'s closure) is left exactly as it was, and the user's existing graph is
  not freed. How: the arguments hang from one private "gate" node that every
  gradient path to them crosses; a node runs only after all its consumers
  delivered, so when the gate runs every requested gradient has arrived, and
  it stops the pass before the engine commits any leaf gradient (both engines
  commit leaf gradients only at the end of a pass). Backward runs with
  ``retain_graph=True``;
- inside ``f`` the differentiated arguments are Tensors that require grad
  (not leaves: they hang from the gate), everything else is passed as is;
- ``f`` runs with gradient recording enabled even inside ``no_grad()``
  (like ``torch.func``);
- a gradient with respect to an argument the output does not depend on is an
  array of zeros of that argument's shape and dtype (JAX behaviour);
- only floating-point arguments can be differentiated (integers and booleans
  raise ``TypeError``, like JAX); float32 stays float32.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Sequence, Tuple, Union

import numpy as np

from . import _tensor
from . import engines as _engines
from .grad_mode import enable_grad
from .ops import Op

__all__ = ["grad", "value_and_grad", "vjp"]

Argnums = Union[int, Sequence[int]]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def _norm_argnums(argnums, nargs, fname):
    """(tuple of non-negative positions, whether the caller passed a tuple)."""
    is_seq = isinstance(argnums, (tuple, list))
    items = tuple(argnums) if is_seq else (argnums,)
    if is_seq and not items:
        raise ValueError(f"{fname}(): argnums must not be empty")
    out = []
    for a in items:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{fname}(): argnums must be an int or a tuple of ints, "
                            f"got {argnums!r}")
        if not -nargs <= a < nargs:
            raise ValueError(f"{fname}(): argnums {a} is out of range: the function was "
                             f"called with {nargs} positional argument(s)")
        out.append(int(a) % nargs)
    if len(set(out)) != len(out):
        raise ValueError(f"{fname}(): repeated position in argnums {argnums!r}")
    return tuple(out), is_seq


class _Collected(Exception):
    """Raised inside backward once every requested gradient has arrived.

    Both engines commit leaf gradients only after a backward pass completed,
    so aborting the pass here leaves every leaf's ``.grad`` untouched.
    """


class _Box:
    """Per-call state shared by the input nodes: gradients collected so far."""

    __slots__ = ("grads", "active")

    def __init__(self):
        self.grads = {}
        self.active = False     # True only during this call's own backward pass


_ZERO = np.zeros(())


def _passthrough(*arrays, _result):
    return _result


def _gate_backward(box, g, needs):
    # every path from the output to an argument goes through this node, and a
    # node runs only once all its consumers have delivered: nothing more can
    # reach our arguments, so stop before the engine commits any leaf gradient
    if box.active:
        raise _Collected(box)
    return (None,)      # reached by somebody else's backward (nested use): pass nothing



def _arg_backward(ctx, g, needs):
    box, i, dtype = ctx
    if box.active:
        box.grads[i] = np.array(g, dtype=dtype, copy=True)
    return (_ZERO,)


def _root_backward(ctx, g, needs):
    return (g if needs[0] else None, _ZERO)


# Graph shape for one call (names are what a profiler table shows):
#   dummy leaf -> [functional.gate] -> hub -> [functional.arg] -> argument i (one per argnum)
#   f's output, hub -> [functional.output] -> root (the output's data, unchanged)
# The hub always receives a (zero) gradient from the root, so the gate always runs.
_GATE = Op("functional.gate", _passthrough, _gate_backward)
_ARG = Op("functional.arg", _passthrough, _arg_backward)
_ROOT = Op("functional.output", _passthrough, _root_backward)


class _Inputs:
    """The differentiable arguments of one call and the hub they hang from."""

    __slots__ = ("engine", "hub", "box", "tensors", "lock")

    def __init__(self, engine, arrays):
        self.engine = engine
        self.box = _Box()
        # one box per call site: calls (a vjp_fn used from several threads)
        # take turns; reentrant so a nested call in the same thread works
        self.lock = threading.RLock()
        with enable_grad():
            dummy = engine.Tensor(_ZERO, requires_grad=True)
            self.hub = engine.apply(_GATE, (dummy,), {"_result": (_ZERO, self.box)})
            self.tensors = [
                engine.apply(_ARG, (self.hub,), {"_result": (a, (self.box, i, a.dtype))})
                for i, a in enumerate(arrays)]

    def root(self, out):
        """A tensor equal to ``out`` whose graph also reaches the hub."""
        data = out.data if isinstance(out, _tensor.Tensor) else out
        with enable_grad():
            return self.engine.apply(_ROOT, (out, self.hub), {"_result": (data, None)})

    def grads(self, root, seed):
        """Gradients of ``root`` (contracted with ``seed``) for every argument."""
        box = self.box
        with self.lock:
            outer = box.grads, box.active       # a nested call of the same vjp_fn
            box.grads = {}
            box.active = True
            try:
                root.backward(seed, retain_graph=True)
            except _Collected as e:
                if e.args[0] is not box:       # another call's pass, running inside ours
                    raise
            else:  # pragma: no cover - the gate always runs
                raise RuntimeError("autograd_c functional: backward finished without reaching "
                                   "the inputs")
            finally:
                got = box.grads
                box.grads, box.active = outer
        return tuple(got[i] if i in got else np.zeros(t.shape, dtype=t.dtype)
                     for i, t in enumerate(self.tensors))

    def zeros(self):
        return tuple(np.zeros(t.shape, dtype=t.dtype) for t in self.tensors)


def _to_array(x, fname, pos):
    """A float array copy of argument ``x`` (ints and bools raise TypeError)."""
    if isinstance(x, _tensor.Tensor):
        x = x.data
    try:
        arr = np.array(x, copy=True)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{fname}(): argument {pos} ({type(x).__name__}) cannot be "
                        f"converted to an array: {e}") from None
    if arr.dtype.kind != "f":
        raise TypeError(
            f"{fname}(): argument {pos} has dtype {arr.dtype}; gradients are only defined "
            f"for floating-point inputs (pass e.g. 3.0 instead of 3, or x.astype(float))")
    return arr


def _call(f, args, kwargs, positions, fname):
    """Run ``f`` with fresh differentiable tensors at ``positions``; return (output, inputs)."""
    arrays = [_to_array(args[p], fname, p) for p in positions]
    inputs = _Inputs(_engines.current, arrays)
    args = list(args)
    for p, t in zip(positions, inputs.tensors):
        args[p] = t
    with enable_grad():
        out = f(*args, **kwargs)
    return out, inputs


def _output(out, fname):
    """The function's result as a Tensor, or as a constant array."""
    return _tensor.single_output(out, f"{fname}(): the function")


def _scalar_output(out, fname):
    out = _output(out, fname)
    shape = tuple(out.shape)
    if shape != ():
        raise TypeError(f"{fname}(): the function must return a scalar (shape ()) output to "
                        f"be differentiated; got an output of shape {shape}. Reduce it "
                        f"(e.g. .sum()) or use autograd_c.vjp for non-scalar outputs")
    if out.dtype.kind != "f":
        raise TypeError(f"{fname}(): the function's output has dtype {out.dtype}; only "
                        f"floating-point outputs can be differentiated")
    return out


def _value_and_grads(f, argnums, args, kwargs, fname):
    positions, is_seq = _norm_argnums(argnums, len(args), fname)
    out, inputs = _call(f, args, kwargs, positions, fname)
    out = _scalar_output(out, fname)
    if isinstance(out, _tensor.Tensor) and out.requires_grad:
        grads = inputs.grads(inputs.root(out), None)
        value = out.data
    else:
        grads = inputs.zeros()
        value = out.data if isinstance(out, _tensor.Tensor) else out
    value = np.array(value)[()]            # NumPy scalar of the output's dtype
    return value, (grads if is_seq else grads[0])


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------

def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The gradient function of the scalar-valued ``f``.

    ``grad(f, argnums)(*args, **kwargs)`` returns d f / d args[argnums] as an
    ndarray of that argument's shape and dtype, or a tuple of ndarrays when
    ``argnums`` is a tuple. Arguments not in ``argnums`` (and keyword
    arguments) are passed through unchanged. ``f`` must return a Tensor of
    shape () (a ``TypeError`` names the shape otherwise).
    """

    def grad_f(*args, **kwargs):
        return _value_and_grads(f, argnums, args, kwargs, "grad")[1]

    _wrap(grad_f, f, "grad")
    return grad_f


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """Like ``grad`` but returns ``(value, gradient)``.

    ``value`` is ``f``'s output as a NumPy scalar of its dtype (np.float64 is a
    Python float; np.float32 stays float32).
    """

    def value_and_grad_f(*args, **kwargs):
        return _value_and_grads(f, argnums, args, kwargs, "value_and_grad")

    _wrap(value_and_grad_f, f, "value_and_grad")
    return value_and_grad_f


class _VJP:
    """The ``vjp_fn`` returned by ``vjp``: callable any number of times."""

    __slots__ = ("_shape", "_dtype", "_root", "_inputs", "__weakref__")

    def __init__(self, out, inputs):
        self._shape = tuple(out.shape)
        self._dtype = out.dtype
        self._inputs = inputs
        # None when the output does not depend on anything differentiable
        self._root = (inputs.root(out) if isinstance(out, _tensor.Tensor) and out.requires_grad
                      else None)

    def __call__(self, cotangent) -> Tuple[np.ndarray, ...]:
        if isinstance(cotangent, _tensor.Tensor):
            cotangent = cotangent.data
        ct = np.asarray(cotangent)
        if ct.shape != self._shape:
            raise ValueError(f"vjp_fn(): cotangent has shape {ct.shape}, but the function's "
                             f"output has shape {self._shape}")
        if ct.dtype.kind not in "fiub":
            raise TypeError(f"vjp_fn(): cotangent must be a real array, got dtype {ct.dtype}")
        if self._root is None:
            return self._inputs.zeros()
        seed = np.array(ct, dtype=self._dtype)      # our own copy: the engine may keep it
        return self._inputs.grads(self._root, seed)

    def __repr__(self):
        return f"<vjp_fn of an output of shape {self._shape}>"


def vjp(f: Callable[..., Any], *primals) -> Tuple[np.ndarray, Callable[..., Tuple[np.ndarray, ...]]]:  # noqa: E501
    """Evaluate ``f(*primals)`` and return ``(out, vjp_fn)``.

    ``out`` is the output as an ndarray (a copy); ``vjp_fn(cotangent)``, with a
    cotangent of ``out``'s shape, returns a tuple with one ndarray per primal:
    ``cotangent . d out / d primal``. ``vjp_fn`` can be called many times; it
    keeps the graph alive only as long as it is referenced itself.
    """
    if not primals:
        raise TypeError("vjp(): need at least one primal argument")
    out, inputs = _call(f, primals, {}, tuple(range(len(primals))), "vjp")
    out = _output(out, "vjp")
    out_arr = out.data if isinstance(out, _tensor.Tensor) else out
    return np.array(out_arr, copy=True), _VJP(out, inputs)


def _wrap(wrapper, f, kind):
    name = getattr(f, "__name__", type(f).__name__)
    wrapper.__name__ = f"{kind}_{name}"
    wrapper.__qualname__ = wrapper.__name__
    wrapper.__doc__ = f"{kind} of {name}" + (f":\n\n{f.__doc__}" if getattr(f, "__doc__", None)
                                             else "")
    wrapper.__wrapped__ = f
