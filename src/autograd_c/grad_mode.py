"""Thread-local switches read by both engines: grad recording and anomaly mode."""
from __future__ import annotations

import functools
import inspect
import os
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]


# How many threads have a state other than the defaults (grad recording on,
# no hooks). While it is 0, which is the common case, the engines skip the
# thread-local lookups altogether (``nondefault[0] == 0`` is one list read,
# also from C). A thread that ends while counted leaves the count above 0:
# the engines then just read the thread-local state, which is always right.
nondefault = [0]
_count_lock = threading.Lock()


def _after_fork_in_child() -> None:
    # another thread may have held the lock at fork time; only this thread
    # exists in the child, and its own state is what the count must reflect
    global _count_lock
    _count_lock = threading.Lock()
    nondefault[0] = 1 if state._counted else 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class _State(threading.local):
    """Per-thread switches. The engines read ``_grad_enabled`` (the field
    behind ``grad_enabled``, without the property's call) and ``hooks`` on
    every op, but only while ``nondefault[0]`` is not 0; ``hooks`` is True only
    while anomaly mode or a profiler is on."""

    # class attributes are the defaults every new thread starts from
    _grad_enabled = True
    hooks = False
    _anomaly = False
    _profiler = None
    _fwd_ad = None          # the forward-AD propagation function while a dual level is open
    _counted = False

    def _recount(self) -> None:
        special = not self._grad_enabled or self.hooks
        if special != self._counted:
            with _count_lock:
                nondefault[0] += 1 if special else -1
            self._counted = special

    @property
    def grad_enabled(self) -> bool:
        return self._grad_enabled

    @grad_enabled.setter
    def grad_enabled(self, value) -> None:
        self._grad_enabled = bool(value)
        self._recount()

    @property
    def anomaly(self) -> bool:
        return self._anomaly

    @anomaly.setter
    def anomaly(self, value) -> None:
        self._anomaly = bool(value)
        self.hooks = self._anomaly or self._profiler is not None or self._fwd_ad is not None
        self._recount()

    @property
    def fwd_ad(self):
        """While a forward-AD dual level is open: ``fn(op, args, kw, out)``
        that the engines call after each recorded op (see forward_ad)."""
        return self._fwd_ad

    @fwd_ad.setter
    def fwd_ad(self, value) -> None:
        self._fwd_ad = value
        self.hooks = self._anomaly or self._profiler is not None or value is not None
        self._recount()

    @property
    def profiler(self):
        """An object with ``.record(op_name, phase, seconds)`` while profiling, else None."""
        return self._profiler

    @profiler.setter
    def profiler(self, value) -> None:
        self._profiler = value
        self.hooks = self._anomaly or value is not None or self._fwd_ad is not None
        self._recount()


state = _State()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are recorded."""
    return state.grad_enabled


def _swap(mode: bool) -> bool:
    """Set this thread's grad recording to ``mode``; return what it was.
    (``state.grad_enabled = mode`` with fewer thread-local lookups, and none
    of the counting when nothing changes.)"""
    st = state
    prev = st._grad_enabled
    if prev != mode:
        st._grad_enabled = mode
        st._recount()
    return prev


class _GradModeContext:
    """Context manager and decorator that sets grad recording for its extent."""

    _mode: bool

    def __enter__(self):
        self._prev = _swap(self._mode)
        return self

    def __exit__(self, *exc):
        _swap(self._prev)
        return False

    def __call__(self, func):
        mode = self._mode
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                return (yield from _drive(func(*args, **kwargs), mode))
            return gen_wrapper
        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def coro_wrapper(*args, **kwargs):
                return await _Driven(func(*args, **kwargs), mode)
            return coro_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev = _swap(mode)
            try:
                return func(*args, **kwargs)
            finally:
                _swap(prev)

        return wrapper


def _drive(gen, mode):
    """Run generator (or coroutine) ``gen`` with grad recording set to ``mode``
    only while its body runs: the caller's mode is restored at every yield."""
    try:
        prev = _swap(mode)
        try:
            response = gen.send(None)
        finally:
            _swap(prev)
        while True:
            try:
                request = yield response
            except GeneratorExit:
                prev = _swap(mode)
                try:
                    gen.close()
                finally:
                    _swap(prev)
                raise
            except BaseException as exc:
                prev = _swap(mode)
                try:
                    response = gen.throw(exc)
                finally:
                    _swap(prev)
            else:
                prev = _swap(mode)
                try:
                    response = gen.send(request)
                finally:
                    _swap(prev)
    except StopIteration as e:
        return e.value


class _Driven:
    """Awaitable running a coroutine through ``_drive``."""

    __slots__ = ("coro", "mode")

    def __init__(self, coro, mode):
        self.coro = coro
        self.mode = mode

    def __await__(self):
        return _drive(self.coro, self.mode)


class no_grad(_GradModeContext):
    """Disable graph recording: ``with no_grad(): ...`` or ``@no_grad()``."""

    _mode = False


class enable_grad(_GradModeContext):
    """Re-enable graph recording inside a ``no_grad`` block."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad recording to ``mode``; usable as a context manager or a function call."""

    def __init__(self, mode: bool):
        self._mode = bool(mode)
        self._prev = state.grad_enabled
        state.grad_enabled = self._mode

    def __enter__(self):
        return self

    def __call__(self, func):
        # used as a decorator: the mode applies only while func runs, so undo
        # what __init__ set (as torch does)
        _swap(self._prev)
        return super().__call__(func)
