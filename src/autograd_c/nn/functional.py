"""``autograd_c.nn.functional`` (``import autograd_c.nn.functional as F``):
PyTorch's functional API, same names, signatures and numbers.

Everything here is a composite of ops of the table (``autograd_c.ops``), so
every function is differentiable to any order. The few primitives it needs
are in ``ops/nn.py``: ``im2col``/``col2im`` (``unfold``/``fold``, each the
other's VJP) and ``nn_erf`` (exact GELU). Convolutions and pooling are in
``nn/_conv.py``, losses in ``nn/_losses.py``; both are re-exported here.

Local composites standing in for ops other families may add later (pad,
one_hot, variance) are marked as such.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import functions as _fns
from .._tensor import Tensor
from ..ops import REGISTRY as _R
from ._conv import (  # noqa: F401
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    fold,
    max_pool1d,
    max_pool2d,
    unfold,
)
from ._helpers import as_tensor as _t
from ._helpers import const_like as _const
from ._helpers import gen as _gen
from ._losses import (  # noqa: F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from ._losses import softplus_stable as _softplus1

__all__ = [
    "linear", "bilinear", "prelu", "relu", "relu6", "gelu", "silu", "leaky_relu", "elu", "selu", "celu",  # noqa: E501
    "softplus", "mish", "hardtanh", "hardsigmoid", "hardswish", "sigmoid", "tanh", "logsigmoid",
    "softsign", "tanhshrink", "softmax", "log_softmax", "softmin", "glu",
    "dropout", "dropout1d", "dropout2d", "embedding", "one_hot", "pad", "normalize",
    "interpolate", "unfold", "fold", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d",
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "batch_norm", "layer_norm", "group_norm", "rms_norm", "instance_norm",
    "scaled_dot_product_attention", "multi_head_attention_forward",
    "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "kl_div", "cosine_similarity",
    "pairwise_distance",
]

_erf = _R["nn_erf"]


# ----------------------------------------------------------------------------
# linear and activations
# ----------------------------------------------------------------------------

def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` (weight: (out_features, in_features))."""
    input = _t(input)
    y = input @ _t(weight).T
    return y if bias is None else y + bias


def bilinear(input1, input2, weight, bias=None):
    """``y_k = x1 @ weight[k] @ x2 + bias[k]`` (weight: (out, in1, in2))."""
    x1, x2, w = _t(input1), _t(input2), _t(weight)
    # (..., 1, 1, in1) @ (out, in1, in2) -> (..., out, 1, in2); then with x2
    y = (x1.unsqueeze(-2).unsqueeze(-2) @ w) @ x2.unsqueeze(-2).unsqueeze(-1)
    y = y.reshape(tuple(y.shape[:-2]))
    return y if bias is None else y + bias


def relu(input, inplace=False):
    return _t(input).relu()


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0)


def sigmoid(input):
    return _t(input).sigmoid()


def tanh(input):
    return _t(input).tanh()


def gelu(input, approximate="none"):
    """``x * Phi(x)`` (``approximate="none"``, with erf) or the tanh
    approximation (``approximate="tanh"``), as torch."""
    x = _t(input)
    if approximate == "none":
        return x * 0.5 * (1.0 + _erf(x * (1.0 / math.sqrt(2.0))))
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (1.0 + inner.tanh())
    raise ValueError(f"gelu(): approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input, inplace=False):
    x = _t(input)
    return x * x.sigmoid()


def mish(input, inplace=False):
    x = _t(input)
    return x * _softplus1(x).tanh()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    x = _t(input)
    return _fns.where(x.data > 0, x, x * negative_slope)


def prelu(input, weight):
    """``x`` where positive, ``weight * x`` elsewhere; ``weight`` has one
    element or one per channel (dim 1)."""
    x = _t(input)
    w = _t(weight)
    n = int(np.prod(w.shape))
    if n != 1 and x.ndim >= 2:
        w = w.reshape((1, n) + (1,) * (x.ndim - 2))
    elif n == 1:            # (Tensor.size is a method: it was compared to 1 here)
        w = w.reshape(())
    return _fns.where(x.data > 0, x, x * w)


def elu(input, alpha=1.0, inplace=False):
    x = _t(input)
    neg = _fns.where(x.data > 0, 0.0, x)      # exp never sees the positive side
    return _fns.where(x.data > 0, x, (neg.exp() - 1.0) * alpha)


def selu(input, inplace=False):
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return elu(input, alpha) * scale


def celu(input, alpha=1.0, inplace=False):
    """``alpha * (exp(x/alpha) - 1)`` for x <= 0. The gradient there uses
    ``1/float32(alpha)`` as torch's (its derivative formula reads
    ``alpha.toFloat()``); the value is exact."""
    x = _t(input)
    pos = x.data > 0
    neg = _fns.where(pos, 0.0, x)
    inv = 1.0 / float(np.float32(alpha))
    with np.errstate(over="ignore"):
        exact = alpha * np.expm1(np.where(pos, 0.0, x.data) / alpha)
        approx = alpha * (np.exp(np.where(pos, 0.0, x.data) * inv) - 1.0)
    branch = ((neg * inv).exp() - 1.0) * alpha + (exact - approx).astype(x.dtype)
    return _fns.where(pos, x, branch)


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta*x)) / beta``, linear where ``beta*x > threshold``."""
    x = _t(input)
    bx = x * beta if beta != 1 else x
    soft = _softplus1(bx)
    if beta != 1:
        soft = soft / beta
    return _fns.where(bx.data > threshold, x, soft)


def logsigmoid(input):
    return -_softplus1(-_t(input))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Clamp to [min_val, max_val]; gradient 0 at the bounds (as torch)."""
    x = _t(input)
    inside = (x.data > min_val) & (x.data < max_val)
    return _fns.where(inside, x, np.clip(x.data, min_val, max_val))


def hardsigmoid(input, inplace=False):
    """``relu6(x + 3) / 6``; inside (-3, 3) the gradient is torch's constant
    ``float(1.0f / 6.0f)`` (a float32 literal in its kernel)."""
    x = _t(input)
    xd = x.data
    inside = (xd > -3.0) & (xd < 3.0)
    value = np.clip(xd + 3.0, 0.0, 6.0) / 6.0
    slope = float(np.float32(1.0) / np.float32(6.0))
    return _fns.where(inside, (x - xd) * slope + value, value)


def hardswish(input, inplace=False):
    x = _t(input)
    mid = x * (x + 3.0) / 6.0
    return _fns.where(x.data <= -3.0, 0.0, _fns.where(x.data >= 3.0, x, mid))


def softsign(input):
    x = _t(input)
    return x / (x.abs() + 1.0)


def tanhshrink(input):
    x = _t(input)
    return x - x.tanh()


def _softmax_dim(ndim):
    return 0 if ndim in (0, 1, 3) else 1


def _cast(x, dtype):
    return x if dtype is None else x.astype(np.dtype(dtype))


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    x = _cast(_t(input), dtype)
    return x.softmax(_softmax_dim(x.ndim) if dim is None else dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    x = _cast(_t(input), dtype)
    return x.log_softmax(_softmax_dim(x.ndim) if dim is None else dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    x = _cast(_t(input), dtype)
    return (-x).softmax(_softmax_dim(x.ndim) if dim is None else dim)


def glu(input, dim=-1):
    x = _t(input)
    d = dim % x.ndim
    half = x.shape[d] // 2
    lead = (slice(None),) * d
    return x[lead + (slice(0, half),)] * x[lead + (slice(half, 2 * half),)].sigmoid()


# ----------------------------------------------------------------------------
# dropout, embedding, one_hot
# ----------------------------------------------------------------------------

def _check_p(p, who):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{who}: dropout probability has to be between 0 and 1, but got {p}"
                         f" (p must be in [0, 1])")


def _dropout_mask(x, p, shape, generator):
    if p == 1.0:
        return np.zeros(shape, dtype=x.dtype)
    keep = _gen(generator).random(shape) >= p
    return keep.astype(x.dtype) / x.dtype.type(1.0 - p)


def dropout(input, p=0.5, training=True, inplace=False, generator=None):
    """Inverted dropout (zero with probability ``p``, scale by 1/(1-p));
    identity when not ``training``. The draws are numpy's (``generator`` or
    the default one ``autograd_c.manual_seed`` resets), not torch's."""
    _check_p(p, "dropout")
    x = _t(input)
    if not training or p == 0.0:
        return x
    return x * _dropout_mask(x, p, x.shape, generator)


def _channel_dropout(input, p, training, generator, spatial, who):
    _check_p(p, who)
    x = _t(input)
    if not training or p == 0.0:
        return x
    batched = x.ndim == spatial + 2
    if x.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(f"{who}: expected a {spatial + 1}-D or {spatial + 2}-D input, "
                         f"got shape {tuple(x.shape)}")
    lead = 2 if batched else 1
    shape = tuple(x.shape[:lead]) + (1,) * (x.ndim - lead)
    return x * _dropout_mask(x, p, shape, generator)


def dropout1d(input, p=0.5, training=True, inplace=False, generator=None):
    return _channel_dropout(input, p, training, generator, 1, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False, generator=None):
    """Zero whole channels: a mask of shape (N, C, 1, 1). A 3-D input is read
    as (N, C, L) as torch 2.x does (with its warning)."""
    x = _t(input)
    if x.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted "
                      "as shape (N, C, L)", UserWarning, stacklevel=2)
        return _channel_dropout(x, p, training, generator, 1, "dropout2d")
    return _channel_dropout(x, p, training, generator, 2, "dropout2d")


def _int_array(x, who):
    a = x.data if isinstance(x, Tensor) else np.asarray(x)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{who}: expected integer indices, got dtype {a.dtype}")
    return a


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """``weight[input]``; the row ``padding_idx`` gets no gradient. With
    ``max_norm`` the looked-up rows are renormalised in place first (as torch)."""
    w = _t(weight)
    idx = _int_array(input, "embedding")
    n = w.shape[0]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"embedding: index out of range [0, {n}) (got min {idx.min()}, "
                         f"max {idx.max()})")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within "
                             f"num_embeddings {n}")
        padding_idx = padding_idx % n
    if max_norm is not None:
        rows = np.unique(idx.reshape(-1) % n)
        data = w.data[rows]
        norms = (np.abs(data) ** norm_type).sum(1) ** (1.0 / norm_type)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        w.data[rows] = data * scale[:, None]
        w.mark_modified()
    out = w[idx]
    if scale_grad_by_freq:
        # the value is w[idx]; the gradient of each row is divided by how often
        # its index occurs in ``input`` (as torch)
        flat = idx.reshape(-1) % n
        counts = np.bincount(flat, minlength=n)[idx % n]
        s = np.expand_dims(1.0 / counts, -1).astype(w.dtype)
        out = out * s + w.detach()[idx] * (1.0 - s)
    if padding_idx is not None and np.any(idx % n == padding_idx):
        out = _fns.where(np.expand_dims(idx % n == padding_idx, -1), w.detach()[idx], out)
    return out


def one_hot(tensor, num_classes=-1):
    """(…, num_classes) int64 tensor (not differentiable). ``num_classes=-1``:
    one more than the largest index. (Local version; an ``ops`` entry may
    replace it.)"""
    idx = _int_array(tensor, "one_hot")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got min "
                         f"{idx.min()}, max {idx.max()}")
    out = (idx[..., None] == np.arange(num_classes)).astype(np.int64)
    return _const(tensor, out)


# ----------------------------------------------------------------------------
# padding, normalisation, interpolation
# ----------------------------------------------------------------------------

def _pad_index(n, left, right, mode):
    """Source index along one dim for positions -left .. n+right-1."""
    pos = np.arange(-left, n + right)
    if mode == "reflect":
        if left >= n or right >= n:
            raise ValueError(f"pad: padding ({left}, {right}) should be less than the "
                             f"input dimension {n} for reflect mode")
        period = 2 * (n - 1) if n > 1 else 1
        r = np.mod(pos, period)
        return np.where(r < n, r, period - r), None
    if mode == "replicate":
        return np.clip(pos, 0, n - 1), None
    if mode == "circular":
        if left > n or right > n:
            raise ValueError(f"pad: padding ({left}, {right}) is larger than the input "
                             f"dimension {n} for circular mode")
        return np.mod(pos, n), None
    inside = (pos >= 0) & (pos < n)
    return np.clip(pos, 0, max(n - 1, 0)), inside


def pad(input, pad, mode="constant", value=None):
    """torch's ``F.pad``: ``pad`` lists (left, right) pairs from the LAST dim
    backwards. Modes ``constant`` (``value``, default 0; negative pads crop),
    ``reflect``, ``replicate``, ``circular``. A gather with index arrays (a
    local composite: no ``pad`` op is needed), so any order differentiates."""
    x = _t(input)
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: padding length {len(pad)} must be even and at most twice "
                         f"the input's dimension {x.ndim}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise ValueError(f"pad: unsupported mode {mode!r}")
    if mode != "constant" and value not in (None, 0, 0.0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    if mode == "constant" and 0 in x.shape:
        # an empty input has nothing to gather: the result is all padding
        shape = list(x.shape)
        for k in range(len(pad) // 2):
            shape[x.ndim - 1 - k] += pad[2 * k] + pad[2 * k + 1]
        if min(shape) < 0:
            raise ValueError(f"pad: padding {pad} of an input of shape {x.shape} leaves a "
                             f"negative size {tuple(shape)}")
        return _fns.full(tuple(shape), value or 0.0, dtype=x.dtype) + x.sum() * 0.0
    out = x
    masks = []
    for k in range(len(pad) // 2):
        d = x.ndim - 1 - k
        left, right = pad[2 * k], pad[2 * k + 1]
        if left == 0 and right == 0:
            continue
        idx, inside = _pad_index(x.shape[d], left, right, mode)
        out = out[(slice(None),) * d + (idx,)]
        if inside is not None and not inside.all():
            shape = [1] * x.ndim
            shape[d] = len(inside)
            masks.append(inside.reshape(shape))
    if masks:
        keep = masks[0]
        for m in masks[1:]:
            keep = keep & m
        keep = np.broadcast_to(keep, out.shape)
        out = _fns.where(keep, out, np.zeros((), dtype=x.dtype) + (value or 0.0))
    return out


def _norm_p(x, p, dim, keepdim):
    """The p-norm over ``dim``; its gradient at a zero vector is 0 (as torch)."""
    if p == 2:
        s = (x * x).sum(dim, keepdim=keepdim)
        pos = s.data > 0
        return _fns.where(pos, _fns.where(pos, s, 1.0).sqrt(), 0.0)
    if p == 1:
        return x.abs().sum(dim, keepdim=keepdim)
    if p == float("inf"):
        return x.abs().amax(dim, keepdim=keepdim)
    a = x.abs()
    s = _fns.where(a.data > 0, a, 1.0) ** p * (a.data > 0)
    s = s.sum(dim, keepdim=keepdim)
    pos = s.data > 0
    return _fns.where(pos, _fns.where(pos, s, 1.0) ** (1.0 / p), 0.0)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``x / max(||x||_p, eps)`` along ``dim``."""
    x = _t(input)
    n = _norm_p(x, p, dim, True)
    return x / n.clamp(min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    a, b = _t(x1), _t(x2)
    na = _norm_p(a, 2, dim, False).clamp(min=eps)
    nb = _norm_p(b, 2, dim, False).clamp(min=eps)
    return (a * b).sum(dim) / (na * nb)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    d = _t(x1) - x2 + eps
    return _norm_p(d, p, -1, keepdim)


def _interp_scales(x, size, scale_factor, recompute_scale_factor, nsp, who):
    in_sizes = tuple(x.shape[2:])
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{who}: only one of size or scale_factor should be defined")
    if size is not None:
        out_sizes = tuple(size) if isinstance(size, (tuple, list)) else (int(size),) * nsp
        if len(out_sizes) != nsp:
            raise ValueError(f"{who}: size {size} does not match the {nsp} spatial dims")
        return out_sizes, [None] * nsp
    sf = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) \
        else (float(scale_factor),) * nsp
    if len(sf) != nsp:
        raise ValueError(f"{who}: scale_factor {scale_factor} does not match the {nsp} "
                         f"spatial dims")
    out_sizes = tuple(int(math.floor(n * s)) for n, s in zip(in_sizes, sf))
    scales = [None] * nsp if recompute_scale_factor else [1.0 / s for s in sf]
    return out_sizes, scales


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Modes ``nearest``, ``nearest-exact``, ``linear`` (3-D), ``bilinear``
    and ``bicubic`` (4-D), ``area``, with ``align_corners``, torch's index
    arithmetic (a scale given by ``scale_factor`` is used as is unless
    ``recompute_scale_factor``). Each
    spatial dim is a gather (and for the linear modes a blend of two
    gathers), so any order differentiates."""
    x = _t(input)
    nsp = x.ndim - 2
    if nsp < 1:
        raise ValueError(f"interpolate: expected a 3-D or 4-D input, got {x.ndim}-D")
    if mode in ("nearest", "nearest-exact", "area") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias:
        raise NotImplementedError("interpolate: antialias is not supported")
    out_sizes, scales = _interp_scales(x, size, scale_factor, recompute_scale_factor, nsp,
                                       "interpolate")
    if mode in ("linear", "bilinear", "trilinear", "bicubic"):
        want = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}[mode]
        if want != nsp:
            raise ValueError(f"interpolate: mode {mode!r} expects {want + 2}-D input, got "
                             f"{x.ndim}-D")
    elif mode == "area":
        return adaptive_avg_pool2d(x, out_sizes) if nsp == 2 else adaptive_avg_pool1d(
            x, out_sizes)
    elif mode not in ("nearest", "nearest-exact"):
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported")
    out = x
    for k in range(nsp):
        d = 2 + k
        n_in, n_out = x.shape[d], out_sizes[k]
        scale = scales[k] if scales[k] is not None else n_in / n_out
        dst = np.arange(n_out, dtype=np.float64)
        lead = (slice(None),) * d
        if mode in ("nearest", "nearest-exact"):
            off = 0.5 if mode == "nearest-exact" else 0.0
            src = np.minimum(np.floor((dst + off) * scale).astype(np.int64), n_in - 1)
            out = out[lead + (src,)]
            continue
        shape = [1] * x.ndim
        shape[d] = n_out
        if align_corners:
            src = dst * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
        elif mode == "bicubic":
            src = (dst + 0.5) * scale - 0.5                 # not clamped (torch's cubic)
        else:
            src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
        if mode == "bicubic":
            i0 = np.floor(src).astype(np.int64)
            t = src - i0
            acc = None
            for k, wk in enumerate(_cubic_weights(t)):
                idx = np.clip(i0 - 1 + k, 0, n_in - 1)
                term = out[lead + (idx,)] * wk.astype(x.dtype).reshape(shape)
                acc = term if acc is None else acc + term
            out = acc
            continue
        i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        lam = (src - i0).astype(x.dtype).reshape(shape)
        out = out[lead + (i0,)] * (1.0 - lam) + out[lead + (i1,)] * lam
    return out


def _cubic_weights(t, a=-0.75):
    """torch's cubic convolution weights (A = -0.75) of the 4 taps around
    each source position, for fractional offsets ``t``."""
    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return far(t + 1), near(t), near(1 - t), far(2 - t)


# ----------------------------------------------------------------------------
# normalisation layers
# ----------------------------------------------------------------------------

def _moments(x, dims):
    mean = x.mean(dims, keepdim=True)
    c = x - mean
    return mean, c, (c * c).mean(dims, keepdim=True)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Normalise over every dim but 1 with the batch statistics (training)
    or the running ones; in training the running statistics (arrays or
    Tensors) are updated in place with the unbiased variance, as torch."""
    x = _t(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected at least 2-D input, got shape {tuple(x.shape)}")
    dims = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        count = int(np.prod(x.shape)) // max(x.shape[1], 1)
        if count == 1:      # (an empty input is fine, as in PyTorch: an empty result)
            raise ValueError(f"Expected more than 1 value per channel when training, got "
                             f"input size {tuple(x.shape)}")
        mean, c, var = _moments(x, dims)
        if running_mean is not None:
            _update(running_mean, mean.data.reshape(-1), momentum)
        if running_var is not None:
            _update(running_var, var.data.reshape(-1) * (count / (count - 1)), momentum)
        scale = (var + eps).rsqrt()
    else:
        rm = running_mean.data if isinstance(running_mean, Tensor) else np.asarray(running_mean)
        rv = running_var.data if isinstance(running_var, Tensor) else np.asarray(running_var)
        c = x - rm.reshape(shape)
        scale = 1.0 / np.sqrt(rv.reshape(shape) + eps)
    # per-channel work on (1, C, 1, ...) arrays, then one multiply and one add
    # over the whole input (and their VJPs)
    if weight is None:
        y = c * scale
    elif x.numel():
        y = c * (_t(weight).reshape(shape) * scale)
    else:   # empty input: its NaN statistics must not reach weight's (empty-sum) gradient
        y = (c * scale) * _t(weight).reshape(shape)
    if bias is not None:
        y = y + _t(bias).reshape(shape)
    return y


def _update(buf, value, momentum):
    arr = buf.data if isinstance(buf, Tensor) else buf
    arr *= (1.0 - momentum)
    arr += momentum * value.astype(arr.dtype)
    if isinstance(buf, Tensor):
        buf.mark_modified()


def _last_dims(x, normalized_shape, who):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(x.shape[x.ndim - len(ns):]) != ns or len(ns) > x.ndim:
        raise ValueError(f"{who}: normalized_shape {ns} does not match the last dims of an "
                         f"input of shape {tuple(x.shape)}")
    return tuple(range(x.ndim - len(ns), x.ndim))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    x = _t(input)
    dims = _last_dims(x, normalized_shape, "layer_norm")
    _, c, var = _moments(x, dims)
    y = c / (var + eps).sqrt()
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x**2) + eps)`` over the last dims; ``eps=None`` is the
    dtype's machine epsilon (as torch)."""
    x = _t(input)
    dims = _last_dims(x, normalized_shape, "rms_norm")
    if eps is None:
        eps = float(np.finfo(x.dtype).eps)
    y = x / ((x * x).mean(dims, keepdim=True) + eps).sqrt()
    return y if weight is None else y * weight


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    x = _t(input)
    n, c = x.shape[0], x.shape[1]
    if c % num_groups:
        raise ValueError(f"group_norm: num_channels {c} must be divisible by num_groups "
                         f"{num_groups}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(_t(p).shape) != (c,):
            raise RuntimeError(f"group_norm: {name} must be a vector of the input's {c} "
                               f"channels, got shape {tuple(_t(p).shape)} for an input of "
                               f"shape {tuple(x.shape)}")
    # (explicit size: -1 cannot be inferred for an empty batch)
    g = x.reshape(n, num_groups, (c // num_groups) * int(np.prod(x.shape[2:])))
    _, cg, var = _moments(g, (2,))
    y = (cg / (var + eps).sqrt()).reshape(tuple(x.shape))
    shape = (1, c) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = y * _t(weight).reshape(shape)
    if bias is not None:
        y = y + _t(bias).reshape(shape)
    return y


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-05):
    x = _t(input)
    if not use_input_stats:
        return batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    dims = tuple(range(2, x.ndim))
    mean, c, var = _moments(x, dims)
    y = c / (var + eps).sqrt()
    count = int(np.prod(x.shape[2:]))
    if running_mean is not None:
        _update(running_mean, mean.data.mean(0).reshape(-1), momentum)
    if running_var is not None:
        _update(running_var, (var.data * (count / max(count - 1, 1))).mean(0).reshape(-1),
                momentum)
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = y * _t(weight).reshape(shape)
    if bias is not None:
        y = y + _t(bias).reshape(shape)
    return y


# ----------------------------------------------------------------------------
# attention
# ----------------------------------------------------------------------------

def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """``softmax(q @ k^T * scale + mask) @ v`` (torch's reference math):
    a boolean ``attn_mask`` marks the positions that TAKE PART (False ->
    -inf), a float mask is added; ``is_causal`` masks the upper triangle.
    ``dropout_p`` draws numpy's mask (always applied, as torch's function)."""
    q, k, v = _t(query), _t(key), _t(value)
    L, S = q.shape[-2], k.shape[-2]
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1]) if q.shape[-1] else 1.0   # (E = 0: scores 0)
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        rep = q.shape[-3] // k.shape[-3]
        k = _repeat_heads(k, rep)
        v = _repeat_heads(v, rep)
    scores = (q @ k.transpose(-2, -1)) * scale
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: attn_mask and is_causal "
                             "cannot both be set")
        attn_mask = np.tril(np.ones((L, S), dtype=bool))
    if attn_mask is not None:
        # a boolean mask is data; a float mask is added (and differentiable,
        # in reverse and forward mode)
        m = attn_mask.data if isinstance(attn_mask, Tensor) and attn_mask.dtype == bool \
            else attn_mask
        if isinstance(m, np.ndarray) and m.dtype == bool:
            # as torch's math: the mask becomes a bias of 0 / -inf that is added
            # (np.where with a mask is much slower than an add)
            scores = scores + np.where(m, 0.0, -np.inf).astype(scores.dtype)
        else:
            scores = scores + m
    attn = scores.softmax(-1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return attn @ v


def _repeat_heads(t, rep):
    idx = np.repeat(np.arange(t.shape[-3]), rep)
    return t[(slice(None),) * (t.ndim - 3) + (idx,)]


def _mask_to_float(mask, dtype, who):
    """A boolean mask (True: masked out) as -inf/0; a float mask as is."""
    if mask is None:
        return None
    m = mask.data if isinstance(mask, Tensor) and not mask.requires_grad else mask
    if isinstance(m, np.ndarray):
        if m.dtype == bool:
            return np.where(m, -np.inf, 0.0).astype(dtype)
        if m.dtype.kind != "f":
            raise TypeError(f"{who}: only bool and floating types of masks are supported, "
                            f"got {m.dtype}")
    return m


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """torch's MHA on sequence-first inputs (L, N, E) (or unbatched (L, E)):
    returns ``(output, weights)``; ``weights`` (N, L, S), averaged over heads
    when ``average_attn_weights``, else (N, H, L, S); None without
    ``need_weights``. Masks: boolean True = masked out; float masks added."""
    q_in, k_in, v_in = _t(query), _t(key), _t(value)
    unbatched = q_in.ndim == 2
    if unbatched:
        q_in, k_in, v_in = q_in.unsqueeze(1), k_in.unsqueeze(1), v_in.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = np.asarray(getattr(key_padding_mask, "data",
                                                  key_padding_mask))[None]
    L, N, E = q_in.shape
    S = k_in.shape[0]
    if E != embed_dim_to_check:
        raise ValueError(f"multi_head_attention_forward: was expecting embedding dimension "
                         f"of {embed_dim_to_check}, but got {E}")
    H = num_heads
    hd = E // H
    if hd * H != E:
        raise ValueError(f"embed_dim {E} not divisible by num_heads {H}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint")
    if not use_separate_proj_weight:
        w = _t(in_proj_weight)
        wq, wk, wv = w[:E], w[E:2 * E], w[2 * E:]
    else:
        wq, wk, wv = _t(q_proj_weight), _t(k_proj_weight), _t(v_proj_weight)
    if in_proj_bias is not None:
        b = _t(in_proj_bias)
        bq, bk, bv = b[:E], b[E:2 * E], b[2 * E:]
    else:
        bq = bk = bv = None
    q = linear(q_in, wq, bq)
    k = linear(k_in, wk, bk) if static_k is None else None
    v = linear(v_in, wv, bv) if static_v is None else None
    dtype = q.dtype
    attn_mask = _mask_to_float(attn_mask, dtype, "multi_head_attention_forward")
    if attn_mask is not None and np.ndim(attn_mask) == 2:
        attn_mask = attn_mask[None] if isinstance(attn_mask, np.ndarray) \
            else attn_mask.unsqueeze(0)
    if bias_k is not None and bias_v is not None:
        k = _fns.cat([k, _t(bias_k).reshape(1, 1, E).expand(1, N, E)], 0)
        v = _fns.cat([v, _t(bias_v).reshape(1, 1, E).expand(1, N, E)], 0)
        if attn_mask is not None:
            attn_mask = pad(_t(attn_mask), (0, 1))
        if key_padding_mask is not None:
            kpm = np.asarray(getattr(key_padding_mask, "data", key_padding_mask))
            key_padding_mask = np.concatenate([kpm, np.zeros((N, 1), dtype=kpm.dtype)], 1)
    # (L, N, E) -> (N*H, L, hd)
    q = q.reshape(L, N * H, hd).transpose(0, 1)
    k = (k.reshape(k.shape[0], N * H, hd).transpose(0, 1) if static_k is None
         else _t(static_k))
    v = (v.reshape(v.shape[0], N * H, hd).transpose(0, 1) if static_v is None
         else _t(static_v))
    if add_zero_attn:
        k = _fns.cat([k, np.zeros((N * H, 1, hd), dtype=dtype)], 1)
        v = _fns.cat([v, np.zeros((N * H, 1, hd), dtype=dtype)], 1)
        if attn_mask is not None:
            attn_mask = pad(_t(attn_mask), (0, 1))
        if key_padding_mask is not None:
            kpm = np.asarray(getattr(key_padding_mask, "data", key_padding_mask))
            key_padding_mask = np.concatenate([kpm, np.zeros((N, 1), dtype=kpm.dtype)], 1)
    S = k.shape[1]
    if key_padding_mask is not None:
        kpm = _mask_to_float(key_padding_mask, dtype, "multi_head_attention_forward")
        kpm = np.broadcast_to(np.asarray(getattr(kpm, "data", kpm)).reshape(N, 1, 1, S),
                              (N, H, 1, S)).reshape(N * H, 1, S)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    scores = (q * (1.0 / math.sqrt(hd))) @ k.transpose(1, 2)
    if attn_mask is not None:
        scores = scores + attn_mask
    attn = scores.softmax(-1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    out = attn @ v                                      # (N*H, L, hd)
    out = out.transpose(0, 1).reshape(L * N, E)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(L, N, E)
    weights = None
    if need_weights:
        weights = attn.reshape(N, H, L, S)
        if average_attn_weights:
            weights = weights.mean(1)
    if unbatched:
        out = out.reshape(L, E)
        if weights is not None:
            weights = weights.reshape(tuple(weights.shape[1:]))
    return out, weights
