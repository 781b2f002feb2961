"""Primitives of ``autograd_c.nn.functional``: im2col / col2im (the two are
each other's VJP, so everything built on them -- convolutions, transposed
convolutions, pooling, ``F.unfold``/``F.fold`` -- is differentiable to every
order) and ``erf`` (for the exact GELU).

They have no ``autograd_c.<name>`` function or Tensor method: PyTorch's
``Tensor.unfold`` means something else; ``nn.functional`` calls them.
"""
from __future__ import annotations

import math

import numpy as np

from ._registry import op

try:                                    # scipy is optional: numpy has no erf
    from scipy.special import erf as _erf_fn
except ImportError:                     # pragma: no cover - depends on the install
    _erf_fn = np.vectorize(math.erf, otypes=[np.float64])


def _blocks(size, k, d, p, s, who):
    """Number of sliding positions along one spatial dim."""
    n = (size + 2 * p - d * (k - 1) - 1) // s + 1
    if n <= 0:
        raise ValueError(f"{who}: kernel {k} (dilation {d}) does not fit an input of size "
                         f"{size} with padding {p}")
    return n


@op("im2col")
class im2col:
    """``F.unfold`` of a (N, C, H, W) array: (N, C*kh*kw, L) with the
    channel-major, then kernel-row, kernel-column order of PyTorch, ``L`` the
    sliding positions (row-major). Zero padding, dilation and stride as
    ``torch.nn.functional.unfold``. Built with numpy stride tricks
    (``sliding_window_view``), one copy. VJP: ``col2im``."""

    def forward(input, kernel_size=(1, 1), dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
        x = np.asarray(input)
        if x.ndim != 4:
            raise ValueError(f"im2col: expected a 4-D (N, C, H, W) input, got shape {x.shape}")
        n, c, h, w = x.shape
        (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
        ho = _blocks(h, kh, dh, ph, sh, "im2col")
        wo = _blocks(w, kw, dw, pw, sw, "im2col")
        if ph or pw:
            x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        win = np.lib.stride_tricks.sliding_window_view(
            x, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
        # (N, C, positions_h, positions_w, window_h, window_w) -> the strided picks
        win = win[:, :, :sh * (ho - 1) + 1:sh, :sw * (wo - 1) + 1:sw, ::dh, ::dw]
        out = np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3)).reshape(n, c * kh * kw,
                                                                            ho * wo)
        return out, ((h, w), kernel_size, dilation, padding, stride)

    def backward(ctx, g, needs):
        size, k, d, p, s = ctx
        return (col2im(g, output_size=size, kernel_size=k, dilation=d, padding=p, stride=s),)


@op("col2im")
class col2im:
    """``F.fold``: (N, C*kh*kw, L) blocks summed into (N, C, H, W) at their
    sliding positions (overlaps add). The adjoint of ``im2col``, which is its
    VJP."""

    def forward(input, output_size=(1, 1), kernel_size=(1, 1), dilation=(1, 1),
                padding=(0, 0), stride=(1, 1)):
        cols = np.asarray(input)
        (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = \
            output_size, kernel_size, dilation, padding, stride
        if cols.ndim != 3 or kh * kw == 0 or cols.shape[1] % (kh * kw):
            raise ValueError(f"col2im: expected (N, C*{kh}*{kw}, L) blocks (a nonempty "
                             f"kernel), got shape "
                             f"{cols.shape}")
        ho = _blocks(h, kh, dh, ph, sh, "col2im")
        wo = _blocks(w, kw, dw, pw, sw, "col2im")
        if cols.shape[2] != ho * wo:
            raise ValueError(f"col2im: {cols.shape[2]} blocks given, but output size "
                             f"{(h, w)} with kernel {(kh, kw)}, dilation {(dh, dw)}, padding "
                             f"{(ph, pw)}, stride {(sh, sw)} has {ho * wo}")
        n, ck, _ = cols.shape
        c = ck // (kh * kw)
        blocks = cols.reshape(n, c, kh, kw, ho, wo)
        out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
        for i in range(kh):
            r0 = i * dh
            for j in range(kw):
                c0 = j * dw
                out[:, :, r0:r0 + sh * (ho - 1) + 1:sh, c0:c0 + sw * (wo - 1) + 1:sw] += \
                    blocks[:, :, i, j]
        if ph or pw:
            out = out[:, :, ph:ph + h, pw:pw + w]
        return np.ascontiguousarray(out), (kernel_size, dilation, padding, stride)

    def backward(ctx, g, needs):
        k, d, p, s = ctx
        return (im2col(g, kernel_size=k, dilation=d, padding=p, stride=s),)


@op("nn_erf", saves=(0,))
class nn_erf:
    """The error function (for the exact GELU; named ``nn_erf`` so that it
    cannot clash with an ``erf`` entry of the elementwise family); derivative
    ``2/sqrt(pi) * exp(-x**2)``."""

    def forward(input):
        x = np.asarray(input)
        out = _erf_fn(x)
        return np.asarray(out, dtype=x.dtype if x.dtype.kind == "f" else np.float64), input

    def backward(a, g, needs):
        return (g * (2.0 / math.sqrt(math.pi)) * np.exp(-(a * a)),)
