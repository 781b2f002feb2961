"""Reductions over ``dim`` (PyTorch's name; numpy's ``axis``/``keepdims`` are
accepted as aliases by the generated API) and the softmax family."""
from __future__ import annotations

import numpy as np

from ._helpers import expand_reduced, norm_dims, shape_of
from ._registry import op

_add_reduce = np.add.reduce


def _reduce_parse(input, dim=None, keepdim=False):
    return (input,), {"dim": dim, "keepdim": keepdim}


@op("sum", functions=("sum",), methods=("sum",), numpy=(np.sum,))
class sum:  # noqa: A001
    def forward(input, dim=None, keepdim=False):
        if type(input) is np.ndarray:
            # what np.sum does for an ndarray, without its Python wrapper
            axes = norm_dims(dim, input.ndim, "sum")
            out = np.asarray(_add_reduce(input, axis=axes, keepdims=keepdim))
            return out, (input.shape, axes, keepdim)
        axes = norm_dims(dim, np.ndim(input), "sum")
        out = np.asarray(np.sum(input, axis=axes, keepdims=keepdim))
        return out, (shape_of(input), axes, keepdim)

    def backward(ctx, g, needs):
        shape, axes, keepdim = ctx
        return (expand_reduced(g, shape, axes, keepdim),)


@op("mean", functions=("mean",), methods=("mean",), numpy=(np.mean,))
class mean:
    def forward(input, dim=None, keepdim=False):
        axes = norm_dims(dim, np.ndim(input), "mean")
        out = np.asarray(np.mean(input, axis=axes, keepdims=keepdim))
        shape = shape_of(input)
        count = int(np.prod([shape[i] for i in axes])) if axes is not None \
            else int(np.prod(shape))
        return out, (shape, axes, keepdim, count)

    def backward(ctx, g, needs):
        shape, axes, keepdim, count = ctx
        return (expand_reduced(g / count, shape, axes, keepdim),)


def _extremum(name, npfunc):
    class rule:
        def forward(input, dim=None, keepdim=False):
            axes = norm_dims(dim, np.ndim(input), name)
            shape = shape_of(input)
            if np.size(input) == 0 and (axes is None or any(shape[i] == 0 for i in axes)):
                raise ValueError(f"{name}(): reduction of an empty tensor of shape {shape} "
                                 f"over dim {dim}")
            out = np.asarray(npfunc(input, axis=axes, keepdims=keepdim))
            return out, (input, axes, keepdim, out)

        def backward(ctx, g, needs):
            a, axes, keepdim, out = ctx
            ref = expand_reduced(out, shape_of(a), axes, keepdim)
            # ties share the gradient equally; a NaN maximum passes it to the
            # NaNs (PyTorch's amax/amin rule)
            hit = (a == ref) | (np.isnan(a) & np.isnan(ref))
            mask = hit.astype(g.dtype) if type(hit) is np.ndarray else hit
            count = np.sum(mask, axis=axes, keepdims=True)
            return (expand_reduced(g, shape_of(a), axes, keepdim) * mask / count,)

    rule.__doc__ = f"{name} over ``dim`` (all dims when None)."
    return rule


amax = op("amax", saves=(0,), saves_output=True, functions=("amax",), methods=("amax",),
          numpy=(np.amax, np.max))(_extremum("amax", np.max))
amin = op("amin", saves=(0,), saves_output=True, functions=("amin",), methods=("amin",),
          numpy=(np.amin, np.min))(_extremum("amin", np.min))


@op("softmax", saves_output=True, functions=("softmax",), methods=("softmax",))
class softmax:
    def forward(input, dim=-1):
        dims = norm_dims(dim, np.ndim(input), "softmax")
        axis = dims[0] if dims else None
        e = np.exp(input - np.max(input, axis=axis, keepdims=True))
        out = e / np.sum(e, axis=axis, keepdims=True)
        return out, (out, axis)

    def backward(ctx, g, needs):
        out, axis = ctx
        return (out * (g - np.sum(g * out, axis=axis, keepdims=True)),)


@op("log_softmax", saves_output=True, functions=("log_softmax",), methods=("log_softmax",))
class log_softmax:
    def forward(input, dim=-1):
        dims = norm_dims(dim, np.ndim(input), "log_softmax")
        axis = dims[0] if dims else None
        shifted = input - np.max(input, axis=axis, keepdims=True)
        out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        return out, (out, axis)

    def backward(ctx, g, needs):
        out, axis = ctx
        return (g - np.exp(out) * np.sum(g, axis=axis, keepdims=True),)
