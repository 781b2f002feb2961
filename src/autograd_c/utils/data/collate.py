"""``default_collate`` (merge a list of samples into a batch) and
``default_convert`` (turn one sample's arrays into Tensors), with the rules of
PyTorch's functions of the same names. Tensors are built on the active engine."""
from __future__ import annotations

import collections.abc as cabc

import numpy as np

from ... import functions as _F
from ..._tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_NOT_NUMERIC = "SaUOV"          # numpy dtype chars for strings, bytes, objects, voids

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
        "lists; found {}")


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _rebuild_mapping(elem, items: dict):
    try:
        return type(elem)(items)
    except TypeError:
        return items


def default_convert(data):
    """numpy arrays and numpy scalars become Tensors; dicts, namedtuples,
    tuples (returned as lists, as in PyTorch) and lists are converted item by
    item; anything else (Tensors, Python numbers, strings) is returned as is."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.char in _NOT_NUMERIC else Tensor(data)
    if isinstance(data, np.generic):
        return data if data.dtype.char in _NOT_NUMERIC else Tensor(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, cabc.Mapping):
        return _rebuild_mapping(data, {k: default_convert(v) for k, v in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, cabc.Sequence):
        out = [default_convert(d) for d in data]
        try:
            return type(data)(out)  # type: ignore[call-arg]
        except TypeError:
            return out
    return data


def default_collate(batch):
    """Merge a list of samples into one batch, recursively:

    * Tensors are stacked along a new first dimension (``autograd_c.stack``,
      so gradients flow through);
    * numpy arrays are stacked into a Tensor of their dtype; numpy scalars
      become a 1-d Tensor of their dtype;
    * Python floats become a float64 Tensor, ints an int64 Tensor, bools a
      bool Tensor;
    * strings and bytes are returned as the batch unchanged (the list given,
      or a tuple inside a transposed sequence, as in PyTorch);
    * dicts collate per key, namedtuples per field; tuples and lists
      collate per position (all samples must have the same length) and come
      back as lists (as in PyTorch).
    """
    if not isinstance(batch, (list, tuple)):
        batch = list(batch)
    if len(batch) == 0:
        raise ValueError("default_collate: got an empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        if not all(isinstance(b, Tensor) for b in batch):
            kinds = sorted({type(b).__name__ for b in batch})
            raise TypeError(f"default_collate: a batch mixes Tensors with other types: {kinds}")
        shapes = {tuple(b.shape) for b in batch}
        if len(shapes) > 1:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, "
                               f"got shapes {sorted(shapes)}")
        return _F.stack(batch, axis=0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.char in _NOT_NUMERIC:
            raise TypeError(_ERR.format(elem.dtype))
        shapes = {np.shape(b) for b in batch}
        if len(shapes) > 1:
            raise RuntimeError(f"default_collate: stack expects each array to be equal size, "
                               f"got shapes {sorted(shapes)}")
        return Tensor(np.stack([np.asarray(b) for b in batch]))
    if isinstance(elem, np.generic):
        if elem.dtype.char in _NOT_NUMERIC:
            raise TypeError(_ERR.format(elem.dtype))
        return Tensor(np.asarray(batch, dtype=elem.dtype))
    if isinstance(elem, (bool, np.bool_)):
        return Tensor(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return Tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, int):
        arr = np.asarray(batch)
        return Tensor(arr.astype(np.int64) if arr.dtype.kind in "iu" else arr)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, cabc.Mapping):
        return _rebuild_mapping(elem, {k: default_collate([d[k] for d in batch]) for k in elem})
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, cabc.Sequence):
        n = len(elem)
        if any(len(b) != n for b in batch):
            raise RuntimeError(f"default_collate: each element in list of batch should be of "
                               f"equal size, got lengths {[len(b) for b in batch]}")
        columns = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        try:
            return type(elem)(columns)  # type: ignore[call-arg]
        except TypeError:
            return columns
    raise TypeError(_ERR.format(type(elem)))
