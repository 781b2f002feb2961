"""Loss functions (PyTorch semantics), composed from existing Tensor ops so
no new op rule is needed: every gradient comes from the ops' VJPs."""
from __future__ import annotations

import numpy as np

from .. import functions as F
from .._tensor import Tensor
from .module import Module

__all__ = ["MSELoss", "CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss"]

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of "
                             f"{_REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


def _same_shape(x, target, who):
    tshape = tuple(target.shape if isinstance(target, Tensor) else np.shape(target))
    if tshape != x.shape:
        raise ValueError(f"{who}: input shape {x.shape} and target shape {tshape} differ")


class MSELoss(_Loss):
    """Squared error ``(input - target)**2``, reduced by ``reduction``."""

    def forward(self, input, target):
        input = _tensor(input)
        _same_shape(input, target, "MSELoss")
        d = input - target
        return _reduce(d * d, self.reduction)


def _class_targets(target, n_classes, batch_shape, who):
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{who}: target must hold integer class indices, got dtype {t.dtype}")
    if t.shape != batch_shape:
        raise ValueError(f"{who}: target shape {t.shape} does not match the input's batch "
                         f"shape {batch_shape}")
    if t.size and (t.min() < 0 or t.max() >= n_classes):
        raise IndexError(f"{who}: target class out of range [0, {n_classes}) "
                         f"(got min {t.min()}, max {t.max()})")
    return t.astype(np.intp)


def _nll(logp, target, reduction, who):
    """-logp[i, target[i]] for (N, C) or (C,) log-probabilities."""
    if logp.ndim == 1:
        t = _class_targets(target, logp.shape[0], (), who)
        return _reduce(-logp[int(t)], reduction)
    if logp.ndim != 2:
        raise ValueError(f"{who}: input must be (N, C) or (C,), got shape {logp.shape}")
    n, c = logp.shape
    t = _class_targets(target, c, (n,), who)
    picked = logp[np.arange(n), t]
    return _reduce(-picked, reduction)


class NLLLoss(_Loss):
    """Negative log-likelihood of integer class targets given log-probabilities
    of shape (N, C) (or (C,) with a scalar target)."""

    def forward(self, input, target):
        return _nll(_tensor(input), target, self.reduction, "NLLLoss")


class CrossEntropyLoss(_Loss):
    """Cross entropy of logits (N, C) against integer class targets (N,):
    ``NLLLoss(log_softmax(logits, dim=1))``; stable for large logits."""

    def forward(self, input, target):
        input = _tensor(input)
        axis = 0 if input.ndim == 1 else 1
        return _nll(F.log_softmax(input, axis=axis), target, self.reduction, "CrossEntropyLoss")


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy on logits, computed stably as
    ``max(x, 0) - x*y + log(1 + exp(-|x|))``."""

    def forward(self, input, target):
        x = _tensor(input)
        _same_shape(x, target, "BCEWithLogitsLoss")
        loss = F.relu(x) - x * target + F.log(F.exp(-F.abs(x)) + 1.0)
        return _reduce(loss, self.reduction)
