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

import threading
from time import perf_counter

from . import _tensor
from ._graph import (anomaly_check, backward_entry, node_freed_error, output_version_error, traceback_here,
                     version_error, wrap_forward_error)
from .grad_mode import nondefault as _nondefault
from .hooks import active as _hooks_active
from .hooks import run_post_accumulate_grad_hooks as _run_post_hooks
from .grad_mode import state as _gm

name = "python"

# Leaves (parameters) may be shared by backward passes running in several
# threads: the read-add-write of .grad is done under this lock.
_commit_lock = threading.Lock()


class Tensor(_tensor.Tensor):
    """Tensor of the pure-Python engine."""

    __slots__ = ("data", "_rg", "_node", "_grad", "_version", "_base", "__weakref__")


Tensor._engine = None  # filled below, once the module object exists


class Node:
    """One recorded op application: the op, what its VJP needs, and its edges.

    ``edges[i]`` is where input i's gradient goes: the producing ``Node``, the
    leaf ``Tensor`` itself, or None when input i needs no gradient.
    """

    __slots__ = ("op", "ctx", "edges", "needs", "saved", "out_mod", "freed", "trace",
                 "__weakref__")

    @property
    def name(self):
        return self.op.name

    def output_modified(self, tensor):
        self.out_mod = (tuple(tensor.shape), tensor.dtype, tensor._version)

    def __repr__(self):
        return f"<Node {self.op.name}>"


def apply(op, args, kw):
    """Run ``op`` forward on ``args`` and record a node if any input requires grad."""
    arrays = []
    edges = []
    needs = []
    saved = []
    record = False
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            arrays.append(a.data)
            if i in op.saves:
                # a view's version lives on the tensor whose memory it shares
                owner = a if a._base is None else a._base
                saved.append((owner, owner._version))
            if a._rg:
                record = True
                edges.append(a if a._node is None else a._node)
                needs.append(True)
                continue
        elif isinstance(a, _tensor.Tensor):
            raise TypeError(f"{op.name}: cannot mix a tensor of the {type(a)._engine.name!r} "
                            f"engine with the 'python' engine")
        else:
            arrays.append(a)
        edges.append(None)
        needs.append(False)
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
    t = Tensor.__new__(Tensor)
    t.data = out
    t._grad = None
    t._version = 0
    t._base = None
    if record and (not special or _gm.grad_enabled):
        node = Node()
        node.op = op
        node.ctx = ctx
        node.edges = tuple(edges)
        node.needs = tuple(needs)
        node.saved = tuple(saved)
        node.out_mod = None
        node.freed = False
        node.trace = traceback_here() if special and _gm.hooks and _gm.anomaly else None
        t._rg = True
        t._node = node
    else:
        t._rg = False
        t._node = None
    return t


def _check(node):
    """Raise before anything runs if this node can no longer be differentiated."""
    if node.freed:
        raise node_freed_error(node)
    for tensor, version in node.saved:
        if tensor._version != version:
            raise version_error(node, tensor, version)
    if node.out_mod is not None:
        raise output_version_error(node, node.out_mod)


def _run_node(node, g):
    if not _nondefault[0] or not _gm.hooks:
        return node.op.backward(node.ctx, g, node.needs)
    prof = _gm.profiler
    t0 = perf_counter()
    grads = node.op.backward(node.ctx, g, node.needs)
    if prof is not None:
        prof.record(node.op.name, "backward", perf_counter() - t0)
    if _gm.anomaly:
        anomaly_check(node, grads)
    return grads


def _release(node):
    node.ctx = None
    node.saved = ()
    node.edges = ()
    node.freed = True


def _commit(leaf, g):
    if leaf._grad is None:
        leaf._grad = Tensor(g, dtype=leaf.data.dtype)
    else:
        leaf._grad = Tensor(leaf._grad.data + g, dtype=leaf.data.dtype)


def run_backward(root, grad, retain_graph):
    """Backpropagate ``grad`` from node ``root``; see the module docstring."""
    # 1. discovery: count, for every node reachable from root, its consumers
    deps = {root: 0}
    leaves = {}
    stack = [root]
    while stack:
        node = stack.pop()
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
    while ready:
        node = ready.pop()
        g = buffers.pop(node, None)
        grads = _run_node(node, g) if g is not None else None
        edges = node.edges
        if not retain_graph:
            _release(node)
        for i, e in enumerate(edges):
            if e is None:
                continue
            gi = grads[i] if grads is not None else None
            if type(e) is Node:
                if gi is not None:
                    prev = buffers.get(e)
                    buffers[e] = gi if prev is None else prev + gi
                deps[e] -= 1
                if deps[e] == 0:
                    ready.append(e)
            elif gi is not None:
                prev = leaves[e]
                leaves[e] = gi if prev is None else prev + gi
    # 3. commit leaf gradients, only now that nothing can fail any more
    with _commit_lock:
        for leaf, g in leaves.items():
            if g is not None:
                _commit(leaf, g)
    # 4. post-accumulate-grad hooks, outside the lock, in commit order
    if _hooks_active[0]:
        _run_post_hooks([leaf for leaf, g in leaves.items() if g is not None])


def backward(tensor, grad, retain_graph=False):
    root, g = backward_entry(tensor, grad, Tensor)
    if root is None:
        with _commit_lock:
            _commit(tensor, g)
        if _hooks_active[0]:
            _run_post_hooks((tensor,))
    else:
        run_backward(root, g, retain_graph)


import sys as _sys  # noqa: E402

Tensor._engine = _sys.modules[__name__]
