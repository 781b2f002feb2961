"""``autograd_c.linalg``: PyTorch's ``torch.linalg`` namespace.

Every function is built from the op table (``ops/linalg*.py``): gradients of
every order come from the ops' VJPs. Decompositions return named tuples
(``linalg.svd(A).U``...) as PyTorch does; their VJPs need the well-posed case
(distinct singular values / eigenvalues, invertible or positive-definite
matrices)."""
from __future__ import annotations

from .ops.linalg import matmul
from .ops.linalg_api import (
    cholesky,
    cholesky_ex,
    cond,
    eigh,
    eigvalsh,
    inv_ex,
    lstsq,
    matrix_norm,
    matrix_power,
    matrix_rank,
    multi_dot,
    norm,
    pinv,
    qr,
    solve,
    solve_ex,
    solve_triangular,
    svd,
    svdvals,
    vecdot,
    vector_norm,
)
from .ops.linalg_api import det as _det
from .ops.linalg_api import inverse as _inverse
from .ops.linalg_api import linalg_cross as cross
from .ops.linalg_api import linalg_slogdet_fn as slogdet


def inv(A):
    """Inverse of a (batch of) square matrices."""
    return _inverse(A)


def det(A):
    """Determinant of a (batch of) square matrices."""
    return _det(A)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """``torch.diagonal(A, offset, dim1, dim2)`` with matrix defaults."""
    import autograd_c
    return autograd_c.diagonal(A, offset=offset, dim1=dim1, dim2=dim2)


__all__ = [
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "inv_ex",
    "lstsq",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "svd",
    "svdvals",
    "vecdot",
    "vector_norm",
]
