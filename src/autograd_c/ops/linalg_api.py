"""The public linear-algebra functions (``autograd_c.linalg.*`` and the
top-level/Tensor spellings ``det``, ``inverse``, ``slogdet``, ``svd``...),
written with the ops of ``linalg`` and ``linalg_decomp``; decompositions
return named tuples as PyTorch does. ``autograd_c.linalg`` re-exports them
under their ``torch.linalg`` names."""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ._helpers import is_tensor as _is_tensor
from ._helpers import nondiff
from ._registry import composite
from .composites import movedim, transpose, unsqueeze
from .elementwise import abs as _abs
from .index import getitem
from .linalg import _cross, matmul
from .linalg_decomp import (
    _unpack,
    cholesky_lower,
    eigh_packed,
    inv,
    linalg_solve,
    logabsdet,
    pinv_op,
    qr_packed,
    svd_packed,
    vector_norm_p,
)
from .linalg_decomp import det as _det
from .reduce import amax, amin
from .reduce import sum as _sum
from .shape import reshape

#: the named tuples of ``torch.return_types``
linalg_slogdet = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
slogdet_result = namedtuple("slogdet", ["sign", "logabsdet"])
linalg_qr = namedtuple("linalg_qr", ["Q", "R"])
qr_result = namedtuple("qr", ["Q", "R"])
linalg_svd = namedtuple("linalg_svd", ["U", "S", "Vh"])
svd_result = namedtuple("svd", ["U", "S", "V"])
linalg_eigh = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])


def _shape(x):
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def _data(x):
    return x.data if _is_tensor(x) else np.asarray(x)


_wrap = nondiff


def _mT(x):
    return transpose(x, -2, -1)


# --------------------------------------------------------------------------
# inverse, determinants, solve, powers
# --------------------------------------------------------------------------

@composite(methods=("inverse",), functions=("inverse",))
def inverse(input):
    """Inverse of a (batch of) square matrices (``linalg.inv``)."""
    return inv(input)


@composite(methods=("det",), functions=("det",))
def det(input):
    """Determinant of a (batch of) square matrices."""
    return _det(input)


def _slogdet(A, cls):
    sign = np.sign(np.linalg.det(_data(A)))
    return cls(_wrap(A, np.asarray(sign)), logabsdet(A))


@composite(methods=("slogdet",), functions=("slogdet",))
def slogdet(input):
    """``(sign, logabsdet)`` of the determinant; only ``logabsdet`` is
    differentiable."""
    return _slogdet(input, slogdet_result)


def linalg_slogdet_fn(A):
    return _slogdet(A, linalg_slogdet)


@composite(methods=("logdet",), functions=("logdet",))
def logdet(input):
    """``log(det(A))``: NaN for a negative determinant, -inf for 0."""
    sign = np.sign(np.linalg.det(_data(input)))
    return logabsdet(input) + np.where(sign < 0, np.nan, 0.0).astype(sign.dtype)


def solve(A, B, *, left=True):
    """``X`` with ``A X = B`` (``left``) or ``X A = B``; ``B`` is a (batch of)
    vectors when it is 1-d or has the shape of ``A`` without its last dim."""
    if not left:
        return _mT(solve(_mT(A), _mT(B)))
    sa, sb = _shape(A), _shape(B)
    if len(sb) == 1 or (len(sb) == len(sa) - 1 and sb == sa[:-1]):
        return reshape(linalg_solve(A, unsqueeze(B, -1)), shape=sb if len(sb) > 1 else
                       tuple(np.broadcast_shapes(sa[:-2], ())) + sb)
    return linalg_solve(A, B)


@composite(methods=("matrix_power",), functions=("matrix_power",))
def matrix_power(input, n):
    """``input`` multiplied by itself ``n`` times (``n < 0``: of its
    inverse; ``n == 0``: the identity)."""
    shape = _shape(input)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"matrix_power(): expected a (batch of) square matrices, got {shape}")
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power(): n must be an int, got {n!r}")
    if n == 0:
        return input * 0.0 + np.eye(shape[-1], dtype=_data(input).dtype)
    base = inv(input) if n < 0 else input
    n = abs(int(n))
    result = None
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def multi_dot(tensors):
    """``tensors[0] @ tensors[1] @ ...`` (first/last may be 1-d)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise ValueError("linalg.multi_dot(): expected at least 2 tensors")
    out = tensors[0]
    for t in tensors[1:]:
        out = matmul(out, t)
    return out


def linalg_cross(input, other, *, dim=-1):
    """Cross product along ``dim`` (default the last)."""
    return _cross(input, other, dim, "linalg.cross")


def vecdot(x, y, *, dim=-1):
    """``sum(x * y, dim)`` (real tensors)."""
    return _sum(x * y, dim=dim)


# --------------------------------------------------------------------------
# decompositions
# --------------------------------------------------------------------------

def cholesky(A, *, upper=False):
    """Cholesky factor: lower ``L`` with ``A = L L^T`` (or ``U = L^T``)."""
    L = cholesky_lower(A)
    return _mT(L) if upper else L


@composite(methods=("cholesky",), functions=("cholesky",))
def cholesky_deprecated(input, upper=False):
    """``torch.cholesky(input, upper=False)`` (``linalg.cholesky``)."""
    return cholesky(input, upper=upper)


def qr(A, mode="reduced"):
    """``(Q, R)`` with ``A = Q R``; ``mode`` "reduced", "complete" or "r"
    (Q empty)."""
    shape = _shape(A)
    m, n = shape[-2], shape[-1]
    k = min(m, n)
    batch = shape[:-2]
    if mode == "r":
        p = qr_packed(A, mode="reduced")
        _, R = _unpack(p, batch, [(m, k), (k, n)])
        return linalg_qr(_wrap(A, np.zeros((0,), dtype=_data(A).dtype)), R)
    p = qr_packed(A, mode=mode)
    qs = (m, m) if mode == "complete" else (m, k)
    rs = (m, n) if mode == "complete" else (k, n)
    Q, R = _unpack(p, batch, [qs, rs])
    return linalg_qr(Q, R)


@composite(methods=("qr",), functions=("qr",))
def qr_deprecated(input, some=True):
    """``torch.qr(input, some=True)``: ``linalg.qr`` with mode "reduced" (or
    "complete" when ``some`` is False)."""
    q, r = qr(input, mode="reduced" if some else "complete")
    return qr_result(q, r)


def svd(A, full_matrices=True, *, driver=None):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, singular values descending."""
    shape = _shape(A)
    if len(shape) < 2:
        raise ValueError(f"linalg.svd(): expected a (batch of) matrices, got shape {shape}")
    m, n = shape[-2], shape[-1]
    k = min(m, n)
    p = svd_packed(A, full_matrices=bool(full_matrices))
    shapes = [(m, m) if full_matrices else (m, k), (k,), (n, n) if full_matrices else (k, n)]
    U, S, Vh = _unpack(p, shape[:-2], shapes)
    return linalg_svd(U, S, Vh)


@composite(methods=("svd",), functions=("svd",))
def svd_deprecated(input, some=True, compute_uv=True):
    """``torch.svd(input, some=True, compute_uv=True)``: ``(U, S, V)`` with
    ``V`` (not ``Vh``); without ``compute_uv``, U and V are zeros."""
    U, S, Vh = svd(input, full_matrices=not some)
    if not compute_uv:
        zu = np.zeros(_shape(U), dtype=_data(input).dtype)
        zv = np.zeros(_shape(Vh)[:-2] + _shape(Vh)[-2:][::-1], dtype=_data(input).dtype)
        return svd_result(_wrap(input, zu), S, _wrap(input, zv))
    return svd_result(U, S, _mT(Vh))


def svdvals(A, *, driver=None):
    """Singular values, descending."""
    return svd(A, full_matrices=False).S


def eigh(A, UPLO="L"):
    """``(eigenvalues, eigenvectors)`` of a symmetric matrix, ascending."""
    shape = _shape(A)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"linalg.eigh(): expected a (batch of) square matrices, got {shape}")
    n = shape[-1]
    w, v = _unpack(eigh_packed(A, UPLO=UPLO), shape[:-2], [(n,), (n, n)])
    return linalg_eigh(w, v)


def eigvalsh(A, UPLO="L"):
    """Eigenvalues of a symmetric matrix, ascending."""
    return eigh(A, UPLO).eigenvalues


def _float(x):
    if x is None:
        return None
    if _is_tensor(x) or isinstance(x, np.ndarray):
        return float(np.asarray(_data(x)))
    return float(x)


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """Moore-Penrose pseudo-inverse."""
    return pinv_op(A, atol=_float(atol), rtol=_float(rtol), hermitian=bool(hermitian))


@composite(methods=("pinverse",), functions=("pinverse",))
def pinverse(input, rcond=1e-15):
    """``linalg.pinv(input, rtol=rcond)``."""
    return pinv(input, rtol=rcond)


# --------------------------------------------------------------------------
# norms
# --------------------------------------------------------------------------

def _as_dtype(x, dtype):
    if dtype is None:
        return x
    dt = np.dtype(getattr(dtype, "numpy_dtype", dtype))
    return x if _data(x).dtype == dt else x.astype(dt)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``(sum |x|^ord)^(1/ord)`` over ``dim`` (all dims when None);
    ``ord`` inf/-inf: max/min of ``|x|``; 0: the count of nonzeros."""
    x = _as_dtype(x, dtype)
    if isinstance(dim, list):
        dim = tuple(dim)
    p = float(ord)
    if p == np.inf:
        return amax(_abs(x), dim=dim, keepdim=keepdim)
    if p == -np.inf:
        return amin(_abs(x), dim=dim, keepdim=keepdim)
    if p == 0:
        count = np.sum(_data(x) != 0, axis=dim, keepdims=keepdim).astype(_data(x).dtype)
        return _sum(x * 0.0, dim=dim, keepdim=keepdim) + count
    if p == 1:
        return _sum(_abs(x), dim=dim, keepdim=keepdim)
    return vector_norm_p(x, ord=p, dim=dim, keepdim=keepdim)


def _matrix_dims(dim, nd, who):
    from ._helpers import norm_dims
    dims = norm_dims(tuple(dim), nd, who)
    if len(dims) != 2:
        raise ValueError(f"{who}(): dim must be a 2-tuple, got {dim!r}")
    return dims


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """Frobenius ("fro"), nuclear ("nuc"), spectral (2, -2) or induced (1,
    -1, inf, -inf) norm of the matrices in dims ``dim``."""
    A = _as_dtype(A, dtype)
    shape = _shape(A)
    d0, d1 = _matrix_dims(dim, len(shape), "linalg.matrix_norm")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        nd = len(shape)
        if (d0, d1) != (nd - 2, nd - 1):       # (movedim's identity order is skipped)
            A = movedim(A, (d0, d1), (-2, -1))
        s = svdvals(A)
        out = _sum(s, dim=-1) if ord == "nuc" else (amax if ord == 2 else amin)(s, dim=-1)
        if keepdim:
            out = unsqueeze(out, tuple(sorted((d0, d1))))
        return out
    if ord in (1, -1, np.inf, -np.inf):
        inner, outer = (d0, d1) if abs(ord) == 1 else (d1, d0)
        red = amax if ord > 0 else amin
        out = red(_sum(_abs(A), dim=inner, keepdim=True), dim=outer, keepdim=True)
        if not keepdim:
            out = reshape(out, shape=tuple(n for i, n in enumerate(shape) if i not in (d0, d1)))
        return out
    raise ValueError(f"linalg.matrix_norm(): unsupported ord {ord!r}")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``linalg.norm``: a vector norm (1 dim, or ``ord`` None over all) or a
    matrix norm (2 dims, or a 2-d input with ``ord`` given)."""
    nd = len(_shape(A))
    if dim is not None:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise ValueError(f"linalg.norm(): dim must have 1 or 2 entries, got {dim!r}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if nd == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    if nd == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    raise ValueError(f"linalg.norm(): ord {ord!r} needs a 1-d or 2-d input (or dim), "
                     f"got {nd} dims")


@composite(methods=("norm",), functions=("norm",))
def tensor_norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """``torch.norm``: ``p`` "fro" (2-norm over ``dim`` or all), "nuc"
    (matrix), or a number (vector norm over ``dim``, or over all elements)."""
    if isinstance(dim, (list,)):
        dim = tuple(dim)
    if p == "fro":
        return vector_norm(input, 2, dim, keepdim, dtype=dtype)
    if p == "nuc":
        return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    return vector_norm(input, 2 if p is None else p, dim, keepdim, dtype=dtype)


# --------------------------------------------------------------------------
# more of torch.linalg
# --------------------------------------------------------------------------

linalg_lstsq = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
linalg_inv_ex = namedtuple("linalg_inv_ex", ["inverse", "info"])
linalg_cholesky_ex = namedtuple("linalg_cholesky_ex", ["L", "info"])


def _default_rtol(shape, dtype, atol):
    if atol is not None and atol > 0:
        return 0.0
    return np.finfo(dtype).eps * max(shape[-2], shape[-1])


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """Number of singular values above ``max(atol, rtol * s_max)`` (int64,
    not differentiable)."""
    a = _data(A)
    s = np.linalg.svd(a, compute_uv=False)
    atol, rtol = _float(atol), _float(rtol)
    if rtol is None:
        rtol = _default_rtol(a.shape, a.dtype, atol)
    smax = s[..., :1] if s.shape[-1] else s
    cut = np.maximum(0.0 if atol is None else atol, rtol * smax)
    return _wrap(A, np.asarray(np.sum(s > cut, axis=-1), dtype=np.int64))


def cond(A, p=None):
    """Condition number: ``s_max / s_min`` (p None or 2), ``s_min / s_max``
    (-2), else ``norm(A, p) * norm(inv(A), p)``."""
    if p is None or p == 2 or p == -2:
        s = svdvals(A)
        hi, lo = getitem(s, index=(Ellipsis, 0)), getitem(s, index=(Ellipsis, -1))
        return hi / lo if p != -2 else lo / hi
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """Solve with the triangle of ``A`` (the other triangle is not read; with
    ``unitriangular`` neither is the diagonal)."""
    n = _shape(A)[-1]
    k = 0 if not unitriangular else 1
    tri = np.triu(np.ones((n, n)), k) if upper else np.tril(np.ones((n, n)), -k)
    T = A * tri.astype(_data(A).dtype)
    if unitriangular:
        T = T + np.eye(n, dtype=_data(A).dtype)
    return solve(T, B, left=left)


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of ``A X = B`` (full-rank ``A``): named tuple
    ``(solution, residuals, rank, singular_values)``; residuals (squared, per
    column) when m > n and A has full rank, singular values for the
    "gelsd"/"gelss" drivers (else empty), as PyTorch."""
    sa, sb = _shape(A), _shape(B)
    vec = len(sb) == len(sa) - 1
    Bm = unsqueeze(B, -1) if vec else B
    X = matmul(pinv(A, rtol=rcond), Bm)
    a = _data(A)
    m, n = sa[-2], sa[-1]
    rank = matrix_rank(A, rtol=rcond)
    full = bool(np.all(_data(rank) == min(m, n)))
    if m > n and full and driver != "gelsy":
        r = matmul(A, X) - Bm
        residuals = _sum(r * r, dim=-2)
    else:
        residuals = _wrap(A, np.zeros((0,), dtype=a.dtype))
    if driver in ("gelsd", "gelss"):
        sv = _wrap(A, np.linalg.svd(a, compute_uv=False))
    else:
        sv = _wrap(A, np.zeros((0,), dtype=a.dtype))
    if vec:
        X = reshape(X, shape=_shape(X)[:-1])
    return linalg_lstsq(X, residuals, rank, sv)


def inv_ex(A, *, check_errors=False):
    """``(inverse, info)``; info is 0 (a singular matrix raises)."""
    return linalg_inv_ex(inv(A), _wrap(A, np.zeros(_shape(A)[:-2], dtype=np.int32)))


def cholesky_ex(A, *, upper=False, check_errors=False):
    """``(L, info)``; info is 0 (a matrix that is not positive-definite raises)."""
    return linalg_cholesky_ex(cholesky(A, upper=upper),
                              _wrap(A, np.zeros(_shape(A)[:-2], dtype=np.int32)))


def solve_ex(A, B, *, left=True, check_errors=False):
    """``(result, info)``; info is 0."""
    return namedtuple("linalg_solve_ex", ["result", "info"])(
        solve(A, B, left=left), _wrap(A, np.zeros(_shape(A)[:-2], dtype=np.int32)))


@composite(functions=("chain_matmul",))
def chain_matmul(*matrices):
    """``matrices[0] @ matrices[1] @ ...`` (2-d matrices; deprecated in
    PyTorch for ``linalg.multi_dot``)."""
    return multi_dot(matrices)


__all__ = [
    "chain_matmul",
    "cholesky",
    "cholesky_ex",
    "cond",
    "det",
    "eigh",
    "eigvalsh",
    "inv_ex",
    "inverse",
    "linalg_cross",
    "logdet",
    "lstsq",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "pinverse",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "svd",
    "svdvals",
    "tensor_norm",
    "vecdot",
    "vector_norm",
]
