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
    eigh,
    eigvalsh,
    matrix_norm,
    matrix_power,
    multi_dot,
    norm,
    pinv,
    qr,
    solve,
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


__all__ = [
    "cholesky",
    "cross",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "vecdot",
    "vector_norm",
]
