"""Layers (PyTorch names and conventions), built from existing Tensor ops."""
from __future__ import annotations

import numpy as np

from .. import functions as F
from .._tensor import Tensor
from . import init
from .module import Module, Parameter

__all__ = ["Linear", "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Dropout",
           "Embedding", "Identity", "Flatten"]


def _as_input(x):
    return x if isinstance(x, Tensor) else Tensor(x)


class Linear(Module):
    """``y = x @ weight.T + bias`` with ``weight`` of shape (out_features, in_features).

    Initialisation as PyTorch documents: weight and bias both drawn from
    U(-1/sqrt(in_features), 1/sqrt(in_features)). Parameters are float64 by
    default (``dtype=np.float32`` for single precision). Draws come from
    ``generator`` (a ``numpy.random.Generator``) or, without one, from the
    generator ``autograd_c.manual_seed(seed)`` resets.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype=np.float64, generator=None) -> None:
        super().__init__()
        if in_features < 0 or out_features < 0:
            raise ValueError(f"Linear: feature sizes must be >= 0, got "
                             f"in_features={in_features}, out_features={out_features}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        bound = init.kaiming_uniform_bound(self.in_features)
        self.weight = Parameter(np.zeros((self.out_features, self.in_features), dtype=dtype))
        init.uniform_(self.weight, -bound, bound, generator=generator)
        if bias:
            self.bias = Parameter(np.zeros(self.out_features, dtype=dtype))
            init.uniform_(self.bias, -bound, bound, generator=generator)
        else:
            self.bias = None

    def forward(self, x):
        y = _as_input(x) @ self.weight.T
        return y if self.bias is None else y + self.bias

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class ReLU(Module):
    def forward(self, x):
        return F.relu(x)


class Sigmoid(Module):
    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return F.tanh(x)


class Identity(Module):
    def forward(self, x):
        return x


class Flatten(Module):
    """Flattens every dimension after the first (batch) one."""

    def forward(self, x):
        x = _as_input(x)
        return x.reshape(x.shape[0], -1)


class Softmax(Module):
    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, axis=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    def forward(self, x):
        return F.log_softmax(x, axis=self.dim)


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability ``p``
    and scale the rest by 1/(1-p); in eval mode, the identity."""

    def __init__(self, p: float = 0.5, generator=None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = float(p)
        self.generator = generator

    def forward(self, x):
        x = _as_input(x)
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x * np.zeros(x.shape, dtype=x.dtype)
        gen = init.default_generator() if self.generator is None else self.generator
        keep = gen.random(x.shape) >= self.p
        return x * (keep.astype(x.dtype) / x.dtype.type(1.0 - self.p))

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Embedding(Module):
    """A lookup table: ``Embedding(n, d)(idx)`` is ``weight[idx]`` with
    ``weight`` of shape (n, d) initialised N(0, 1) as in PyTorch. Gradients of
    repeated indices accumulate."""

    def __init__(self, num_embeddings: int, embedding_dim: int, dtype=np.float64,
                 generator=None) -> None:
        super().__init__()
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.weight = Parameter(np.zeros((self.num_embeddings, self.embedding_dim), dtype=dtype))
        init.normal_(self.weight, 0.0, 1.0, generator=generator)

    def forward(self, indices):
        idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"Embedding: indices must be integers, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            raise IndexError(f"Embedding: index out of range [0, {self.num_embeddings}) "
                             f"(got min {idx.min()}, max {idx.max()})")
        return self.weight[idx]

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
