"""Shape ops: the output is a view of (or a copy shaped from) the input; the
gradient is the inverse reshuffle."""
from __future__ import annotations

import numpy as np

from ._helpers import shape_of, unbroadcast
from ._registry import op


def _sizes(shape, who):
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean the shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    elif len(shape) == 1 and hasattr(shape[0], "shape") and not isinstance(shape[0], int):
        shape = tuple(int(s) for s in np.asarray(shape[0]).reshape(-1))
    for s in shape:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{who}(): sizes must be ints, got {shape!r}")
    return tuple(int(s) for s in shape)


def _reshape_parse(input, *shape):
    return (input,), {"shape": _sizes(shape, "reshape")}


@op("reshape", functions=("reshape",), methods=("reshape", "view"), view=True,
    parse=_reshape_parse, numpy=(np.reshape,))
class reshape:
    def forward(input, shape):
        return np.reshape(input, shape), shape_of(input)

    def backward(shape, g, needs):
        return (g.reshape(shape),)


def _permute_parse(input, *dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return (input,), {"dims": dims}


@op("permute", functions=("permute",), methods=("permute",), view=True, parse=_permute_parse)
class permute:
    """Reorder the dimensions: ``out.shape[i] == input.shape[dims[i]]``."""

    def forward(input, dims=None):
        if dims is None:
            # all dims reversed (.T): its own inverse
            return (input.transpose() if type(input) is np.ndarray
                    else np.transpose(input)), None
        nd = np.ndim(input)
        try:
            norm = [int(x) % max(nd, 1) for x in dims]
        except TypeError:
            raise TypeError(f"permute(): dims must be ints, got {tuple(dims)!r}") from None
        if sorted(norm) != list(range(nd)):
            raise ValueError(f"permute(): dims {tuple(dims)} are not a permutation of "
                             f"the {nd} dimensions of a tensor of shape {shape_of(input)}")
        return np.transpose(input, norm), tuple(np.argsort(norm).tolist())

    def backward(inv, g, needs):
        return (g.transpose(inv) if inv is not None else g.transpose(),)


@op("broadcast_to", functions=("broadcast_to",), methods=("broadcast_to",), view=True,
    parse=lambda input, *shape: ((input,), {"shape": _sizes(shape, "broadcast_to")}),
    numpy=(np.broadcast_to,))
class broadcast_to:
    def forward(input, shape):
        return np.broadcast_to(input, shape), shape_of(input)

    def backward(shape, g, needs):
        return (unbroadcast(g, shape),)


def _cat_parse(tensors, dim=0):
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("cat(): expected a non-empty sequence of tensors")
    return tensors, {"dim": dim}


@op("cat", functions=("cat", "concatenate", "concat"), parse=_cat_parse,
    numpy=(np.concatenate,))
class cat:
    def forward(*arrays, dim=0):
        out = np.concatenate(arrays, axis=dim)
        ax = dim % out.ndim
        return out, (ax, np.cumsum([np.shape(x)[ax] for x in arrays])[:-1].tolist())

    def backward(ctx, g, needs):
        ax, splits = ctx
        return tuple(np.split(g, splits, axis=ax))


@op("stack", functions=("stack",), parse=_cat_parse, numpy=(np.stack,))
class stack:
    def forward(*arrays, dim=0):
        out = np.stack(arrays, axis=dim)
        return out, dim % out.ndim

    def backward(ax, g, needs):
        return tuple(np.moveaxis(g, ax, 0))
