"""Functional API in the style of HIPS autograd / JAX: ``grad``, ``value_and_grad``, ``vjp``.

The wrapped function ``f`` receives fresh leaf Tensors (of the active engine)
in place of the differentiated arguments and must return a Tensor; the wrappers
take and return plain NumPy arrays::

    df = autograd_c.grad(lambda w, x: ((x @ w).tanh() ** 2).sum())
    dw = df(w_array, x_array)                 # ndarray of w_array's shape

Guarantees:

- the ``.grad`` of every tensor the user owns (e.g. parameters captured in
  ``f``'s closure) is left exactly as it was, and the user's existing graph is
  not freed (backward always runs with ``retain_graph=True`` and the leaf
  gradients it commits outside our own inputs are rolled back);
- ``f`` runs with gradient recording enabled even inside ``no_grad()``
  (like ``torch.func``);
- a gradient with respect to an argument the output does not depend on is an
  array of zeros of that argument's shape and dtype (JAX behaviour);
- only floating-point arguments can be differentiated (integers and booleans
  raise ``TypeError``, like JAX); float32 stays float32.
"""
from __future__ import annotations

import gc
from typing import Any, Callable, Sequence, Tuple, Union

import numpy as np

from . import _tensor
from . import engines as _engines
from .grad_mode import enable_grad

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


def _to_leaf(engine, x, fname, pos):
    """A fresh leaf Tensor requiring grad holding a copy of ``x``."""
    if isinstance(x, _tensor.Tensor):
        arr = x.data
    elif isinstance(x, (bool, np.bool_)):
        arr = np.asarray(x)
    else:
        try:
            arr = np.asarray(x)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{fname}(): argument {pos} ({type(x).__name__}) cannot be "
                            f"converted to an array: {e}") from None
    if arr.dtype.kind != "f":
        raise TypeError(
            f"{fname}(): argument {pos} has dtype {arr.dtype}; gradients are only defined "
            f"for floating-point inputs (pass e.g. 3.0 instead of 3, or x.astype(float))")
    return engine.Tensor(arr, requires_grad=True)


def _node_types():
    return tuple(m.Node for m in _engines.available.values())


def _graph_leaves(root):
    """Every leaf Tensor reachable from ``root``'s graph (a superset is fine).

    Walks nodes through ``gc.get_referents`` so it works for the compiled
    engine too, whose nodes keep their edges in C fields. Only nodes, tensors
    and plain containers are followed; arrays and ops are not.
    """
    node_types = _node_types()
    base = _tensor.Tensor
    leaves = {}
    seen = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        oid = id(obj)
        if oid in seen:
            continue
        seen.add(oid)
        if isinstance(obj, base):
            node = obj._node
            if node is None:
                leaves[oid] = obj
            else:
                stack.append(node)
        elif isinstance(obj, node_types):
            stack.extend(gc.get_referents(obj))
        elif type(obj) is tuple or type(obj) is list:
            stack.extend(obj)
        elif type(obj) is dict:
            stack.extend(obj.values())
        elif getattr(type(obj), "_autograd_c_ctx", False):   # custom Function ctx
            stack.extend(gc.get_referents(obj))
    return list(leaves.values())


def _grads_for(out, leaves, seed, fname):
    """d(out)/d(leaf) contracted with ``seed``, as arrays; no user ``.grad`` changes.

    ``leaves`` are our own fresh leaves; their ``.grad`` is cleared before and
    after. Any other leaf's ``.grad`` touched by the backward pass is restored.
    """
    mine = {id(t) for t in leaves}
    others = [(t, t._grad) for t in _graph_leaves(out) if id(t) not in mine]
    for t in leaves:
        t._grad = None
    try:
        out.backward(seed, retain_graph=True)
        return tuple(np.zeros(t.shape, dtype=t.dtype) if t._grad is None else t._grad.data
                     for t in leaves)
    finally:
        for t in leaves:
            t._grad = None
        for t, g in others:
            if t._grad is not g:
                t._grad = g


def _call(f, args, kwargs, positions, fname):
    """Run ``f`` with fresh leaves at ``positions``; return (output, leaves)."""
    engine = _engines.current
    args = list(args)
    leaves = []
    for p in positions:
        leaf = _to_leaf(engine, args[p], fname, p)
        args[p] = leaf
        leaves.append(leaf)
    with enable_grad():
        out = f(*args, **kwargs)
    return out, leaves


def _output(out, fname):
    """The function's result as a Tensor, or as a constant array."""
    if isinstance(out, _tensor.Tensor):
        return out
    if isinstance(out, (tuple, list, dict)):
        raise TypeError(f"{fname}(): the function must return a single Tensor, "
                        f"got a {type(out).__name__}")
    try:
        arr = np.asarray(out)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.dtype.kind not in "fiub":
        raise TypeError(f"{fname}(): the function must return a Tensor, "
                        f"got {type(out).__name__}")
    return arr   # a constant: it does not depend on the inputs


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
    out, leaves = _call(f, args, kwargs, positions, fname)
    out = _scalar_output(out, fname)
    if isinstance(out, _tensor.Tensor) and out.requires_grad:
        grads = _grads_for(out, leaves, None, fname)
        value = out.data
    else:
        grads = tuple(np.zeros(t.shape, dtype=t.dtype) for t in leaves)
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

    __slots__ = ("_out", "_leaves", "__weakref__")

    def __init__(self, out, leaves):
        self._out = out
        self._leaves = leaves

    def __call__(self, cotangent) -> Tuple[np.ndarray, ...]:
        out = self._out
        if isinstance(cotangent, _tensor.Tensor):
            cotangent = cotangent.data
        ct = np.asarray(cotangent)
        if ct.shape != tuple(out.shape):
            raise ValueError(f"vjp_fn(): cotangent has shape {ct.shape}, but the function's "
                             f"output has shape {tuple(out.shape)}")
        if ct.dtype.kind not in "fiub":
            raise TypeError(f"vjp_fn(): cotangent must be a real array, got dtype {ct.dtype}")
        if isinstance(out, _tensor.Tensor) and out.requires_grad:
            seed = np.array(ct, dtype=out.dtype)      # a copy the graph may keep
            return _grads_for(out, self._leaves, seed, "vjp")
        return tuple(np.zeros(t.shape, dtype=t.dtype) for t in self._leaves)

    def __repr__(self):
        return f"<vjp_fn of an output of shape {tuple(self._out.shape)}>"


def vjp(f: Callable[..., Any], *primals) -> Tuple[np.ndarray, Callable[..., Tuple[np.ndarray, ...]]]:
    """Evaluate ``f(*primals)`` and return ``(out, vjp_fn)``.

    ``out`` is the output as an ndarray (a copy); ``vjp_fn(cotangent)``, with a
    cotangent of ``out``'s shape, returns a tuple with one ndarray per primal:
    ``cotangent . d out / d primal``. ``vjp_fn`` can be called many times; it
    keeps the graph alive only as long as it is referenced itself.
    """
    if not primals:
        raise TypeError("vjp(): need at least one primal argument")
    out, leaves = _call(f, primals, {}, tuple(range(len(primals))), "vjp")
    out = _output(out, "vjp")
    out_arr = out.data if isinstance(out, _tensor.Tensor) else out
    return np.array(out_arr, copy=True), _VJP(out, leaves)


def _wrap(wrapper, f, kind):
    name = getattr(f, "__name__", type(f).__name__)
    wrapper.__name__ = f"{kind}_{name}"
    wrapper.__qualname__ = wrapper.__name__
    wrapper.__doc__ = f"{kind} of {name}" + (f":\n\n{f.__doc__}" if getattr(f, "__doc__", None)
                                             else "")
    wrapper.__wrapped__ = f
