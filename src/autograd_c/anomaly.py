"""Anomaly mode: remember where each op was created; fail loudly on NaN/inf gradients."""
from __future__ import annotations

import functools

from ._graph import AnomalyError
from .grad_mode import state

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "AnomalyError"]


def is_anomaly_enabled() -> bool:
    return state.anomaly


class detect_anomaly:
    """Context manager / decorator. Inside it every op records the forward
    traceback of the line that created it, and backward raises
    ``AnomalyError`` (a RuntimeError) naming the op when a gradient it
    produces holds NaN or inf."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled

    def __enter__(self):
        self._prev = state.anomaly
        state.anomaly = self.enabled
        return self

    def __exit__(self, *exc):
        state.anomaly = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.enabled):
                return func(*args, **kwargs)
        return wrapper


def set_detect_anomaly(mode: bool) -> None:
    state.anomaly = bool(mode)
