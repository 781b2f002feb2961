"""Linear algebra: inverses, determinants, solves and decompositions.

VJPs follow the formulas of PyTorch's derivatives.yaml (real case), written
with ops (``matmul``, ``inv``, ``linalg_solve``, transposes, elementwise) on
the saved input/output, so each is differentiable again.

Multi-output decompositions (``qr``, ``svd``, ``eigh``) are one op each whose
forward returns the outputs *packed*: every output flattened over its matrix
dims and concatenated along a last axis (batch dims kept). The public
functions unpack them with ``getitem`` + ``reshape`` (recorded ops), so a
user's gradient for any output arrives in the packed gradient, and the VJP
unpacks the gradient and the saved packed output the same way. The forward
runs once, and the backward sees every output's gradient together, as the
decomposition's formula needs.
"""
from __future__ import annotations

import math

import numpy as np

from ._helpers import cast, norm_dims, shape_of
from ._registry import op
from .index import getitem
from .shape import reshape

__all__ = [
    "cholesky_lower",
    "det",
    "eigh_packed",
    "inv",
    "linalg_solve",
    "logabsdet",
    "pinv_op",
    "qr_packed",
    "svd_packed",
    "vector_norm_p",
]


def _mT(x):
    return np.swapaxes(x, -1, -2)


def _dt(x):
    return x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype


def _eye(n, like):
    return np.eye(n, dtype=_dt(like))


def _diag(v, n):
    """A batch of vectors ``(..., n)`` as diagonal matrices ``(..., n, n)``."""
    return np.expand_dims(v, -1) * _eye(n, v)


def _is_zero(x):
    """True when ``x`` is all zeros and not a function of anything (a
    gradient that requires grad is kept even when zero: forward mode
    differentiates the VJP with respect to it, at zero)."""
    if hasattr(x, "_engine"):
        return not x.requires_grad and not np.any(x.data)
    return not np.any(x)


def _square(who, shape):
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{who}(): expected a (batch of) square matrices, got shape {shape}")


def _matrices(who, shape):
    if len(shape) < 2:
        raise ValueError(f"{who}(): expected a (batch of) matrices, got shape {shape}")


def _cols(x, a, b=None):
    return getitem(x, index=(Ellipsis, slice(a, b)))


def _rows(x, a, b=None):
    return getitem(x, index=(Ellipsis, slice(a, b), slice(None)))


def _pack(arrays, batch):
    # (explicit sizes, not -1: numpy cannot infer a -1 in an empty batch)
    return np.concatenate([np.reshape(a, batch + (math.prod(np.shape(a)[len(batch):]),))
                           for a in arrays], axis=-1)


def _unpack(p, batch, shapes):
    """The outputs packed by ``_pack`` (works on arrays and Tensors)."""
    out, start = [], 0
    for shp in shapes:
        n = math.prod(shp)
        out.append(reshape(_cols(p, start, start + n), shape=batch + tuple(shp)))
        start += n
    return out


# --------------------------------------------------------------------------
# inverse, determinant, solve
# --------------------------------------------------------------------------

@op("inv", saves_output=True)
class inv:
    """Inverse of a (batch of) square matrices. VJP ``-A^{-T} g A^{-T}``
    from the saved output."""

    def forward(input):
        _square("linalg.inv", shape_of(input))
        out = np.linalg.inv(input)
        return out, out

    def backward(out, g, needs):
        t = _mT(out)
        return (-(t @ g @ t),)


@op("det", saves=(0,), saves_output=True)
class det:
    """Determinant. VJP ``g * det(A) * A^{-T}``; for a singular (or
    ill-conditioned) matrix the cofactor matrix from the SVD (as PyTorch,
    singular matrices have a gradient)."""

    def forward(input):
        _square("linalg.det", shape_of(input))
        out = np.asarray(np.linalg.det(input))
        return out, (input, out)

    def backward(ctx, g, needs):
        a, out = ctx
        d = _data(a)
        if d.size == 0:         # 0x0 matrices (det 1) or an empty batch: nothing to do
            return (a * 0.0,)
        if not np.all(_data(out) != 0) or np.any(np.linalg.cond(d) > _ILL):
            return (_det_grad_svd(a, g),)
        s = np.expand_dims(np.expand_dims(g * out, -1), -1)
        return (s * _mT(inv(a)),)


def _data(x):
    return x.data if hasattr(x, "_engine") else x


#: condition number above which det's VJP takes the SVD route (the inverse
#: would amplify rounding, and the second order through it)
_ILL = 1e8


def _det_grad_svd(a, g):
    """det's VJP for any matrix (singular ones too): ``g`` times the cofactor
    matrix ``det(U) det(Vh) U diag(prod_{j != i} s_j) Vh``, from the SVD."""
    shape = shape_of(a)
    n = shape[-1]
    batch = tuple(shape[:-2])
    U, S, Vh = _unpack(svd_packed(a, full_matrices=False), batch, [(n, n), (n,), (n, n)])
    sign = np.linalg.det(_data(U)) * np.linalg.det(_data(Vh))
    cols = []
    for i in range(n):
        p = None
        for j in range(n):
            if j != i:
                sj = getitem(S, index=(Ellipsis, slice(j, j + 1)))
                p = sj if p is None else p * sj
        cols.append(p if p is not None else np.ones(batch + (1,), dtype=_dt(a)))
    others = np.concatenate(cols, axis=-1) if n > 1 else cols[0]
    w = np.expand_dims(np.expand_dims(g * sign, -1), -1)
    return w * (U @ (np.expand_dims(others, -1) * Vh))


@op("logabsdet", saves=(0,))
class logabsdet:
    """``log|det A|`` (slogdet's differentiable part). VJP ``g * A^{-T}``."""

    def forward(input):
        _square("linalg.slogdet", shape_of(input))
        _, out = np.linalg.slogdet(input)
        return np.asarray(out), input

    def backward(a, g, needs):
        return (np.expand_dims(np.expand_dims(g, -1), -1) * _mT(inv(a)),)


@op("linalg_solve", saves=(0,), saves_output=True)
class linalg_solve:
    """``X = A^{-1} B`` for matrices ``B`` (batch dims broadcast). VJP:
    ``gB = A^{-T} g`` (a solve), ``gA = -gB X^T``."""

    def forward(A, B):
        _square("linalg.solve", shape_of(A))
        out = np.linalg.solve(A, B)
        return out, (A, out, shape_of(B), _dt(B))

    def backward(ctx, g, needs):
        a, x, bshape, bdtype = ctx
        gb = linalg_solve(_mT(a), g)
        ga = -(gb @ _mT(x)) if needs[0] else None
        from ._helpers import Like
        return (cast(ga, a) if ga is not None else None,
                cast(gb, Like(bshape, bdtype)) if needs[1] else None)


# --------------------------------------------------------------------------
# decompositions
# --------------------------------------------------------------------------

def _tril_half(n, like):
    """Lower triangle of ones with 0.5 on the diagonal (Cholesky's Phi)."""
    w = np.tril(np.ones((n, n), dtype=_dt(like)))
    np.fill_diagonal(w, 0.5)
    return w


@op("cholesky_lower", saves_output=True)
class cholesky_lower:
    """Lower Cholesky factor L of a symmetric positive-definite matrix.
    VJP (symmetric, as PyTorch): ``S = L^{-T} Phi(L^T g) L^{-1}``,
    ``(S + S^T) / 2`` with Phi the lower triangle, diagonal halved."""

    def forward(input):
        _square("linalg.cholesky", shape_of(input))
        out = np.linalg.cholesky(input)
        return out, out

    def backward(L, g, needs):
        n = L.shape[-1]
        phi = (_mT(L) @ g) * _tril_half(n, g)
        li = inv(L)
        s = _mT(li) @ phi @ li
        return ((s + _mT(s)) * 0.5,)


def _copyltu(m):
    """The symmetric matrix whose lower triangle is that of ``m``."""
    n = m.shape[-1]
    low = np.tril(np.ones((n, n), dtype=_dt(m)))
    strict = np.tril(np.ones((n, n), dtype=_dt(m)), -1)
    return m * low + _mT(m * strict)


def _qr_square_or_tall(Q, R, gQ, gR):
    """VJP of A = QR for m >= n (Q m x n, R n x n)."""
    M = R @ _mT(gR) - _mT(gQ) @ Q
    b = gQ + Q @ _copyltu(M)
    return b @ _mT(inv(R))


def _qr_forward(input, mode="reduced"):
    shape = shape_of(input)
    _matrices("linalg.qr", shape)
    if mode not in ("reduced", "complete"):
        raise ValueError(f"linalg.qr(): mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    q, r = np.linalg.qr(input, mode=mode)
    batch = tuple(shape[:-2])
    out = _pack([q, r], batch)
    return out, (out, batch, q.shape[-2:], r.shape[-2:], mode, shape)


def _qr_backward(ctx, g, needs):
    out, batch, qshape, rshape, mode, shape = ctx
    m, n = shape[-2], shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError("linalg.qr: the derivative is not defined when mode='complete' "
                           "and the matrix has more rows than columns")
    Q, R = _unpack(out, batch, [qshape, rshape])
    gQ, gR = _unpack(g, batch, [qshape, rshape])
    if m >= n:
        return (_qr_square_or_tall(Q, R, gQ, gR),)
    U, V = _cols(R, 0, m), _cols(R, m)
    gU, gV = _cols(gR, 0, m), _cols(gR, m)
    Y = Q @ V
    gX = _qr_square_or_tall(Q, U, gQ + Y @ _mT(gV), gU)
    return (np.concatenate([gX, Q @ gV], axis=-1),)


@op("qr_packed", saves_output=True)
class qr_packed:
    """``Q, R`` of ``A`` (mode "reduced" or "complete"), packed (see the
    module docstring). VJP (m >= n): ``[gQ + Q copyltu(M)] R^{-T}`` with
    ``M = R gR^T - gQ^T Q``; for m < n by splitting ``A = [X | Y]``.
    mode="complete" with m > n is not differentiable (as in PyTorch)."""

    forward = staticmethod(_qr_forward)
    backward = staticmethod(_qr_backward)


def _svd_shapes(shape, full):
    m, n = shape[-2], shape[-1]
    k = min(m, n)
    return ((m, m) if full else (m, k)), (k,), ((n, n) if full else (k, n))


@op("svd_packed", saves_output=True)
class svd_packed:
    """``U, S, Vh`` of ``A`` packed (see the module docstring). VJP (real):
    ``U [diag(gS) + (J + J^T) S + S (K + K^T)] Vh`` with ``J = F o (U^T gU)``,
    ``K = F o (Vh gVh^T)``, ``F_ij = 1 / (s_j^2 - s_i^2)`` off the diagonal,
    plus the terms of the complements of U and V when A is not square. With
    ``full_matrices`` only the first ``min(m, n)`` singular vectors carry a
    gradient (as PyTorch). Needs distinct nonzero singular values."""

    def forward(input, full_matrices=True):
        shape = shape_of(input)
        _matrices("linalg.svd", shape)
        u, s, vh = np.linalg.svd(input, full_matrices=full_matrices)
        batch = tuple(shape[:-2])
        out = _pack([u, s, vh], batch)
        return out, (out, batch, shape, bool(full_matrices))

    def backward(ctx, g, needs):
        out, batch, shape, full = ctx
        m, n = shape[-2], shape[-1]
        k = min(m, n)
        shapes = _svd_shapes(shape, full)
        U, S, Vh = _unpack(out, batch, shapes)
        gU, gS, gVh = _unpack(g, batch, shapes)
        if full:
            U, gU = _cols(U, 0, k), _cols(gU, 0, k)
            Vh, gVh = _rows(Vh, 0, k), _rows(gVh, 0, k)
        zu, zv = _is_zero(gU), _is_zero(gVh)
        core = _diag(gS, k)
        if not (zu and zv):
            eye = _eye(k, S)
            s2 = S * S
            F = (1.0 - eye) / (np.expand_dims(s2, -2) - np.expand_dims(s2, -1) + eye)
            if not zu:
                J = F * (_mT(U) @ gU)
                core = core + (J + _mT(J)) * np.expand_dims(S, -2)
            if not zv:
                K = F * (Vh @ _mT(gVh))
                core = core + np.expand_dims(S, -1) * (K + _mT(K))
        ga = U @ core @ Vh
        if m > k and not zu:
            ga = ga + ((gU - U @ (_mT(U) @ gU)) / np.expand_dims(S, -2)) @ Vh
        if n > k and not zv:
            ga = ga + U @ ((gVh - (gVh @ _mT(Vh)) @ Vh) / np.expand_dims(S, -1))
        return (ga,)


@op("eigh_packed", saves_output=True)
class eigh_packed:
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix (the
    ``UPLO`` triangle is read), packed (see the module docstring). VJP (as
    PyTorch, symmetric): ``V [diag(gL) + F o (X - X^T) / 2] V^T`` with
    ``X = V^T gV``, ``F_ij = 1 / (l_j - l_i)`` off the diagonal. Needs
    distinct eigenvalues."""

    def forward(input, UPLO="L"):
        shape = shape_of(input)
        _square("linalg.eigh", shape)
        if UPLO not in ("L", "U"):
            raise ValueError(f"linalg.eigh(): UPLO must be 'L' or 'U', got {UPLO!r}")
        w, v = np.linalg.eigh(input, UPLO=UPLO)
        batch = tuple(shape[:-2])
        out = _pack([w, v], batch)
        return out, (out, batch, shape[-1])

    def backward(ctx, g, needs):
        out, batch, n = ctx
        L, V = _unpack(out, batch, [(n,), (n, n)])
        gL, gV = _unpack(g, batch, [(n,), (n, n)])
        core = _diag(gL, n)
        if not _is_zero(gV):
            eye = _eye(n, L)
            F = (1.0 - eye) / (np.expand_dims(L, -2) - np.expand_dims(L, -1) + eye)
            X = _mT(V) @ gV
            core = core + F * (X - _mT(X)) * 0.5
        return (V @ core @ _mT(V),)


@op("pinv_op", saves=(0,), saves_output=True)
class pinv_op:
    """Moore-Penrose pseudo-inverse (singular values at or below
    ``max(atol, rtol * s_max)`` dropped). VJP of ``P = pinv(A)`` (constant
    rank): ``-P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A)``."""

    def forward(input, atol=None, rtol=None, hermitian=False):
        shape = shape_of(input)
        _matrices("linalg.pinv", shape)
        m, n = shape[-2], shape[-1]
        u, s, vh = np.linalg.svd(input, full_matrices=False)
        if rtol is None:
            rtol = 0.0 if (atol is not None and atol > 0) else \
                np.finfo(_dt(input)).eps * max(m, n)
        smax = s[..., :1] if s.shape[-1] else s
        cut = np.maximum(0.0 if atol is None else atol, rtol * smax)
        sinv = np.where(s > cut, 1.0 / np.where(s > cut, s, 1.0), 0.0)
        out = (_mT(vh) * np.expand_dims(sinv, -2)) @ _mT(u)
        return out.astype(_dt(input), copy=False), (input, out)

    def backward(ctx, g, needs):
        a, p = ctx
        m, n = a.shape[-2], a.shape[-1]
        pt, gt = _mT(p), _mT(g)
        ga = -(pt @ g @ pt)
        ga = ga + (_eye(m, a) - a @ p) @ gt @ (p @ pt)
        ga = ga + (pt @ p) @ gt @ (_eye(n, a) - p @ a)
        return (ga,)


@op("vector_norm_p", saves=(0,), saves_output=True)
class vector_norm_p:
    """``(sum |x|^ord)^(1/ord)`` over ``dim`` for a finite ``ord`` other than
    0 and 1. VJP ``g x |x|^(ord-2) / norm^(ord-1)``, 0 where the norm is 0
    (as PyTorch)."""

    def forward(input, ord=2.0, dim=None, keepdim=False):
        axes = norm_dims(dim, np.ndim(input), "linalg.vector_norm")
        a = np.abs(input)
        if ord == 2:
            out = np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim))
        else:
            out = np.sum(a ** ord, axis=axes, keepdims=keepdim) ** (1.0 / ord)
        out = np.asarray(out)
        return out, (input, out, axes, keepdim, ord)

    def backward(ctx, g, needs):
        x, out, axes, keepdim, p = ctx
        if axes is not None and not keepdim and axes:
            g = np.expand_dims(g, axes)
            out = np.expand_dims(out, axes)
        elif axes is None and not keepdim:
            g = g.reshape((1,) * x.ndim)
            out = out.reshape((1,) * x.ndim)
        zero = out == 0
        safe = np.where(zero, 1.0, out)
        if p == 2:
            r = x * (g / safe)
        else:
            xz = x == 0
            ax = np.where(xz, 1.0, np.abs(x))
            r = np.where(xz, 0.0, x * ax ** (p - 2)) * (g / safe ** (p - 1))
        return (np.where(zero, 0.0, r),)
