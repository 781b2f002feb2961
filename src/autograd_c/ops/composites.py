"""Public functions written with ops only (no VJP of their own): their
gradients, of every order, come from the ops they call. Each takes Tensors
(the ops they call record) or arrays (the ops just compute)."""
from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from ._helpers import is_tensor as _is_tensor
from ._helpers import norm_dims, result_type
from ._registry import composite
from .elementwise import maximum, minimum, mul
from .index import take_along_dim
from .reduce import amax, amin
from .shape import permute, reshape

# the shape functions live in shape_composites (kept importable from here)
from .shape_composites import _np_split, expand, flatten, movedim, split, transpose, unsqueeze  # noqa: F401

sum_ = builtins.sum

#: ``values, indices = t.max(dim)`` (PyTorch's ``torch.return_types.max``)
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _ndim(x):
    return x.ndim if hasattr(x, "ndim") else np.ndim(x)


def _T(self):
    return permute(self, dims=None)


def _mT(self):
    nd = _ndim(self)
    if nd < 2:
        raise ValueError(f"mT: tensor of dimension {nd}; need at least 2")
    return transpose(self, -2, -1)


def _extreme(name, full, pairwise, argfn):
    def fn(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if axis is not None:
            dim = axis
        if keepdims is not None:
            keepdim = keepdims
        if dim is None:
            return full(input, dim=None, keepdim=keepdim) if keepdim else full(input)
        if _is_tensor(dim) or isinstance(dim, np.ndarray):
            return pairwise(input, dim)
        if isinstance(dim, (tuple, list)):
            return full(input, dim=tuple(dim), keepdim=keepdim)
        data = input.detach().numpy() if _is_tensor(input) else np.asarray(input)
        nd = data.ndim
        d = norm_dims(dim, nd, name)
        d = d[0] if d else 0
        if data.ndim == 0:
            idx = np.zeros((), dtype=np.int64)
            return ValuesIndices(full(input), result_type(input)(idx) if _is_tensor(input) else idx)
        if data.shape[d] == 0:
            raise IndexError(f"{name}(): dim {dim} of a tensor of shape {data.shape} is empty")
        idx = np.expand_dims(argfn(data, axis=d), d)
        values = take_along_dim(input, idx, dim=d)
        if not keepdim:
            values = reshape(values, shape=data.shape[:d] + data.shape[d + 1:])
            idx = np.squeeze(idx, d)
        indices = result_type(input)(idx.astype(np.int64)) if _is_tensor(input) else idx
        return ValuesIndices(values, indices)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``{name}(input)``: the {name} of all elements (ties share the "
                  f"gradient); ``{name}(input, dim, keepdim=False)``: named tuple "
                  f"``(values, indices)`` (the gradient goes to the index); "
                  f"``{name}(input, other)``: elementwise, as ``{pairwise.name}``.")
    return composite(methods=(name,), functions=(name,))(fn)


max = _extreme("max", amax, maximum, np.argmax)  # noqa: A001
min = _extreme("min", amin, minimum, np.argmin)  # noqa: A001


@composite(methods=("clone",), functions=("clone",))
def clone(input):
    """A copy with its own memory that stays in the graph."""
    return mul(input, 1)


PROPERTIES = {"T": _T, "mT": _mT}
