"""Linear algebra."""
from __future__ import annotations

import numpy as np

from ._helpers import cast, shape_of
from ._registry import op


@op("matmul", saves=(0, 1), saves_for={0: (1,), 1: (0,)}, functions=("matmul", "mm"), methods=("matmul", "mm"),
    dunders=("__matmul__",), rdunders=("__rmatmul__",), numpy=(np.matmul,))
class matmul:
    def forward(input, other):
        if (input.ndim if type(input) is np.ndarray else np.ndim(input)) == 0 or \
                (other.ndim if type(other) is np.ndarray else np.ndim(other)) == 0:
            raise ValueError(f"matmul: both operands need at least one dimension, "
                             f"got shapes {shape_of(input)} and {shape_of(other)}")
        return np.matmul(input, other), (input, other)

    def backward(ctx, g, needs):
        a, b = ctx
        if a.ndim == 2 and b.ndim == 2:
            return (g @ b.T if needs[0] else None,
                    a.T @ g if needs[1] else None)
        # promote 1-D operands as numpy does, then undo it on the way back
        A = a.reshape((1,) + tuple(a.shape)) if a.ndim == 1 else a
        B = b.reshape(tuple(b.shape) + (1,)) if b.ndim == 1 else b
        G = g
        if b.ndim == 1:
            G = np.expand_dims(G, -1)
        if a.ndim == 1:
            G = np.expand_dims(G, -2)
        ga = gb = None
        if needs[0]:
            ga = cast(G @ np.swapaxes(B, -1, -2), A).reshape(a.shape)
        if needs[1]:
            gb = cast(np.swapaxes(A, -1, -2) @ G, B).reshape(b.shape)
        return ga, gb
