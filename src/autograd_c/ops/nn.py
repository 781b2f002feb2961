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


# erf in float32 arithmetic (a float32 GELU otherwise spends most of its time
# in erf): below 1, erf(a) = a * P(a^2); from 1 to 4, erf(a) = 1 - exp(-a^2) *
# Q(1 / (1 + a/2)) (Q ~ erfcx); beyond, 1. P and Q (degree 6 each) are
# least-squares fits in relative error against a float64 erf (P: 1.3e-9,
# Q: ~1e-8); the results are within 3 ulp of the correctly rounded erf (mean
# 0.4 ulp). The two branches are combined bitwise (np.where with a random
# mask costs far more than the polynomials).
_ERF_P = np.array([1.1283791656845137, -0.3761262555265446, 0.1128358211956339,
                   -0.026853686332041476, 0.005188090330054032, -0.0008008115909327691,
                   7.847017966423103e-05], dtype=np.float32)
_ERF_Q = np.array([0.0005148177903504393, 0.27479421465473824, 0.32462406258476534,
                   0.11858432828518527, 0.3770280988211292, -0.03545671919574184,
                   -0.06089821375219775], dtype=np.float32)


def _horner(c, z):
    acc = z * c[-1]
    acc += c[-2]
    for k in c[-3::-1]:
        acc *= z
        acc += k
    return acc


def _erf_f32(x):
    """erf of a float32 array (see above); NaN stays NaN, +-inf give +-1,
    -0.0 gives -0.0."""
    a = np.abs(x)
    with np.errstate(over="ignore", invalid="ignore"):   # huge |x|: the unused branch
        small = a * _horner(_ERF_P, a * a)
    b = np.minimum(a, np.float32(4.0))
    t = b * np.float32(0.5)
    t += np.float32(1.0)
    np.divide(np.float32(1.0), t, out=t)
    big = _horner(_ERF_Q, t)
    np.multiply(b, b, out=t)
    np.negative(t, out=t)
    big *= np.exp(t, out=t)
    np.subtract(np.float32(1.0), big, out=big)
    keep = (a < np.float32(1.0)).view(np.uint8).astype(np.uint32)
    keep *= np.uint32(0xFFFFFFFF)           # all ones where ``a < 1``, else zero
    bits = small.view(np.uint32)
    bits &= keep
    keep ^= np.uint32(0xFFFFFFFF)
    keep &= big.view(np.uint32)
    bits |= keep                            # (NaN: ``big`` is NaN, np.minimum keeps it)
    keep = x.view(np.uint32) & np.uint32(0x80000000)
    bits |= keep                            # erf(-a) = -erf(a): x's sign bit
    return bits.view(np.float32)


def _blocks(size, k, d, p, s, who):
    """Number of sliding positions along one spatial dim."""
    n = (size + 2 * p - d * (k - 1) - 1) // s + 1
    if n <= 0:
        raise ValueError(f"{who}: kernel {k} (dilation {d}) does not fit an input of size "
                         f"{size} with padding {p}")
    return n


def _tiles(h, w, kh, kw, dh, dw, ph, pw, sh, sw, ho, wo):
    """Whether the windows tile the (unpadded) input exactly, side by side
    without overlap or gaps (2x2 pooling with stride 2 on an even size):
    im2col and col2im are then a transposing copy."""
    return (kh * kw > 1 and (sh, sw) == (kh, kw) and dh == dw == 1 and ph == pw == 0
            and h == kh * ho and w == kw * wo)


@op("im2col")
class im2col:
    """``F.unfold`` of a (N, C, H, W) array: (N, C*kh*kw, L) with the
    channel-major, then kernel-row, kernel-column order of PyTorch, ``L`` the
    sliding positions (row-major). Zero padding, dilation and stride as
    ``torch.nn.functional.unfold``. A strided view (``as_strided``) of the
    zero-padded input, copied once; windows tiling the input without overlap
    (2x2 pooling) are one transposing copy. VJP: ``col2im``."""

    def forward(input, kernel_size=(1, 1), dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
        x = np.asarray(input)
        if x.ndim != 4:
            raise ValueError(f"im2col: expected a 4-D (N, C, H, W) input, got shape {x.shape}")
        n, c, h, w = x.shape
        (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
        ho = _blocks(h, kh, dh, ph, sh, "im2col")
        wo = _blocks(w, kw, dw, pw, sw, "im2col")
        ctx = ((h, w), kernel_size, dilation, padding, stride)
        if _tiles(h, w, kh, kw, dh, dw, ph, pw, sh, sw, ho, wo):
            # windows side by side covering the input (pooling): one transposing copy
            out = x.reshape(n, c, ho, kh, wo, kw).transpose(0, 1, 3, 5, 2, 4)
            return np.ascontiguousarray(out).reshape(n, c * kh * kw, ho * wo), ctx
        if ph or pw:
            padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
            padded[:, :, ph:ph + h, pw:pw + w] = x
            x = padded
        # (N, C, kernel_h, kernel_w, positions_h, positions_w): a strided view of
        # the input, copied once by the reshape
        s0, s1, s2, s3 = x.strides
        win = np.lib.stride_tricks.as_strided(
            x, (n, c, kh, kw, ho, wo), (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw),
            writeable=False)
        out = win.reshape(n, c * kh * kw, ho * wo)
        if np.may_share_memory(out, x):     # reshape gave a view (1x1 kernel): copy
            out = out.copy()
        return out, ctx

    def backward(ctx, g, needs):
        size, k, d, p, s = ctx
        return (col2im(g, output_size=size, kernel_size=k, dilation=d, padding=p, stride=s),)


@op("col2im")
class col2im:
    """``F.fold``: (N, C*kh*kw, L) blocks summed into (N, C, H, W) at their
    sliding positions (overlaps add). The adjoint of ``im2col``, which is its
    VJP. One strided add per kernel offset; windows tiling the output (2x2
    pooling) are one transposing copy."""

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
        if _tiles(h, w, kh, kw, dh, dw, ph, pw, sh, sw, ho, wo):
            # non-overlapping windows covering the output: one transposing copy
            out = np.ascontiguousarray(blocks.transpose(0, 1, 4, 2, 5, 3))
            return out.reshape(n, c, h, w), (kernel_size, dilation, padding, stride)
        hp, wp = h + 2 * ph, w + 2 * pw
        out = np.zeros((n, c, hp, wp), dtype=cols.dtype)
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
        if x.dtype == np.float32 and x.size > 64:
            return _erf_f32(x), input
        out = _erf_fn(x)
        return np.asarray(out, dtype=x.dtype if x.dtype.kind == "f" else np.float64), input

    def backward(a, g, needs):
        return (g * (2.0 / math.sqrt(math.pi)) * np.exp(-(a * a)),)
