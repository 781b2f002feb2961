"""The pure-Python engine: the readable reference for ``_engine_c.pyx``.

An engine is four things and nothing else:

1. tensor storage   -- ``Tensor`` (the API lives in ``_tensor.py``);
2. graph recording  -- ``apply`` runs an op rule from ``ops.py`` and, when an
                       input requires grad, records a ``Node``;
3. the scheduler    -- ``run_backward`` counts each node's consumers on the
                       path to the output, then runs nodes from an explicit
                       stack once every consumer has delivered (no recursion);
4. accumulation     -- gradients arriving at a node are summed in a buffer;
                       leaf gradients are summed and committed to ``.grad``
                       only after the whole pass succeeded (then, if any are
                       registered, post-accumulate-grad hooks run: ``hooks.py``).

The compiled engine implements exactly this, in the same order, so both give
the same numbers.
"""
from __future__ import annotations

import itertools
import os
import threading
from time import perf_counter

import numpy as np

from . import _tensor
from ._graph import (
    NodeName,
    _swap_items,
    anomaly_check,
    backward_entry,
    lift,
    next_functions,
    node_freed_error,
    op_title,
    output_version_error,
    traceback_here,
    version_error,
    wrap_forward_error,
)
from .grad_mode import enable_grad
from .grad_mode import nondefault as _nondefault
from .grad_mode import state as _gm
from .hooks import active as _hooks_active
from .hooks import grad_active as _grad_hooks
from .hooks import run_grad_hooks as _run_grad_hooks
from .hooks import run_post_accumulate_grad_hooks as _run_post_hooks

name = "python"

# Leaves (parameters) may be shared by backward passes running in several
# threads: the read-add-write of .grad is done under this lock.
_commit_lock = threading.Lock()


def _after_fork_in_child():
    # another thread may have held the lock at fork time; it does not exist
    # in the child, so nobody would ever release it
    global _commit_lock
    _commit_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class Tensor(_tensor.Tensor):
    """Tensor of the pure-Python engine."""

    __slots__ = ("data", "_rg", "_node", "_grad", "_version", "_base", "_hooks", "__weakref__")


Tensor._engine = None  # filled below, once the module object exists


class Node:
    """One recorded op application: the op, what its VJP needs, and its edges.

    ``edges[i]`` is where input i's gradient goes: the producing ``Node``, the
    leaf ``Tensor`` itself, or None when input i needs no gradient.
    """

    __slots__ = ("op", "ctx", "edges", "needs", "saved", "out", "out_mod", "freed", "trace",
                 "_hooks", "__weakref__")

    @property
    def name(self):
        return NodeName(self.op.name)

    @property
    def next_functions(self):
        return next_functions(self)

    def output_modified(self, tensor):
        self.out_mod = (tuple(tensor.shape), tensor.dtype, tensor._version)

    def __repr__(self):
        return f"<Node {self.op.name}>"


# bit i (input i requires grad), and the needs_input_grad tuples of up to
# four inputs, shared, by mask (as the compiled engine's _NEEDS)
_BIT = [1 << i for i in range(64)]
_NEEDS = [[tuple(bool(m >> i & 1) for i in range(k)) for m in range(1 << k)] for k in range(5)]
_new = object.__new__


def _grow_bits(n):
    """(the bit table grows for long variadic ops)"""
    if n > len(_BIT):
        _BIT.extend(1 << i for i in range(len(_BIT), n))


def _needs_long(n, mask):
    return tuple(bool(mask >> i & 1) for i in range(n))


def apply(op, args, kw):
    """Run ``op`` forward on ``args`` and record a node if any input requires grad."""
    arrays = []
    edges = []
    mask = 0                    # bit i: input i requires grad
    n = len(args)
    if n > 64:
        _grow_bits(n)
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            arrays.append(a.data)
            if a._rg:
                mask |= _BIT[i]
                edges.append(a if a._node is None else a._node)
                continue
        elif isinstance(a, _tensor.Tensor):
            raise TypeError(f"{op_title(op)}: cannot mix a tensor of the {type(a)._engine.name!r} "
                            f"engine with the 'python' engine")
        else:
            arrays.append(a)
        edges.append(None)
    saved = ()
    if mask and op.saves:
        # keep (and version-check) only what the wanted gradients read; a
        # view's version lives on the tensor whose memory it shares
        saved = []
        sf = op.saves_for
        for i in op.saves:
            if i < n and sf[i] & mask:
                a = args[i]
                if isinstance(a, Tensor):
                    b = a._base
                    saved.append((a, a._version if b is None else b._version))
        saved = tuple(saved)
    special = _nondefault[0]     # 0: grad recording on and no hooks, in every thread
    prof = _gm.profiler if special and _gm.hooks else None
    if prof is not None:
        t0 = perf_counter()
    try:
        out, ctx = op.forward(*arrays, **kw) if kw else op.forward(*arrays)
    except (ValueError, TypeError, IndexError) as e:
        raise wrap_forward_error(op, arrays, kw, e) from None
    if prof is not None:
        prof.record(op.name, "forward", perf_counter() - t0)
    t = _new(Tensor)
    t.data = out
    t._grad = None
    t._version = 0
    t._base = None
    if mask and (not special or _gm._grad_enabled):
        node = _new(Node)
        node.op = op
        node.ctx = ctx
        node.edges = tuple(edges)
        node.needs = _NEEDS[n][mask] if n <= 4 else _needs_long(n, mask)
        node.saved = saved
        node.out = out if op.saves_output else None
        node.out_mod = None
        node.freed = False
        node.trace = traceback_here() if special and _gm.hooks and _gm.anomaly else None
        t._rg = True
        t._node = node
    else:
        t._rg = False
        t._node = None
    if special and _gm.hooks and _gm.fwd_ad is not None:
        _gm.fwd_ad(op, args, kw, t)
    return t


def _check(node):
    """Raise before anything runs if this node can no longer be differentiated."""
    if node.freed:
        raise node_freed_error(node)
    for tensor, version in node.saved:
        owner = tensor if tensor._base is None else tensor._base
        if owner._version != version:
            raise version_error(node, owner, version)
    if node.out_mod is not None:
        raise output_version_error(node, node.out_mod)


def _run_node(node, ctx, g):
    if not _nondefault[0] or not _gm.hooks:
        return node.op.backward(ctx, g, node.needs)
    prof = _gm.profiler
    t0 = perf_counter()
    grads = node.op.backward(ctx, g, node.needs)
    if prof is not None:
        prof.record(node.op.name, "backward", perf_counter() - t0)
    if _gm.anomaly:
        anomaly_check(node, grads)
    return grads


def _lift(node, ctx):
    out = None
    if node.out is not None:
        out = _tensor_of(node.out, True, node)
    return lift(ctx, [t for t, _ in node.saved], node.out, out)


def _run_node_graph(node, ctx, g):
    """The VJP on Tensors, recorded (``create_graph``)."""
    with enable_grad():
        grads = node.op.backward(_lift(node, ctx), g, node.needs)
    if _nondefault[0] and _gm.hooks and _gm.anomaly:
        anomaly_check(node, [getattr(x, "data", x) for x in grads])
    return grads


def rebase_saved(node, tensor, old_copy):
    """An in-place op overwrites ``tensor``, which ``node`` saved: give the
    node a private copy of the old value, as a Tensor with the old history
    (so create_graph still differentiates through it)."""
    t0 = _tensor_of(old_copy, tensor._rg, tensor._node)
    node.ctx = _swap_items(node.ctx, {id(tensor.data): old_copy})
    node.saved = tuple((t0, 0) if t is tensor else (t, v) for t, v in node.saved)


def _tensor_of(data, rg=False, node=None):
    """A Tensor around ``data`` (no copy) with the given history."""
    t = Tensor.__new__(Tensor)
    t.data, t._grad, t._version, t._base, t._rg, t._node = data, None, 0, None, rg, node
    return t


def _wrap(g):
    """An array gradient as the Tensor a hook receives (no copy)."""
    return _tensor_of(g)


def _release(node):
    """(Not called for ops that keep nothing: such a node can run again.)"""
    node.freed = True           # first: see the check in run_backward
    node.ctx = None
    node.saved = ()
    node.out = None
    node.edges = ()
    node.freed = True


def _commit(leaf, g):
    if isinstance(g, Tensor):           # create_graph: .grad keeps its history
        leaf._grad = g if leaf._grad is None else leaf._grad + g
        return
    # (what Tensor(..., dtype=) builds, without its checks: a copy of g in
    # the leaf's dtype, or the sum, a new array)
    dtype = leaf.data.dtype
    if leaf._grad is None:
        leaf._grad = _tensor_of(np.array(g, dtype=dtype))
    else:
        leaf._grad = _tensor_of(np.asarray(leaf._grad.data + g, dtype=dtype))


_NONES = itertools.repeat(None)      # the gradients of a node that received none


def run_backward(root, grad, retain_graph, create_graph=False, capture=None):
    """Backpropagate ``grad`` from node ``root``; see the module docstring.
    With ``create_graph`` the gradients are Tensors and every VJP is
    recorded (higher-order derivatives). With ``capture`` (see
    ``_graph.Capture``) no ``.grad`` is touched: the gradients reaching the
    captured leaves and nodes are stored in it (``autograd.grad``)."""
    run = _run_node_graph if create_graph else _run_node
    plain = not create_graph
    # 1. discovery: count, for every node reachable from root, its consumers
    deps = {root: 0}
    leaves = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if node.saved or node.freed or node.out_mod is not None:
            _check(node)
        for e in node.edges:
            if e is None:
                continue
            if type(e) is Node:
                if e in deps:
                    deps[e] += 1
                else:
                    deps[e] = 1
                    stack.append(e)
            elif e not in leaves:
                leaves[e] = None
    # 2. execution: a node runs once all its consumers have delivered
    buffers = {root: grad}
    ready = [root]
    # tensor hooks and autograd.grad's capture, looked at once per pass
    extra = bool(_grad_hooks[0]) or capture is not None
    while ready:
        node = ready.pop()
        g = buffers.pop(node, None)
        if extra and g is not None:
            if _grad_hooks[0]:
                g = _run_grad_hooks(node, g, _wrap)
            if capture is not None and capture.wants(node):
                capture.add(node, g)
        # read what the node needs, then check it was not released by a pass
        # in another thread in the meantime (_release sets freed first)
        edges = node.edges
        ctx = node.ctx
        if node.freed:
            raise node_freed_error(node)
        op = node.op
        if g is None:
            grads = None
        elif plain and not _nondefault[0]:
            grads = op.backward(ctx, g, node.needs)     # (_run_node's common case)
        else:
            grads = run(node, ctx, g)
        if grads is not None and (type(grads) is not tuple or len(grads) != len(edges)):
            raise RuntimeError(f"autograd_c scheduler: node '{op.name}' returned "
                               f"{len(grads) if isinstance(grads, tuple) else type(grads).__name__}"
                               f" gradients for {len(edges)} inputs")
        if not retain_graph and not op.keeps_nothing:
            _release(node)
        for e, gi in zip(edges, grads) if grads is not None else zip(edges, _NONES):
            if e is None:
                continue
            if type(e) is Node:
                if gi is not None:
                    prev = buffers.get(e)
                    buffers[e] = gi if prev is None else prev + gi
                left = deps[e] - 1
                deps[e] = left
                if not left:
                    ready.append(e)
            elif gi is not None:
                prev = leaves[e]
                leaves[e] = gi if prev is None else prev + gi
    if _grad_hooks[0]:
        for leaf, g in leaves.items():
            if g is not None:
                leaves[leaf] = _run_grad_hooks(leaf, g, _wrap)
    # 3. commit leaf gradients, only now that nothing can fail any more
    if capture is not None:
        for leaf, g in leaves.items():
            if g is not None and capture.wants(leaf):
                capture.add(leaf, g)
        return
    with _commit_lock:
        for leaf, g in leaves.items():
            if g is not None:
                _commit(leaf, g)
    # 4. post-accumulate-grad hooks, outside the lock, in commit order
    if _hooks_active[0]:
        _run_post_hooks([leaf for leaf, g in leaves.items() if g is not None])


def backward(tensor, grad, retain_graph=False, create_graph=False, capture=None):
    if not isinstance(tensor, Tensor):
        eng = getattr(type(tensor), "_engine", None)
        raise TypeError("backward(): expected a tensor of the 'python' engine, got "
                        + (f"a tensor of the {eng.name!r} engine"
                           if isinstance(tensor, _tensor.Tensor) and eng is not None
                           else f"a {type(tensor).__name__}"))
    root, g = backward_entry(tensor, grad, Tensor, create_graph)
    if root is None and _grad_hooks[0]:
        g = _run_grad_hooks(tensor, g, _wrap)
    if capture is not None:
        if root is None:
            if capture.wants(tensor):
                capture.add(tensor, g)
        else:
            run_backward(root, g, retain_graph or create_graph, create_graph, capture)
        return
    if root is None:
        with _commit_lock:
            _commit(tensor, g)
        if _hooks_active[0]:
            _run_post_hooks((tensor,))
    else:
        run_backward(root, g, retain_graph or create_graph, create_graph)


import sys as _sys  # noqa: E402

Tensor._engine = _sys.modules[__name__]
