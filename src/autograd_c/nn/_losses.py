"""Loss functions in functional form (torch's signatures and options),
composites of the op table: every gradient, of any order, comes from the ops.
Stable at logits of +-1000 (no ``exp`` of a positive argument anywhere)."""
from __future__ import annotations

import numpy as np

from .. import functions as _fns
from .._tensor import Tensor
from ._helpers import as_tensor as _t

__all__ = ["cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "l1_loss", "mse_loss", "smooth_l1_loss",
           "huber_loss", "kl_div", "softplus_stable"]

_REDUCTIONS = ("mean", "sum", "none")


def _reduction(reduction, size_average, reduce, who):
    if size_average is not None or reduce is not None:     # torch's legacy arguments
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{who}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def softplus_stable(x):
    """``log(1 + exp(x))`` with no overflow and torch's gradient (sigmoid)
    everywhere, 0 included: each branch only sees its own side."""
    pos = x.data > 0
    xp = _fns.where(pos, x, 0.0)
    xn = _fns.where(pos, 0.0, x)
    return _fns.where(pos, xp + ((-xp).exp() + 1.0).log(), (xn.exp() + 1.0).log())


def _same_shape(x, target, who):
    tshape = tuple(target.shape if hasattr(target, "shape") else np.shape(target))
    if tshape != tuple(x.shape):
        raise ValueError(f"{who}: input shape {tuple(x.shape)} and target shape {tshape} "
                         f"differ (Using a target size that is different to the input size)")


def _class_target(target, x, class_dim, ignore_index, who):
    """Integer targets of the input's shape without its class dim; checked."""
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{who}: target must hold integer class indices (int64), got dtype "
                        f"{t.dtype}")
    shape = tuple(x.shape)
    want = shape[:class_dim] + shape[class_dim + 1:]
    if t.shape != want:
        raise ValueError(f"{who}: expected target of shape {want} for an input of shape "
                         f"{shape}, got {t.shape}")
    c = shape[class_dim]
    bad = (t != ignore_index) & ((t < 0) | (t >= c))
    if np.any(bad):
        raise IndexError(f"{who}: target {t[bad].reshape(-1)[0]} is out of range [0, {c})")
    return t.astype(np.int64)


def _weight_array(weight, c, who):
    if weight is None:
        return None
    w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
    if w.shape != (c,):
        raise ValueError(f"{who}: weight should be a 1-D tensor of {c} elements, got shape "
                         f"{w.shape}")
    return weight


def _nll_core(logp, target, weight, ignore_index, reduction, who):
    """Per-element ``-w[t] * logp[t]`` with ignored targets zeroed, and the
    sum of the weights taking part (torch's mean denominator)."""
    class_dim = 0 if logp.ndim == 1 else 1
    c = logp.shape[class_dim]
    t = _class_target(target, logp, class_dim, ignore_index, who)
    _weight_array(weight, c, who)
    keep = t != ignore_index
    safe = np.where(keep, t, 0)
    picked = logp.take_along_dim(np.expand_dims(safe, class_dim), class_dim)
    picked = picked.reshape(t.shape)
    if weight is None:
        wt = keep.astype(logp.dtype)
        loss = -(picked * wt)
        denom = wt.sum()
    else:
        wt = _t(weight)[safe] * keep
        loss = -(picked * wt)
        denom = wt.sum()
    return loss, denom, t, keep, safe


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of class indices given log-probabilities
    (C,), (N, C) or (N, C, d1, ...); ``weight`` per class, ``ignore_index``
    targets excluded (mean: divided by the total weight taking part)."""
    reduction = _reduction(reduction, size_average, reduce, "nll_loss")
    x = _t(input)
    loss, denom, *_ = _nll_core(x, target, weight, ignore_index, reduction, "nll_loss")
    if reduction == "mean":
        return loss.sum() / denom
    return _reduce(loss, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """``log_softmax`` over the class dim (1, or 0 for a (C,) input) and the
    NLL, with torch's options: class-index targets (``weight``,
    ``ignore_index``) or class-probability targets (same shape as the input,
    floating); ``label_smoothing`` mixes in the uniform distribution."""
    reduction = _reduction(reduction, size_average, reduce, "cross_entropy")
    x = _t(input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got "
                         f"{label_smoothing}")
    class_dim = 0 if x.ndim == 1 else 1
    c = x.shape[class_dim]
    logp = x.log_softmax(class_dim)
    t_arr = target.data if isinstance(target, Tensor) else np.asarray(target)
    wshape = (c,) + (1,) * (x.ndim - class_dim - 1)
    if t_arr.dtype.kind == "f" and tuple(t_arr.shape) == tuple(x.shape):
        # class probabilities
        _same_shape(x, t_arr, "cross_entropy")
        prob = _t(target) if isinstance(target, Tensor) else t_arr
        if label_smoothing > 0:
            prob = prob * (1.0 - label_smoothing) + label_smoothing / c
        term = logp * prob
        if weight is not None:
            _weight_array(weight, c, "cross_entropy")
            term = term * _t(weight).reshape(*wshape)
        loss = -term.sum(class_dim)
        if reduction == "mean":
            return loss.sum() / (int(np.prod(x.shape)) // c if x.ndim > 1 else 1)
        return _reduce(loss, reduction)
    nll, denom, t, keep, safe = _nll_core(logp, target, weight, ignore_index, reduction,
                                          "cross_entropy")
    if label_smoothing <= 0:
        if reduction == "mean":
            return nll.sum() / denom
        return _reduce(nll, reduction)
    if weight is not None:
        smooth = -(logp * _t(weight).reshape(*wshape)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth * keep
    eps = label_smoothing
    if reduction == "mean":
        smooth_r = smooth.sum() / (denom if weight is not None else keep.sum())
        return nll.sum() / denom * (1.0 - eps) + smooth_r * (eps / c)
    return _reduce(nll, reduction) * (1.0 - eps) + _reduce(smooth, reduction) * (eps / c)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """``-w (y log x + (1-y) log(1-x))`` with each log clamped at -100 (torch)."""
    reduction = _reduction(reduction, size_average, reduce, "binary_cross_entropy")
    x = _t(input)
    _same_shape(x, target, "binary_cross_entropy")
    xd = x.data
    if np.any((xd < 0) | (xd > 1)):
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 "
                         "and 1")
    with np.errstate(divide="ignore"):
        lx = _fns.where(xd > 0, _fns.where(xd > 0, x, 1.0).log(), -np.inf).clamp(min=-100.0)
        l1x = _fns.where(xd < 1, _fns.where(xd < 1, 1.0 - x, 1.0).log(), -np.inf) \
            .clamp(min=-100.0)
    loss = -(lx * target + l1x * (1.0 - target))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """``(1-y) x + (1 + (pw-1) y) softplus(-x)``, stable for any logit."""
    reduction = _reduction(reduction, size_average, reduce,
                           "binary_cross_entropy_with_logits")
    x = _t(input)
    _same_shape(x, target, "binary_cross_entropy_with_logits")
    sp = softplus_stable(-x)
    if pos_weight is not None:
        lw = (_t(pos_weight) - 1.0) * target + 1.0 if isinstance(pos_weight, Tensor) \
            else (np.asarray(pos_weight) - 1.0) * target + 1.0
        loss = (1.0 - target) * x + lw * sp
    else:
        loss = (1.0 - target) * x + sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _diff(input, target, who):
    """``input - target``; shapes that differ but broadcast warn (as torch)."""
    x = _t(input)
    tshape = tuple(target.shape) if hasattr(target, "shape") else np.shape(target)
    if tshape != tuple(x.shape):
        try:
            np.broadcast_shapes(tshape, tuple(x.shape))
        except ValueError:
            _same_shape(x, target, who)
        import warnings
        warnings.warn(f"Using a target size ({tshape}) that is different to the input size "
                      f"({tuple(x.shape)}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)
    return x - target


def _weighted(loss, weight, reduction, who, mean_by_weight=True):
    """torch 2.13's optional elementwise ``weight`` of l1/mse/huber: the mean
    divides by the weights' sum (l1, mse) or by the count (huber)."""
    if weight is None:
        return _reduce(loss, reduction)
    wshape = tuple(weight.shape) if hasattr(weight, "shape") else np.shape(weight)
    if wshape != tuple(loss.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _reduction(reduction, size_average, reduce, "l1_loss")
    return _weighted(_diff(input, target, "l1_loss").abs(), weight, reduction, "l1_loss")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _reduction(reduction, size_average, reduce, "mse_loss")
    d = _diff(input, target, "mse_loss")
    return _weighted(d * d, weight, reduction, "mse_loss")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean",
                   beta=1.0):
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``;
    ``beta=0`` is the L1 loss."""
    reduction = _reduction(reduction, size_average, reduce, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    d = _diff(input, target, "smooth_l1_loss")
    a = d.abs()
    if beta == 0:
        return _reduce(a, reduction)
    loss = _fns.where(a.data < beta, d * d * (0.5 / beta), a - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``."""
    reduction = _reduction(reduction, None, None, "huber_loss")
    d = _diff(input, target, "huber_loss")
    a = d.abs()
    loss = _fns.where(a.data < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    return _weighted(loss, weight, reduction, "huber_loss", mean_by_weight=False)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """``target * (log target - input)`` (0 where target is 0), or with
    ``log_target`` ``exp(target) * (target - input)``; ``reduction``
    "batchmean" divides the sum by the batch size (input.shape[0])."""
    if reduction == "batchmean":
        red = "batchmean"
    else:
        red = _reduction(reduction, size_average, reduce, "kl_div")
    x = _t(input)
    if log_target:
        t = _t(target)
        loss = t.exp() * (t - x)
    else:
        # torch: xlogy(target, target) - target * input
        if isinstance(target, Tensor):
            pos = target.data > 0
            xlogy = _fns.where(pos, target * _fns.where(pos, target, 1.0).log(), 0.0)
            loss = xlogy - target * x
        else:
            tp = np.asarray(target)
            pos = tp > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                xlogy = np.where(pos, tp * np.log(np.where(pos, tp, 1.0)), 0.0)
            loss = xlogy.astype(x.dtype) - x * tp
    if red == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim > 0 else 1)
    return _reduce(loss, red)
