"""Flatten parameters into one vector and back, as ``torch.nn.utils``."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from ..._tensor import Tensor
from ...functions import concatenate

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """One 1-D tensor holding every parameter's values, flattened in order.
    Like PyTorch's, it is part of the graph: gradients flow back to the
    parameters."""
    flat = []
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"parameters_to_vector: expected Tensors, got {type(p).__name__}")
        flat.append(p.reshape(-1))
    if not flat:
        raise ValueError("parameters_to_vector: got no parameters")
    return concatenate(flat)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (in
    place, bumping their versions; nothing is recorded by autograd).

    Unlike PyTorch, which rebinds ``param.data`` to a view of ``vec``, the
    values are copied, so the parameters keep their own arrays (and dtypes);
    the resulting numbers are the same."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected an autograd_c Tensor for vec, "
                        f"but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {vec.shape}")
    params = list(parameters)
    need = sum(p.numel() for p in params)
    if vec.numel() < need:
        raise ValueError(f"vector_to_parameters: vec has {vec.numel()} elements, the "
                         f"parameters need {need}")
    src = vec.data
    pointer = 0
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"vector_to_parameters: expected Tensors, got {type(p).__name__}")
        n = p.numel()
        np.copyto(p.data, src[pointer:pointer + n].reshape(p.shape), casting="unsafe")
        p.mark_modified()
        pointer += n
