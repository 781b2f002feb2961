"""Gradient hooks: ``Tensor.register_post_accumulate_grad_hook`` and the
``RemovableHandle`` it returns.

A post-accumulate-grad hook ``fn(tensor)`` runs after a backward pass has
updated ``tensor.grad`` (the tensor is a leaf that requires grad). Both
engines commit every leaf's gradient at the end of a pass; the hooks run
after that, outside the commit lock, leaf by leaf in commit order, and for
each leaf in registration order. A hook that raises stops the remaining
hooks and the error propagates out of ``backward()`` (every ``.grad`` is
already updated by then).

Storage is kept off the tensors (no field in the compiled tensor struct):
``_post_hooks`` maps ``id(tensor)`` to ``(weakref, {handle_id: fn})`` and the
weak reference's callback drops the entry when the tensor dies. ``active``
is a one-element list that is non-zero while any hook is registered; the
engines read it once per backward pass, so a pass costs nothing extra when
no hook exists.
"""
from __future__ import annotations

import functools
import itertools
import threading
import weakref
from typing import Callable, Dict, Tuple

__all__ = ["RemovableHandle", "register_hook", "retain_grad"]

_lock = threading.Lock()
_ids = itertools.count()


class _HookTable:
    """Hooks keyed by the identity of what they watch (a tensor or a graph
    node), held through a weak reference whose callback drops them when it
    dies; ``count`` is a one-element list (engines test ``count[0]``)."""

    def __init__(self) -> None:
        self.entries: Dict[int, Tuple[weakref.ref, Dict[int, Callable]]] = {}
        self.count = [0]

    def add(self, obj, fn) -> "RemovableHandle":
        key = id(obj)
        with _lock:
            entry = self.entries.get(key)
            if entry is None or entry[0]() is not obj:
                ref = weakref.ref(obj, functools.partial(self._drop, key))
                entry = (ref, {})
                self.entries[key] = entry
            hid = next(_ids)
            entry[1][hid] = fn
            self.count[0] += 1
        return RemovableHandle(self, key, hid)

    def remove(self, key: int, hid: int) -> None:
        with _lock:
            entry = self.entries.get(key)
            if entry is not None and entry[1].pop(hid, None) is not None:
                self.count[0] -= 1
                if not entry[1]:
                    del self.entries[key]

    def _drop(self, key: int, ref: weakref.ref) -> None:
        with _lock:
            entry = self.entries.get(key)
            if entry is not None and entry[0] is ref:
                self.count[0] -= len(entry[1])
                del self.entries[key]

    def hooks_of(self, obj):
        entry = self.entries.get(id(obj))
        if entry is None or entry[0]() is not obj:
            return ()
        return list(entry[1].values())          # a hook may remove itself


_post = _HookTable()
#: [number of registered post-accumulate-grad hooks]; engines test ``active[0]``
active = _post.count
_post_hooks = _post.entries

#: gradient hooks (``Tensor.register_hook``, ``retain_grad``): on a leaf,
#: keyed by the tensor; on a non-leaf, by its node (whose incoming gradient
#: is the tensor's gradient: nodes have one output)
_grad = _HookTable()
grad_active = _grad.count
# retain_grad's hooks: run after every other hook of the tensor, as in PyTorch
_retain = _HookTable()
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
    return _grad.add(tensor if tensor._node is None else tensor._node, fn)


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
