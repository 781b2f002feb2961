"""Gradient hooks: ``Tensor.register_post_accumulate_grad_hook`` and the
``RemovableHandle`` it returns.

A post-accumulate-grad hook ``fn(tensor)`` runs after a backward pass has
updated ``tensor.grad`` (the tensor is a leaf that requires grad). Both
engines commit every leaf's gradient at the end of a pass; the hooks run
after that, outside the commit lock, leaf by leaf in commit order, and for
each leaf in registration order. A hook that raises stops the remaining
hooks and the error propagates out of ``backward()`` (every ``.grad`` is
already updated by then).

Storage: the hooks live on the object they watch (its ``_hooks`` field: a
dict per kind of hook, ``{handle_id: fn}``), so a hook whose closure refers
back to its tensor (``t.register_hook(lambda g: t * 2)``) forms a cycle the
collector can free; on the compiled engine the object is made visible to
the collector when its first hook is registered (``_engine_c.gc_track``:
tensors and nodes start untracked), and ops on it then record tracked
results. A table keeps a weak reference per watched object, whose callback
takes its hooks out of the count when it dies. ``active`` is a one-element
list that is non-zero while any hook is registered; the engines read it
once per backward pass, so a pass costs nothing extra when no hook exists.

Left as it was: a cycle through a tensor made before the hook was
registered and still untracked (``y = t * 2``, then
``t.register_hook(lambda g: y)``) is not collected on the compiled engine.
"""
from __future__ import annotations

import functools
import gc
import itertools
import threading
import weakref
from typing import Callable, Dict, Optional

__all__ = ["RemovableHandle", "register_hook", "retain_grad"]

# reentrant: an allocation under it may run the collector, which may free a
# watched object and call _drop in this same thread
_lock = threading.RLock()
_ids = itertools.count()


def _track(obj) -> None:
    """Make ``obj`` visible to the cycle collector (the compiled engine's
    tensors and nodes start untracked; the pure engine's always are)."""
    if not gc.is_tracked(obj):
        from autograd_c import _engine_c
        _engine_c.gc_track(obj)


class _HookTable:
    """One kind of hook, stored on the objects it watches (``obj._hooks[kind]``:
    ``{handle_id: fn}``, see the module docstring). ``live`` maps ``id(obj)``
    to ``[weak reference, number of hooks]``; the reference's callback takes
    them out of ``count`` when the object dies. ``count`` is a one-element
    list (engines test ``count[0]``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.live: Dict[int, list] = {}
        self.count = [0]

    def _mine(self, obj) -> Optional[Dict[int, Callable]]:
        hooks = getattr(obj, "_hooks", None)
        return None if hooks is None else hooks.get(self.kind)

    def add(self, obj, fn) -> "RemovableHandle":
        key = id(obj)
        with _lock:
            mine = self._mine(obj)
            if mine is None:
                if getattr(obj, "_hooks", None) is None:
                    obj._hooks = {}
                mine = obj._hooks[self.kind] = {}
            entry = self.live.get(key)
            if entry is None or entry[0]() is not obj:
                if entry is not None:   # an earlier object at this address, gone
                    self.count[0] -= entry[1]
                entry = self.live[key] = [weakref.ref(obj, functools.partial(self._drop, key)), 0]
            hid = next(_ids)
            mine[hid] = fn
            entry[1] += 1
            self.count[0] += 1
        _track(obj)
        return RemovableHandle(self, key, hid)

    def remove(self, key: int, hid: int) -> None:
        with _lock:
            entry = self.live.get(key)
            if entry is None:
                return
            obj = entry[0]()
            mine = self._mine(obj) if obj is not None else None
            if mine is not None and mine.pop(hid, None) is not None:
                self.count[0] -= 1
                entry[1] -= 1
                if not mine:
                    del obj._hooks[self.kind]
                    del self.live[key]

    def _drop(self, key: int, ref: weakref.ref) -> None:
        # the watched object died, and its hooks with it
        with _lock:
            entry = self.live.get(key)
            if entry is not None and entry[0] is ref:
                self.count[0] -= entry[1]
                del self.live[key]

    def hooks_of(self, obj):
        mine = self._mine(obj)
        if not mine:
            return ()
        return list(mine.values())          # a hook may remove itself


_post = _HookTable("post")
#: [number of registered post-accumulate-grad hooks]; engines test ``active[0]``
active = _post.count

#: gradient hooks (``Tensor.register_hook``, ``retain_grad``): on a leaf,
#: keyed by the tensor; on a non-leaf, by its node (whose incoming gradient
#: is the tensor's gradient: nodes have one output)
_grad = _HookTable("grad")
grad_active = _grad.count
# retain_grad's hooks: run after every other hook of the tensor, as in PyTorch
_retain = _HookTable("retain")
_retain.count = _grad.count


class RemovableHandle:
    """Returned by a hook registration; ``remove()`` unregisters the hook
    (calling it again does nothing). Also a context manager that removes
    the hook on exit."""

    __slots__ = ("id", "_key", "_table", "__weakref__")

    def __init__(self, table, key: int, hid: int) -> None:
        self.id = hid
        self._key = key
        self._table = table

    def remove(self) -> None:
        self._table.remove(self._key, self.id)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<RemovableHandle id={self.id}>"


def register_hook(tensor, fn: Callable) -> RemovableHandle:
    """``tensor.register_hook(fn)``: ``fn(grad)`` runs when the gradient with
    respect to ``tensor`` has been computed (summed over all its uses),
    before it is used (a leaf: before it is added to ``.grad``); it may
    return a replacement gradient of the same shape."""
    if not callable(fn):
        raise TypeError(f"register_hook: the hook must be callable, got {type(fn).__name__}")
    if not tensor.requires_grad:
        raise RuntimeError(f"register_hook: cannot register a hook on a tensor of shape "
                           f"{tuple(tensor.shape)} that does not require grad")
    if tensor._node is None:
        return _grad.add(tensor, fn)
    handle = _grad.add(tensor._node, fn)
    _track(tensor)          # the closure may hold the tensor, which holds the node
    return handle


def run_grad_hooks(target, g, wrap):
    """Apply the hooks registered on ``target`` (leaf or node) to gradient
    ``g``; ``wrap(g)`` makes the Tensor a hook receives. Returns the
    gradient to use (an array, or a Tensor under create_graph)."""
    fns = _grad.hooks_of(target)
    keep = _retain.hooks_of(target)
    if not fns and not keep:
        return g
    is_tensor = hasattr(g, "_engine")
    shape = tuple(g.shape)
    t = g if is_tensor else wrap(g)
    for fn in fns:
        r = fn(t)
        if r is not None:
            if not hasattr(r, "_engine"):
                raise TypeError(f"hook {getattr(fn, '__name__', fn)!r} returned a "
                                f"{type(r).__name__}; a hook returns a Tensor or None")
            if tuple(r.shape) != shape:
                raise RuntimeError(f"hook {getattr(fn, '__name__', fn)!r} returned a gradient "
                                   f"of shape {tuple(r.shape)}; expected {shape}")
            t = r
    for fn in keep:
        fn(t)
    return t if is_tensor else t.data


_retained: "weakref.WeakSet" = weakref.WeakSet()      # nodes whose output retains .grad


def retain_grad(tensor) -> None:
    """``tensor.retain_grad()``: a non-leaf keeps its gradient in ``.grad``
    (summed over backward passes, like a leaf's). No-op on a leaf."""
    node = tensor._node
    if node is None or node in _retained:
        return
    _retained.add(node)
    ref = weakref.ref(tensor)

    def keep(g):
        t = ref()
        if t is not None:
            val = g if g._node is not None else type(t)(g.data)     # a copy, or the graph
            t._grad = val if t._grad is None else t._grad + val

    _retain.add(node, keep)


def register_post_accumulate_grad_hook(tensor, fn: Callable) -> RemovableHandle:
    if not callable(fn):
        raise TypeError(f"register_post_accumulate_grad_hook: the hook must be callable, "
                        f"got {type(fn).__name__}")
    if not tensor.requires_grad:
        raise RuntimeError("register_post_accumulate_grad_hook: cannot register a hook on a "
                           f"tensor of shape {tuple(tensor.shape)} that does not require grad")
    if tensor.grad_fn is not None:
        raise RuntimeError("register_post_accumulate_grad_hook: post accumulate grad hooks "
                           "can only be registered on leaf tensors (this one has grad_fn="
                           f"<{tensor.grad_fn.name}>)")
    return _post.add(tensor, fn)


def run_post_accumulate_grad_hooks(leaves) -> None:
    """Call the hooks of ``leaves`` (tensors whose .grad was just updated), in order."""
    for leaf in leaves:
        for fn in _post.hooks_of(leaf):
            if fn(leaf) is not None:
                raise TypeError(f"post accumulate grad hook {getattr(fn, '__name__', fn)!r} "
                                f"returned a value; it must return None")


def has_post_accumulate_grad_hooks(tensor) -> bool:
    return bool(_post.hooks_of(tensor))
