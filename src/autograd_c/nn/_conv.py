"""Convolution, transposed convolution, pooling, ``unfold``/``fold``.

Convolution is im2col + ONE batched matmul over all groups: ``im2col``
(numpy stride tricks, the ``ops.nn`` primitive) turns the input into blocks
(N, groups, C/groups*kh*kw, L) and a (groups, O/groups, C/groups*kh*kw)
weight multiplies them in one ``matmul`` call that broadcasts over the batch
and the groups. Transposed convolution is the mirror: one matmul, then
``col2im`` (scatter-add). Pooling gathers the windows with ``im2col`` and
reduces them (``take_along_dim`` at the argmax for max, a sum for average).
``im2col`` and ``col2im`` are each other's VJP, so all of this is
differentiable to any order. 1-D versions run the 2-D ones on (N, C, 1, L).
"""
from __future__ import annotations

import numpy as np

from ..ops import REGISTRY as _R
from ._helpers import as_tensor as _t
from ._helpers import const_like as _const
from ._helpers import tup as _tup

__all__ = ["unfold", "fold", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d",
           "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d"]

_im2col = _R["im2col"]
_col2im = _R["col2im"]


def _out_size(n, k, d, p, s):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of a (N, C, H, W) (or unbatched (C, H, W)) input as
    (N, C*kh*kw, L), torch's layout."""
    x = _t(input)
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    if x.ndim != 4:
        raise ValueError(f"unfold: expected a 3-D or 4-D input, got shape {tuple(input.shape)}")
    out = _im2col(x, kernel_size=_tup(kernel_size, 2, "unfold", "kernel_size"),
                  dilation=_tup(dilation, 2, "unfold", "dilation"),
                  padding=_tup(padding, 2, "unfold", "padding"),
                  stride=_tup(stride, 2, "unfold", "stride"))
    return out.reshape(tuple(out.shape[1:])) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum (N, C*kh*kw, L) blocks into (N, C, H, W) (overlaps add), torch's
    ``F.fold``; an unbatched (C*kh*kw, L) input gives (C, H, W)."""
    x = _t(input)
    unbatched = x.ndim == 2
    if unbatched:
        x = x.unsqueeze(0)
    out = _col2im(x, output_size=_tup(output_size, 2, "fold", "output_size"),
                  kernel_size=_tup(kernel_size, 2, "fold", "kernel_size"),
                  dilation=_tup(dilation, 2, "fold", "dilation"),
                  padding=_tup(padding, 2, "fold", "padding"),
                  stride=_tup(stride, 2, "fold", "stride"))
    return out.reshape(tuple(out.shape[1:])) if unbatched else out


# ----------------------------------------------------------------------------
# convolution
# ----------------------------------------------------------------------------

def _same_padding(x, ksize, dilation, stride, padding, who):
    """Resolve string padding; "same" with an even total pads right/bottom
    one more (as torch), done with an explicit pad."""
    if not isinstance(padding, str):
        return x, padding
    if padding == "valid":
        return x, (0,) * len(ksize)
    if padding != "same":
        raise ValueError(f"{who}: invalid padding string {padding!r}, should be one of "
                         f"{{'valid', 'same'}}")
    if any(s != 1 for s in stride):
        raise ValueError(f"{who}: padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for k, d in zip(ksize, dilation)]
    left = [t // 2 for t in total]
    if all(2 * lft == t for lft, t in zip(left, total)):
        return x, tuple(left)
    from .functional import pad
    spec = []
    for lft, t in reversed(list(zip(left, total))):
        spec += [lft, t - lft]
    return pad(x, spec), (0,) * len(ksize)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation as torch: input (N, C, H, W) or (C, H, W),
    weight (O, C/groups, kh, kw); ``padding`` an int, a pair, "same" or
    "valid". im2col + one matmul over the groups (see the module docstring)."""
    x, w = _t(input), _t(weight)
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"conv2d: expected a 3-D or 4-D input and a 4-D weight, got "
                         f"shapes {tuple(input.shape)} and {tuple(w.shape)}")
    n, c = x.shape[0], x.shape[1]
    o, cg, kh, kw = w.shape
    if cg * groups != c or o % groups:
        raise ValueError(f"conv2d: input with {c} channels and weight of shape "
                         f"{tuple(w.shape)} do not fit groups={groups} (expected input to "
                         f"have {cg * groups} channels)")
    stride = _tup(stride, 2, "conv2d", "stride")
    dilation = _tup(dilation, 2, "conv2d", "dilation")
    x, padding = _same_padding(x, (kh, kw), dilation, stride, padding, "conv2d")
    padding = _tup(padding, 2, "conv2d", "padding")
    h, wd = x.shape[2], x.shape[3]
    ho = _out_size(h, kh, dilation[0], padding[0], stride[0])
    wo = _out_size(wd, kw, dilation[1], padding[1], stride[1])
    if ho <= 0 or wo <= 0:
        raise ValueError(f"conv2d: kernel size ({kh}, {kw}) (dilation {dilation}) can't be "
                         f"greater than the padded input size ({h + 2 * padding[0]}, "
                         f"{wd + 2 * padding[1]})")
    cols = _im2col(x, kernel_size=(kh, kw), dilation=dilation, padding=padding, stride=stride)
    k = cg * kh * kw
    out = w.reshape(groups, o // groups, k) @ cols.reshape(n, groups, k, ho * wo)
    out = out.reshape(n, o, ho, wo)
    if bias is not None:
        out = out + _t(bias).reshape(1, o, 1, 1)
    return out.reshape(o, ho, wo) if unbatched else out


def _as_2d_args(stride, padding, dilation, who):
    stride = (1, _tup(stride, 1, who, "stride")[0])
    dilation = (1, _tup(dilation, 1, who, "dilation")[0])
    if not isinstance(padding, str):
        padding = (0, _tup(padding, 1, who, "padding")[0])
    return stride, padding, dilation


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation: (N, C, L) or (C, L) input, (O, C/groups, k)
    weight; runs ``conv2d`` on a height-1 image."""
    x, w = _t(input), _t(weight)
    if x.ndim not in (2, 3) or w.ndim != 3:
        raise ValueError(f"conv1d: expected a 2-D or 3-D input and a 3-D weight, got shapes "
                         f"{tuple(x.shape)} and {tuple(w.shape)}")
    stride, padding, dilation = _as_2d_args(stride, padding, dilation, "conv1d")
    out = conv2d(x.unsqueeze(-2), w.unsqueeze(-2), bias, stride, padding, dilation, groups)
    shape = tuple(out.shape)
    return out.reshape(shape[:-2] + shape[-1:])


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """The adjoint of ``conv2d`` (torch's argument order): weight (C_in,
    C_out/groups, kh, kw); output size ``(H-1)*stride - 2*padding +
    dilation*(k-1) + output_padding + 1``. One matmul (the weight transposed
    per group), then col2im."""
    x, w = _t(input), _t(weight)
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"conv_transpose2d: expected a 3-D or 4-D input and a 4-D weight, "
                         f"got shapes {tuple(input.shape)} and {tuple(w.shape)}")
    n, c, h, wd = x.shape
    cin, og, kh, kw = w.shape
    if cin != c or c % groups:
        raise ValueError(f"conv_transpose2d: input with {c} channels does not fit weight "
                         f"of shape {tuple(w.shape)} with groups={groups}")
    stride = _tup(stride, 2, "conv_transpose2d", "stride")
    padding = _tup(padding, 2, "conv_transpose2d", "padding")
    dilation = _tup(dilation, 2, "conv_transpose2d", "dilation")
    opad = _tup(output_padding, 2, "conv_transpose2d", "output_padding")
    for op_, s, d in zip(opad, stride, dilation):
        if op_ >= s and op_ >= d:
            raise ValueError(f"conv_transpose2d: output padding must be smaller than either "
                             f"stride or dilation, got output_padding={opad}, stride={stride},"
                             f" dilation={dilation}")
        if op_ >= s:
            raise NotImplementedError("conv_transpose2d: output_padding >= stride is not "
                                      "supported")
    ho = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + opad[0] + 1
    wo = (wd - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + opad[1] + 1
    cg = c // groups
    k = og * kh * kw
    wt = w.reshape(groups, cg, k).transpose(1, 2)              # (g, O/g*kh*kw, C/g)
    cols = wt @ x.reshape(n, groups, cg, h * wd)               # (N, g, O/g*kh*kw, H*W)
    out = _col2im(cols.reshape(n, groups * k, h * wd), output_size=(ho, wo),
                  kernel_size=(kh, kw), dilation=dilation, padding=padding, stride=stride)
    if bias is not None:
        out = out + _t(bias).reshape(1, groups * og, 1, 1)
    return out.reshape(tuple(out.shape[1:])) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    x, w = _t(input), _t(weight)
    if x.ndim not in (2, 3) or w.ndim != 3:
        raise ValueError(f"conv_transpose1d: expected a 2-D or 3-D input and a 3-D weight, "
                         f"got shapes {tuple(x.shape)} and {tuple(w.shape)}")
    stride, padding, dilation = _as_2d_args(stride, padding, dilation, "conv_transpose1d")
    opad = (0, _tup(output_padding, 1, "conv_transpose1d", "output_padding")[0])
    out = conv_transpose2d(x.unsqueeze(-2), w.unsqueeze(-2), bias, stride, padding, opad,
                           groups, dilation)
    shape = tuple(out.shape)
    return out.reshape(shape[:-2] + shape[-1:])


# ----------------------------------------------------------------------------
# pooling
# ----------------------------------------------------------------------------

def _pool_size(n, k, s, p, d, ceil_mode):
    num = n + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode, who):
    k = _tup(kernel_size, 2, who, "kernel_size")
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else _tup(stride, 2, who, "stride")
    p = _tup(padding, 2, who, "padding")
    d = _tup(dilation, 2, who, "dilation")
    for pi, ki, di in zip(p, k, d):
        if pi > (di * (ki - 1) + 1) // 2:
            raise ValueError(f"{who}: pad should be at most half of effective kernel size, "
                             f"but got pad={pi}, kernel_size={ki} and dilation={di}")
    h, w = x.shape[-2], x.shape[-1]
    ho = _pool_size(h, k[0], s[0], p[0], d[0], ceil_mode)
    wo = _pool_size(w, k[1], s[1], p[1], d[1], ceil_mode)
    if ho <= 0 or wo <= 0:
        raise ValueError(f"{who}: output size ({ho}, {wo}) is too small for an input of "
                         f"shape {tuple(x.shape)}")
    # extra bottom/right padding for the ceil_mode windows
    eh = max(0, (ho - 1) * s[0] + d[0] * (k[0] - 1) + 1 - (h + 2 * p[0]))
    ew = max(0, (wo - 1) * s[1] + d[1] * (k[1] - 1) + 1 - (w + 2 * p[1]))
    return k, s, p, d, ho, wo, eh, ew


def _batched4(x, who):
    x = _t(x)
    if x.ndim == 3:
        return x.unsqueeze(0), True
    if x.ndim != 4:
        raise ValueError(f"{who}: expected a 3-D or 4-D input, got shape {tuple(x.shape)}")
    return x, False


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over each window (implicit -inf padding); the gradient goes to the
    first maximum of each window, as torch. ``return_indices``: flat
    positions in each input plane (int64)."""
    x, unbatched = _batched4(input, "max_pool2d")
    k, s, p, d, ho, wo, eh, ew = _pool_args(x, kernel_size, stride, padding, dilation,
                                            ceil_mode, "max_pool2d")
    n, c, h, w = x.shape
    if p[0] or p[1] or eh or ew:
        from .functional import pad
        x = pad(x, (p[1], p[1] + ew, p[0], p[0] + eh), value=-np.inf)
    cols = _im2col(x, kernel_size=k, dilation=d, padding=(0, 0), stride=s)
    cols = cols.reshape(n, c, k[0] * k[1], ho * wo)
    arg = np.argmax(cols.data, axis=2)[:, :, None, :]
    out = cols.take_along_dim(arg, 2).reshape(n, c, ho, wo)
    if unbatched:
        out = out.reshape(c, ho, wo)
    if not return_indices:
        return out
    a = arg.reshape(n, c, ho, wo)
    rows = np.arange(ho)[:, None] * s[0] - p[0] + (a // k[1]) * d[0]
    cols_ = np.arange(wo)[None, :] * s[1] - p[1] + (a % k[1]) * d[1]
    idx = (rows * w + cols_).astype(np.int64)
    return out, _const(out, idx[0] if unbatched else idx)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    x = _t(input)
    k = (1, _tup(kernel_size, 1, "max_pool1d", "kernel_size")[0])
    s = None if stride is None else (1, _tup(stride, 1, "max_pool1d", "stride")[0])
    p = (0, _tup(padding, 1, "max_pool1d", "padding")[0])
    d = (1, _tup(dilation, 1, "max_pool1d", "dilation")[0])
    res = max_pool2d(x.unsqueeze(-2), k, s, p, d, ceil_mode, return_indices)
    if return_indices:
        out, idx = res
        shape = tuple(out.shape)
        return (out.reshape(shape[:-2] + shape[-1:]),
                _const(out, idx.data.reshape(shape[:-2] + shape[-1:])))
    shape = tuple(res.shape)
    return res.reshape(shape[:-2] + shape[-1:])


def _avg_divisor(n, k, s, p, out, count_include_pad):
    start = np.arange(out) * s - p
    end = np.minimum(start + k, n + p)
    size = end - start
    start_c, end_c = np.maximum(start, 0), np.minimum(end, n)
    return size if count_include_pad else end_c - start_c


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean of each window; the divisor as torch's (``count_include_pad``,
    ``ceil_mode`` windows clipped at the padded border, ``divisor_override``)."""
    x, unbatched = _batched4(input, "avg_pool2d")
    k, s, p, d, ho, wo, eh, ew = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode,
                                            "avg_pool2d")
    n, c, h, w = x.shape
    if p[0] or p[1] or eh or ew:
        from .functional import pad
        x = pad(x, (p[1], p[1] + ew, p[0], p[0] + eh))
    cols = _im2col(x, kernel_size=k, dilation=(1, 1), padding=(0, 0), stride=s)
    total = cols.reshape(n, c, k[0] * k[1], ho, wo).sum(2)
    if divisor_override:
        out = total / float(divisor_override)
    else:
        dh = _avg_divisor(h, k[0], s[0], p[0], ho, count_include_pad)
        dw = _avg_divisor(w, k[1], s[1], p[1], wo, count_include_pad)
        out = total / (dh[:, None] * dw[None, :]).astype(x.dtype)
    return out.reshape(c, ho, wo) if unbatched else out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    x = _t(input)
    k = (1, _tup(kernel_size, 1, "avg_pool1d", "kernel_size")[0])
    s = None if stride is None else (1, _tup(stride, 1, "avg_pool1d", "stride")[0])
    p = (0, _tup(padding, 1, "avg_pool1d", "padding")[0])
    out = avg_pool2d(x.unsqueeze(-2), k, s if s is not None else k, p, ceil_mode,
                     count_include_pad)
    shape = tuple(out.shape)
    return out.reshape(shape[:-2] + shape[-1:])


def _adaptive_windows(n, out):
    """(out, kmax) source indices (short windows repeat their last index)
    and the window lengths: torch's start=floor(i*n/out), end=ceil((i+1)*n/out)."""
    i = np.arange(out)
    start = (i * n) // out
    end = -((-(i + 1) * n) // out)
    kmax = int((end - start).max())
    idx = np.minimum(start[:, None] + np.arange(kmax)[None, :], (end - 1)[:, None])
    valid = start[:, None] + np.arange(kmax)[None, :] < end[:, None]
    return idx, valid, end - start


def _adaptive_sizes(x, output_size, nsp, who):
    """``output_size`` as an n-tuple; None entries keep the input's size."""
    if isinstance(output_size, (tuple, list)) and None in output_size:
        return tuple(x.shape[x.ndim - nsp + i] if o is None else int(o)
                     for i, o in enumerate(output_size))
    return _tup(output_size, nsp, who, "output_size")


def adaptive_avg_pool2d(input, output_size):
    """Mean over torch's adaptive windows, one spatial dim at a time (a
    gather of the windows and a weighted sum)."""
    x = _t(input)
    sizes = _adaptive_sizes(x, output_size, 2, "adaptive_avg_pool2d")
    return _adaptive_avg(x, sizes)


def _adaptive_avg(x, sizes):
    nsp = len(sizes)
    out = x
    for j, o in enumerate(sizes):
        d = x.ndim - nsp + j
        n = x.shape[d]
        if n == o:
            continue
        idx, valid, length = _adaptive_windows(n, o)
        g = out[(slice(None),) * d + (idx,)]            # (..., o, kmax, ...)
        wts = (valid / length[:, None]).astype(x.dtype)
        shape = [1] * g.ndim
        shape[d], shape[d + 1] = wts.shape
        out = (g * wts.reshape(shape)).sum(d + 1)
    return out


def adaptive_avg_pool1d(input, output_size):
    x = _t(input)
    sizes = _tup(output_size, 1, "adaptive_avg_pool1d", "output_size")
    return _adaptive_avg(x, sizes)


def _adaptive_max(x, sizes, return_indices):
    """Max over torch's adaptive windows, the last spatial dim first (so ties
    go to the first maximum in row-major order, as torch)."""
    nsp = len(sizes)
    out = x
    picks = {}
    for j in reversed(range(nsp)):
        d = x.ndim - nsp + j
        idx, _, _ = _adaptive_windows(x.shape[d], sizes[j])
        g = out[(slice(None),) * d + (idx,)]            # (..., o, kmax, ...)
        arg = np.expand_dims(np.argmax(g.data, axis=d + 1), d + 1)
        out = g.take_along_dim(arg, d + 1)
        out = out.reshape(tuple(out.shape[:d + 1]) + tuple(out.shape[d + 2:]))
        src = np.broadcast_to(idx.reshape(idx.shape + (1,) * (g.ndim - d - 2)), g.shape)
        picks[j] = np.squeeze(np.take_along_axis(src, arg, d + 1), d + 1)
    if not return_indices:
        return out
    if nsp == 1:
        flat = picks[0]
    else:
        # picks[1]: input column per (.., H, ow); picks[0]: input row per (.., oh, ow)
        rows = picks[0]
        cols = np.take_along_axis(picks[1], rows, x.ndim - 2)
        flat = rows * x.shape[-1] + cols
    return out, _const(out, flat.astype(np.int64))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    x = _t(input)
    sizes = _adaptive_sizes(x, output_size, 2, "adaptive_max_pool2d")
    return _adaptive_max(x, sizes, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    x = _t(input)
    sizes = _tup(output_size, 1, "adaptive_max_pool1d", "output_size")
    return _adaptive_max(x, sizes, return_indices)

