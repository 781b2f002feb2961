"""Basic layers: ``Linear``, ``Bilinear``, ``Identity``, ``Flatten``,
``Unflatten``, dropout and ``Embedding`` (PyTorch's constructor arguments,
attribute names, parameter shapes and default initialisation). Every layer
takes ``dtype=`` (by default the default float dtype: float32 unless
``set_default_dtype`` says otherwise, as in PyTorch) and ``device="cpu"``;
random draws come from ``generator=`` (numpy or autograd_c) or the generator
``autograd_c.manual_seed`` resets."""
from __future__ import annotations

import math

import numpy as np

from . import functional as F
from . import init
from ._helpers import as_tensor as _as_input
from ._helpers import to_dtype
from .module import Module, Parameter, _check_device

__all__ = ["Linear", "Bilinear", "Identity", "Flatten", "Unflatten", "Dropout", "Dropout1d",
           "Dropout2d", "Embedding", "new_param", "init_fan_in_uniform"]


def new_param(shape, dtype, device=None, fill=0.0):
    """A Parameter of ``shape`` filled with ``fill`` (initialised by the caller)."""
    if device is not None:
        _check_device(device)
    return Parameter(np.full(shape, fill, dtype=to_dtype(dtype)))


def init_fan_in_uniform(weight, bias, generator=None):
    """torch's default for Linear/Conv: ``kaiming_uniform_(weight,
    a=sqrt(5))`` (U(-1/sqrt(fan_in), 1/sqrt(fan_in))) and the bias U(-b, b)
    with b = 1/sqrt(fan_in)."""
    if 0 in weight.shape:
        fan_in = 0
    else:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
    if fan_in:
        init.kaiming_uniform_(weight, a=math.sqrt(5), generator=_np_gen(generator))
    if bias is not None:
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(bias, -bound, bound, generator=_np_gen(generator))


def _np_gen(generator):
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    from ..random import _numpy_rng
    return _numpy_rng(generator, "init")


class Linear(Module):
    """``y = x @ weight.T + bias`` with ``weight`` of shape (out_features,
    in_features); weight and bias drawn from U(-1/sqrt(in_features),
    1/sqrt(in_features)) as torch."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None, generator=None) -> None:
        super().__init__()
        if isinstance(device, (type, np.dtype)) and dtype is None:   # Linear(i, o, b, float32)
            device, dtype = None, device
        if in_features < 0 or out_features < 0:
            raise ValueError(f"Linear: feature sizes must be >= 0, got "
                             f"in_features={in_features}, out_features={out_features}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.weight = new_param((self.out_features, self.in_features), dtype, device)
        self.bias = new_param((self.out_features,), dtype) if bias else None
        init_fan_in_uniform(self.weight, self.bias, generator)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """What torch names ``MultiheadAttention.out_proj``'s class."""


class Bilinear(Module):
    """``y = x1^T A x2 + b``; weight (out, in1, in2), U(-1/sqrt(in1), ...)."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None, generator=None) -> None:
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = new_param((out_features, in1_features, in2_features), dtype, device)
        self.bias = new_param((out_features,), dtype) if bias else None
        bound = 1.0 / math.sqrt(in1_features)
        init.uniform_(self.weight, -bound, bound, generator=_np_gen(generator))
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound, generator=_np_gen(generator))

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Identity(Module):
    """Returns its input (constructor arguments are ignored, as torch)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input):
        return input


class Flatten(Module):
    """Merges dims ``start_dim`` .. ``end_dim`` (default: all but the batch dim)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return _as_input(input).flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits dim ``dim`` into ``unflattened_size``."""

    def __init__(self, dim, unflattened_size) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size) if isinstance(
            unflattened_size, list) else unflattened_size

    def forward(self, input):
        x = _as_input(input)
        shape = list(x.shape)
        d = self.dim % len(shape)
        sizes = list(self.unflattened_size)
        if -1 in sizes:
            known = int(np.prod([s for s in sizes if s != -1]))
            sizes[sizes.index(-1)] = shape[d] // known
        if int(np.prod(sizes)) != shape[d]:
            raise ValueError(f"unflatten: provided sizes {tuple(self.unflattened_size)} don't "
                             f"multiply up to the size of dim {self.dim} ({shape[d]}) in the "
                             f"input tensor")
        return x.reshape(tuple(shape[:d] + sizes + shape[d + 1:]))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False, generator=None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p} "
                             f"(p must be in [0, 1])")
        self.p = float(p)
        self.inplace = inplace
        self.generator = generator

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Inverted dropout: in training, zero each element with probability ``p``
    and scale the rest by 1/(1-p); in eval mode, the identity."""

    def forward(self, input):
        return F.dropout(input, self.p, self.training, generator=self.generator)


class Dropout1d(_DropoutNd):
    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, generator=self.generator)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels (N, C, 1, 1) with probability ``p``."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, generator=self.generator)


class Embedding(Module):
    """A lookup table ``weight`` (num_embeddings, embedding_dim) drawn from
    N(0, 1) (the ``padding_idx`` row zeroed and given no gradient), as
    torch. Gradients of repeated indices accumulate."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx=None,
                 max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight=None, _freeze: bool = False, device=None,
                 dtype=None, generator=None) -> None:
        super().__init__()
        if isinstance(padding_idx, (type, np.dtype)):      # Embedding(n, d, np.float32)
            padding_idx, dtype = None, padding_idx
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError("Padding_idx must be within num_embeddings")
            padding_idx = padding_idx % self.num_embeddings
        self.padding_idx = padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = new_param((self.num_embeddings, self.embedding_dim), dtype, device)
            init.normal_(self.weight, 0.0, 1.0, generator=_np_gen(generator))
            if padding_idx is not None:
                self.weight.data[padding_idx] = 0.0
        else:
            w = getattr(_weight, "data", _weight)
            self.weight = Parameter(np.array(w, dtype=to_dtype(dtype) if dtype else None),
                                    requires_grad=not _freeze)

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx=None, max_norm=None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> "Embedding":
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse:
            s += ", sparse=True"
        return s
