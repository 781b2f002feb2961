"""Thread-local switches read by both engines: grad recording and anomaly mode."""
from __future__ import annotations

import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]


class _State(threading.local):
    """Per-thread switches. The engines read ``grad_enabled`` and ``hooks`` on
    every op; ``hooks`` is True only while anomaly mode or a profiler is on, so
    the common case costs one attribute read."""

    # class attributes are the defaults every new thread starts from
    grad_enabled = True
    hooks = False
    _anomaly = False
    _profiler = None

    @property
    def anomaly(self) -> bool:
        return self._anomaly

    @anomaly.setter
    def anomaly(self, value) -> None:
        self._anomaly = bool(value)
        self.hooks = self._anomaly or self._profiler is not None

    @property
    def profiler(self):
        """An object with ``.record(op_name, phase, seconds)`` while profiling, else None."""
        return self._profiler

    @profiler.setter
    def profiler(self, value) -> None:
        self._profiler = value
        self.hooks = self._anomaly or value is not None


state = _State()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are recorded."""
    return state.grad_enabled


class _GradModeContext:
    """Context manager and decorator that sets grad recording for its extent."""

    _mode: bool

    def __enter__(self):
        self._prev = state.grad_enabled
        state.grad_enabled = self._mode
        return self

    def __exit__(self, *exc):
        state.grad_enabled = self._prev
        return False

    def __call__(self, func):
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev = state.grad_enabled
            state.grad_enabled = mode
            try:
                return func(*args, **kwargs)
            finally:
                state.grad_enabled = prev

        return wrapper


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
