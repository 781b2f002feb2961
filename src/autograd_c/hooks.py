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

__all__ = ["RemovableHandle"]

_lock = threading.Lock()
_ids = itertools.count()
# id(tensor) -> (weakref to the tensor, {handle id: fn}) ; dict order = registration order
_post_hooks: Dict[int, Tuple[weakref.ref, Dict[int, Callable]]] = {}
#: [number of registered post-accumulate-grad hooks]; engines test ``active[0]``
active = [0]


class RemovableHandle:
    """Returned by a hook registration; ``remove()`` unregisters the hook
    (calling it again does nothing). Also a context manager that removes
    the hook on exit."""

    __slots__ = ("id", "_key", "__weakref__")

    def __init__(self, key: int, hid: int) -> None:
        self.id = hid
        self._key = key

    def remove(self) -> None:
        with _lock:
            entry = _post_hooks.get(self._key)
            if entry is not None and entry[1].pop(self.id, None) is not None:
                active[0] -= 1
                if not entry[1]:
                    del _post_hooks[self._key]

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<RemovableHandle id={self.id}>"


def _drop(key: int, ref: weakref.ref) -> None:
    """Weakref callback: the tensor is gone, so are its hooks."""
    with _lock:
        entry = _post_hooks.get(key)
        if entry is not None and entry[0] is ref:
            active[0] -= len(entry[1])
            del _post_hooks[key]


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
    key = id(tensor)
    with _lock:
        entry = _post_hooks.get(key)
        if entry is None or entry[0]() is not tensor:
            ref = weakref.ref(tensor, functools.partial(_drop, key))
            entry = (ref, {})
            _post_hooks[key] = entry
        hid = next(_ids)
        entry[1][hid] = fn
        active[0] += 1
    return RemovableHandle(key, hid)


def run_post_accumulate_grad_hooks(leaves) -> None:
    """Call the hooks of ``leaves`` (tensors whose .grad was just updated), in order."""
    for leaf in leaves:
        entry = _post_hooks.get(id(leaf))
        if entry is None or entry[0]() is not leaf:
            continue
        for fn in list(entry[1].values()):   # a hook may remove itself
            if fn(leaf) is not None:
                raise TypeError(f"post accumulate grad hook {getattr(fn, '__name__', fn)!r} "
                                f"returned a value; it must return None")


def has_post_accumulate_grad_hooks(tensor) -> bool:
    entry = _post_hooks.get(id(tensor))
    return entry is not None and entry[0]() is tensor and bool(entry[1])
