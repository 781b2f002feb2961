"""Shape ops: the output is a view of (or a copy shaped from) the input; the
gradient is the inverse reshuffle."""
from __future__ import annotations

import numpy as np

from ._helpers import norm_dims, shape_of, unbroadcast
from ._registry import composite, op
from .index import getitem


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


def _shape_parse(input, shape, kw, who):
    """``f(x, 2, 3)``, ``f(x, (2, 3))`` or ``f(x, shape=(2, 3))``."""
    if "shape" in kw and not shape:
        shape = (kw.pop("shape"),)
    if kw:
        raise TypeError(f"{who}() got unexpected keyword arguments {sorted(kw)}")
    return (input,), {"shape": _sizes(shape, who)}


def _reshape_parse(input, *shape, **kw):
    return _shape_parse(input, shape, kw, "reshape")


@op("reshape", functions=("reshape",), methods=("reshape", "view"), view=True,
    parse=_reshape_parse, numpy=(np.reshape,))
class reshape:
    def forward(input, shape):
        return np.reshape(input, shape), shape_of(input)

    def backward(shape, g, needs):
        return (g.reshape(shape),)


def _permute_parse(input, *dims, **kw):
    if "dims" in kw and not dims:
        dims = (kw.pop("dims"),)
    if kw:
        raise TypeError(f"permute() got unexpected keyword arguments {sorted(kw)}")
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
    parse=lambda input, *shape, **kw: _shape_parse(input, shape, kw, "broadcast_to"),
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


def _dims_parse(input, *dims):
    """``flip(x, 0, 1)``, ``flip(x, (0, 1))``, ``flip(x, dims=[0])``."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return (input,), {"dims": tuple(dims)}


def _flip_parse(input, *dims, **kw):
    for name in ("dims", "dim"):        # dim: numpy's axis (np.flip(t, axis=0))
        if name in kw:
            dims = (kw.pop(name),)
    if kw:
        raise TypeError(f"flip() got unexpected keyword arguments {sorted(kw)}")
    if not dims or dims == (None,):     # numpy's np.flip(a): every dim
        dims = (tuple(range(np.ndim(input))),)
    return _dims_parse(input, *dims)


@op("flip", functions=("flip",), methods=("flip",), parse=_flip_parse, numpy=(np.flip,))
class flip:
    """Reverse the order of the elements along ``dims`` (a copy, as in
    PyTorch; numpy's ``flip`` would be a view)."""

    def forward(input, dims=()):
        nd = np.ndim(input)
        axes = norm_dims(tuple(dims), nd, "flip")
        if not axes:
            return np.array(input), axes
        return np.flip(input, axis=axes).copy(), axes

    def backward(axes, g, needs):
        return (flip(g, dims=axes) if axes else g,)


def _roll_parse(input, shifts, dims=None, *, dim=None):
    """``roll(x, shifts, dims)``; ``dim`` is numpy's ``axis`` (np.roll)."""
    return (input,), {"shifts": shifts, "dims": dims if dim is None else dim}


@op("roll", functions=("roll",), methods=("roll",), parse=_roll_parse, numpy=(np.roll,))
class roll:
    """Shift the elements by ``shifts`` along ``dims`` cyclically (no dims:
    the flattened tensor, shape kept), as ``torch.roll``."""

    def forward(input, shifts=0, dims=None):
        shift = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        if dims is None:
            if len(shift) != 1:
                raise ValueError(f"roll(): without dims, shifts must be one int, got {shifts!r}")
            out = np.roll(np.reshape(input, -1), shift[0]).reshape(np.shape(input))
            return out, (shift, None)
        axes = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if len(axes) != len(shift):
            raise ValueError(f"roll(): shifts {shifts!r} and dims {dims!r} differ in length")
        nd = np.ndim(input)
        if nd == 0:
            norm_dims(axes, 0, "roll")
            return np.array(input), (shift, ())
        axes = tuple(norm_dims(a, nd, "roll")[0] for a in axes)
        return np.roll(input, shift, axis=axes), (shift, axes)

    def backward(ctx, g, needs):
        shift, axes = ctx
        back = tuple(-int(s) for s in shift)
        if axes == ():
            return (g,)
        return (roll(g, shifts=back if axes is not None else back[0], dims=axes),)


def _diag_view(a, offset, dim1, dim2):
    """The (writable) view of ``a``'s diagonal ``offset`` in the plane
    ``dim1``, ``dim2``, as the last dim (PyTorch's ``diagonal`` layout)."""
    x = np.moveaxis(a, (dim1, dim2), (-2, -1))
    x = x[..., :, offset:] if offset >= 0 else x[..., -offset:, :]
    n = max(0, min(x.shape[-2], x.shape[-1]))
    return np.lib.stride_tricks.as_strided(
        x, x.shape[:-2] + (n,), x.strides[:-2] + (x.strides[-2] + x.strides[-1],))


def _diag_dims(nd, dim1, dim2, who):
    if nd < 2:
        raise ValueError(f"{who}(): needs a tensor of at least 2 dims, got {nd}")
    d1 = norm_dims(dim1, nd, who)[0]
    d2 = norm_dims(dim2, nd, who)[0]
    if d1 == d2:
        raise ValueError(f"{who}(): dim1 and dim2 are the same dim ({dim1}, {dim2})")
    return d1, d2


@op("diagonal", functions=("diagonal",), methods=("diagonal",), view=True,
    numpy=(np.diagonal,))
class diagonal:
    """The diagonal ``offset`` of the planes ``dim1``, ``dim2``, moved to the
    last dim (a view, as in PyTorch)."""

    def forward(input, offset=0, dim1=0, dim2=1):
        a = np.asarray(input)
        d1, d2 = _diag_dims(a.ndim, dim1, dim2, "diagonal")
        return _diag_view(a, int(offset), d1, d2), (a.shape, a.dtype, int(offset), d1, d2)

    def backward(ctx, g, needs):
        shape, dtype, offset, d1, d2 = ctx
        return (diag_put(g, shape=shape, dtype=dtype, offset=offset, dim1=d1, dim2=d2),)


@op("diag_put")
class diag_put:
    """Zeros of ``shape`` with ``src`` on the diagonal ``offset`` of the
    planes ``dim1``, ``dim2``: diagonal's VJP and the core of ``diag_embed``
    (its own VJP is ``diagonal``)."""

    def forward(src, shape, dtype, offset, dim1, dim2):
        out = np.zeros(shape, dtype=dtype)
        _diag_view(out, offset, dim1, dim2)[...] = src
        return out, (offset, dim1, dim2)

    def backward(ctx, g, needs):
        offset, d1, d2 = ctx
        return (diagonal(g, offset=offset, dim1=d1, dim2=d2),)


@op("pad_constant")
class pad_constant:
    """``input`` padded with ``value``: ``widths`` is numpy's ((before,
    after), ...) per dim, all >= 0 (``shape.pad`` is the public function)."""

    def forward(input, widths, value=0):
        out = np.pad(input, widths, mode="constant", constant_values=value)
        index = tuple(slice(b, b + n) for (b, _), n in zip(widths, np.shape(input)))
        return out, index

    def backward(index, g, needs):
        return (getitem(g, index=index),)


# --------------------------------------------------------------------------
# padding (nn.functional.pad)
# --------------------------------------------------------------------------

def _pad_index(n, before, after, mode):
    """Source indices along one dim of size ``n`` padded by ``mode``."""
    if mode == "reflect":
        if before >= n or after >= n:
            raise ValueError(f"pad(): reflect padding ({before}, {after}) must be smaller "
                             f"than the dim size {n}")
        return np.concatenate([np.arange(before, 0, -1), np.arange(n),
                               n - 2 - np.arange(after)])
    if mode == "replicate":
        if n == 0:
            raise ValueError("pad(): replicate padding of an empty dim")
        return np.concatenate([np.zeros(before, np.int64), np.arange(n),
                               np.full(after, n - 1)])
    if before > n or after > n:
        raise ValueError(f"pad(): circular padding ({before}, {after}) larger than the dim "
                         f"size {n}")
    return np.concatenate([np.arange(n - before, n), np.arange(n), np.arange(after)])


@composite()
def pad(input, pad, mode="constant", value=None):
    """``torch.nn.functional.pad``: ``pad`` holds (before, after) pairs from
    the LAST dim backwards; ``mode`` is 'constant' (``value``, default 0;
    negative pads crop), 'reflect', 'replicate' or 'circular'."""
    pad = tuple(int(p) for p in pad)
    shape = tuple(shape_of(input))
    nd = len(shape)
    if len(pad) % 2 or len(pad) // 2 > nd:
        raise ValueError(f"pad(): pad {pad} must have an even length of at most "
                         f"2 * {nd} (the input's dims)")
    widths = [(0, 0)] * nd
    for i in range(len(pad) // 2):
        widths[nd - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        if any(b < 0 or a < 0 for b, a in widths):
            crop = tuple(slice(max(-b, 0), n - max(-a, 0))
                         for (b, a), n in zip(widths, shape))
            input = getitem(input, index=crop)
            widths = [(max(b, 0), max(a, 0)) for b, a in widths]
        if not any(b or a for b, a in widths):
            return pad_constant(input, widths=tuple(widths), value=0)
        return pad_constant(input, widths=tuple(widths), value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"pad(): unknown mode {mode!r} (expected 'constant', 'reflect', "
                         f"'replicate' or 'circular')")
    if value not in (None, 0):
        raise ValueError(f"pad(): value is only used in constant mode, got mode {mode!r}")
    for d, (b, a) in enumerate(widths):
        if b < 0 or a < 0:
            raise ValueError(f"pad(): negative padding {pad} in {mode} mode")
        if b or a:
            index = (slice(None),) * d + (_pad_index(shape[d], b, a, mode),)
            input = getitem(input, index=index)
    return input
