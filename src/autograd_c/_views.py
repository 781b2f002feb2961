"""In-place ops on views of tensors in the graph (PyTorch's CopySlices).

A view (``a[0:2]``, ``a.T``, ``a.reshape(...)``, ``a.diagonal()``,
``a.expand(...)``) shares its base's memory. Written in place while the base
is in the graph (or while the written value requires grad)::

    v = a[0:2]
    v += x

the base gets a new history, ``a_new = a_old`` with the view's region
replaced by ``f(v_old, x)``, and every view of the base (``v`` itself and any
other) becomes a view of the new base: gradients reach ``a``'s old history
outside the region and ``f``'s inputs inside it, as in PyTorch.

Nothing here is engine specific: the base's new value is built with ops of
the table (``reshape``, ``index_put``, ``getitem`` on the flattened base), so
it is recorded by whichever engine the tensors belong to, and is
differentiable to any order. Which base elements a view holds is read from
the memory itself: each view element's byte offset from the base's start,
mapped to the base's flat (C-order) index, so any strided view (slices,
transposes, reshapes, diagonals, views of views) needs no record of how it
was made.

Views made while grad mode is on are registered here (weakly) against their
root base; in-place on a registered view follows the rules above. A tensor
sharing memory without being registered (``detach()`` and views of it, a
view made under ``no_grad``, a view of a view of a tensor outside the graph)
is written as a tensor of its own: its base's history is not changed.
PyTorch differs in two corners: it raises for a view made under no_grad and
written in place with grad (here: written as its own tensor), and a node
that saved an in-place result made through a view (``v.exp_()``) keeps a
private copy here, so writing ``v`` again later does not invalidate it.
"""
from __future__ import annotations

import functools
import weakref

import numpy as np

from . import ops as _ops
from .grad_mode import state as _gm

__all__ = ["flush", "is_view_of", "has_views", "inplace_on_view", "refresh_views"]

#: weak references to the views made in grad mode since the last flush
#: (appended by ``Tensor._as_view_of``: one weakref and one append per view,
#: nothing else on that path); sorted into ``_VIEWS`` when an in-place op
#: needs them or when the list passes 1024 entries
_PENDING: list = []
#: id(base) -> [weakref to the base, [weakrefs to its views], prune threshold]
_VIEWS: dict = {}


def _drop(key, ref):
    e = _VIEWS.get(key)
    if e is not None and e[0] is ref:
        del _VIEWS[key]


def flush() -> None:
    """Sort the pending views into ``_VIEWS`` by root base (dead ones are
    dropped): amortized O(1) per view."""
    pending = _PENDING[:]
    del _PENDING[:len(pending)]
    for r in pending:
        v = r()
        if v is None:
            continue
        base = v._base
        if base is None:
            continue
        key = id(base)
        e = _VIEWS.get(key)
        if e is None or e[0]() is not base:
            e = [weakref.ref(base, functools.partial(_drop, key)), [], 8]
            _VIEWS[key] = e
        refs = e[1]
        refs.append(r)
        if len(refs) >= e[2]:
            # drop the dead ones now and then (a parameter's w.T every step)
            refs[:] = [x for x in refs if x() is not None]
            e[2] = max(8, 2 * len(refs))


def _live_views(base) -> list:
    if _PENDING:
        flush()
    e = _VIEWS.get(id(base))
    if e is None or e[0]() is not base:
        return []
    out = [r() for r in e[1]]
    return [v for v in out if v is not None]


def has_views(base) -> bool:
    if _PENDING:
        flush()
    return id(base) in _VIEWS and bool(_live_views(base))


def is_view_of(view, base) -> bool:
    """``view`` is a registered (differentiable) view of ``base``."""
    return any(v is view for v in _live_views(base))


def _offsets(shape, strides) -> np.ndarray:
    """Byte offset of every element of an array of ``shape`` and ``strides``."""
    off = np.zeros(shape, dtype=np.int64)
    nd = len(shape)
    for k, (n, s) in enumerate(zip(shape, strides)):
        if n > 1 and s:
            off += (np.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (nd - k - 1))
    return off


def flat_index(base_arr: np.ndarray, view_arr: np.ndarray) -> np.ndarray:
    """For each element of ``view_arr`` (shaped like it), the C-order flat
    index of the element of ``base_arr`` at the same memory address."""
    if view_arr.itemsize != base_arr.itemsize:
        raise RuntimeError(f"in-place on a view of dtype {view_arr.dtype} of a tensor of dtype "
                           f"{base_arr.dtype} is not supported")
    isz = base_arr.itemsize
    delta = view_arr.__array_interface__["data"][0] - base_arr.__array_interface__["data"][0]
    vo = _offsets(view_arr.shape, view_arr.strides) + delta
    if base_arr.flags.c_contiguous:
        idx, rem = np.divmod(vo, isz)
        ok = (rem == 0) & (idx >= 0) & (idx < base_arr.size)
    else:
        bo = _offsets(base_arr.shape, base_arr.strides).ravel()
        sorter = np.argsort(bo, kind="stable")
        sb = bo[sorter]
        pos = np.minimum(np.searchsorted(sb, vo), max(sb.size - 1, 0))
        ok = sb[pos] == vo if sb.size else np.zeros(vo.shape, bool)
        idx = sorter[pos] if sb.size else pos
    if not np.all(ok):
        raise RuntimeError(f"in-place on a view of shape {view_arr.shape}: its memory is not "
                           f"inside its base's (shape {base_arr.shape})")
    return idx


def _history(base, eng, idx):
    """``base.flatten()[idx]`` recorded on ``base``'s current history (what a
    view holding ``idx`` is, as a function of its base)."""
    flat = eng.apply(_ops.reshape, (base,), {"shape": (-1,)})
    return eng.apply(_ops.getitem, (flat,), {"index": idx})


def _take_over(dst, src) -> None:
    """``dst`` (whose memory already holds ``src``'s value) gets ``src``'s
    history (and, in forward AD, its tangent)."""
    if src._node is not None:
        dst._node = src._node
        dst._rg = True
    if _gm.fwd_ad is not None:
        from .autograd.forward_ad import _move_tangent
        _move_tangent(src, dst)


def refresh_views(base, known=None) -> None:
    """Every registered view of ``base`` becomes a view of its current
    history (after the base got a new one). ``known``: (view, flat index)
    already computed."""
    views = _live_views(base)
    if not views or (base._node is None and _gm.fwd_ad is None):
        return
    eng = type(base)._engine
    for v in views:
        if type(v)._engine is not eng or v._base is not base:
            continue
        if known is not None and v is known[0]:
            idx = known[1]
        else:
            try:
                idx = flat_index(base.data, v.data)
            except RuntimeError:        # its memory was replaced (t.data = ...)
                continue
        _take_over(v, _history(base, eng, idx))


def apply_inplace(t, op, args, kw, who):
    """``op(t, *args)`` recorded for an in-place update of ``t``: the result,
    checked to keep ``t``'s shape; a node that saved ``t``'s memory gets a
    private copy of the old value first (the memory is about to change)."""
    eng = type(t)._engine
    r = eng.apply(op, (t, *args), kw)
    old = t.data
    if r.data.shape != old.shape:
        raise RuntimeError(f"in-place {who}: output with shape {old.shape} doesn't "
                           f"match the broadcast shape {r.data.shape}")
    node = r._node
    if node is not None and 0 in node.op.saves:
        eng.rebase_saved(node, t, old.copy())
    return r


def inplace_on_view(view, op, args, kw, who=None):
    """``view.<op>_(*args)`` on a registered view whose base is in the graph
    or with an ``args`` entry that requires grad (see the module). ``who``:
    the name errors give (default ``<op>_``)."""
    who = who or op.name + "_"
    base = view._base
    if _gm._grad_enabled and base._rg and base._node is None:
        raise RuntimeError(
            f"a view of a leaf Variable that requires grad is being used in an in-place "
            f"operation ({who} on a view of shape {tuple(view.shape)} of a leaf of shape "
            f"{tuple(base.shape)}); wrap the update in autograd_c.no_grad()")
    idx = flat_index(base.data, view.data)
    if idx.size > 1 and np.unique(idx).size != idx.size:
        raise RuntimeError(
            f"unsupported operation: more than one element of the written-to tensor refers to "
            f"a single memory location (in-place {who} on a view of shape "
            f"{tuple(view.shape)}). Please clone() the tensor before performing the operation.")
    eng = type(view)._engine
    r = apply_inplace(view, op, args, kw, who)
    # the base's new value, recorded on its old history and on r
    flat_old = eng.apply(_ops.reshape, (base,), {"shape": (-1,)})
    r_flat = eng.apply(_ops.reshape, (r,), {"shape": (-1,)})
    put = eng.apply(_ops.index_put, (flat_old, r_flat), {"index": idx.reshape(-1)})
    new_base = eng.apply(_ops.reshape, (put,), {"shape": base.data.shape})
    view._write(r.data, op)
    view.mark_modified()       # before the histories move: flags a saved output
    _take_over(base, new_base)
    refresh_views(base, (view, idx))
    return view
