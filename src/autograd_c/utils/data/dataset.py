"""Datasets: map-style (``Dataset``: ``__getitem__`` + ``__len__``) and
iterable-style (``IterableDataset``: ``__iter__``), plus the wrappers
``TensorDataset``, ``StackDataset``, ``ConcatDataset``, ``ChainDataset``,
``Subset`` and ``random_split``, with PyTorch's semantics."""
from __future__ import annotations

import bisect
import math
import warnings
from typing import Any, Generic, Iterable, List, Sequence, TypeVar

import numpy as np

from ... import random as _random

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
           "ChainDataset", "Subset", "random_split"]


T_co = TypeVar("T_co", covariant=True)


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses implement ``__getitem__(index)`` and
    (for samplers and ``len(DataLoader)``) ``__len__``. They may also implement
    ``__getitems__(indices)`` to fetch a whole batch at once (DataLoader uses it)."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}: subclasses of Dataset must "
                                  "implement __getitem__")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """An iterable-style dataset: subclasses implement ``__iter__``. With a
    DataLoader, no sampler is used; samples are batched in the order the
    iterator gives them."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__}: subclasses of IterableDataset "
                                  "must implement __iter__")

    def __add__(self, other: "Dataset") -> "ChainDataset":  # type: ignore[override]
        return ChainDataset([self, other])


def _first_dim(t, who: str) -> int:
    shape = getattr(t, "shape", None)
    if shape is None:
        raise TypeError(f"{who}: expected tensors or arrays, got {type(t).__name__}")
    if len(shape) == 0:
        raise ValueError(f"{who}: tensors must have at least one dimension, got a 0-d tensor")
    return int(shape[0])


class TensorDataset(Dataset):
    """Samples are ``(t0[i], t1[i], ...)``: the i-th row of each tensor (all
    tensors must share their first dimension)."""

    def __init__(self, *tensors) -> None:
        sizes = [_first_dim(t, "TensorDataset") for t in tensors]
        if sizes and any(s != sizes[0] for s in sizes):
            raise ValueError(f"TensorDataset: size mismatch between tensors: first "
                             f"dimensions are {sizes}")
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return _first_dim(self.tensors[0], "TensorDataset") if self.tensors else 0


class StackDataset(Dataset):
    """Zips datasets of equal length: ``StackDataset(a, b)[i] == (a[i], b[i])``,
    ``StackDataset(x=a, y=b)[i] == {"x": a[i], "y": b[i]}``."""

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError("StackDataset: pass datasets either as positional or as keyword "
                             "arguments, not both")
        if not args and not kwargs:
            raise ValueError("StackDataset: at least one dataset should be passed")
        parts = args if args else tuple(kwargs.values())
        lengths = [len(d) for d in parts]  # type: ignore[arg-type]
        if any(n != lengths[0] for n in lengths):
            raise ValueError(f"StackDataset: size mismatch between datasets: lengths {lengths}")
        self._length = lengths[0]
        self.datasets = args if args else dict(kwargs)

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset):
    """The concatenation of map-style datasets (``a + b`` builds one)."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError(f"ConcatDataset: does not support IterableDataset "
                                f"({type(d).__name__}); use ChainDataset")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)  # type: ignore[arg-type]
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if not _is_int(idx):
            raise TypeError(f"ConcatDataset: index must be an int, got {type(idx).__name__}")
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise IndexError(f"ConcatDataset: index {idx} out of range for length {n}")
            idx += n
        if idx >= n:
            raise IndexError(f"ConcatDataset: index {idx} out of range for length {n}")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """Iterates several iterable datasets one after the other."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset: only supports IterableDataset, "
                                f"got {type(d).__name__}")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset: only supports IterableDataset, "
                                f"got {type(d).__name__}")
            total += len(d)  # type: ignore[arg-type]
        return total


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (in that order)."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: List[int]) -> List[Any]:
        inner = [self.indices[i] for i in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(inner)  # type: ignore[attr-defined]
        return [self.dataset[i] for i in inner]

    def __len__(self) -> int:
        return len(self.indices)


def _split_lengths(n: int, lengths: Sequence) -> List[int]:
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths must not be empty")
    for i, x in enumerate(lengths):
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):  # noqa: E501
            raise TypeError(f"random_split: lengths must be ints or fractions, got "
                            f"{type(x).__name__} {x!r} at index {i}")
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        # fractions: floor(frac * n) each, then the remainder one by one, round-robin
        out = []
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 "
                                 f"and 1: {frac}")
            out.append(math.floor(n * frac))
        for i in range(n - sum(out)):
            out[i % len(out)] += 1
        for i, k in enumerate(out):
            if k == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this "
                              "might result in an empty dataset", stacklevel=3)
        return out
    for i, x in enumerate(lengths):
        if not _is_int(x) and not (isinstance(x, float) and x.is_integer()):
            raise ValueError(f"random_split: lengths must be ints (or fractions summing to "
                             f"1), got {x!r} at index {i}")
        if x < 0:
            raise ValueError(f"random_split: lengths must be non-negative, got {x} at index {i}")
    out = [int(x) for x in lengths]
    if sum(out) != n:
        raise ValueError(f"random_split: sum of input lengths ({sum(out)}) does not equal "
                         f"the length of the input dataset ({n})")
    return out


def random_split(dataset: Dataset, lengths: Sequence, generator=None) -> List[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset``s.

    ``lengths`` are either the sizes (summing to ``len(dataset)``) or fractions
    summing to 1: each split then gets ``floor(frac * len(dataset))`` items and
    the remainder is dealt one item at a time to the splits in order.
    ``generator`` (an ``autograd_c.Generator``; default: ``default_generator``)
    draws the permutation, so a seeded generator gives the same split every run.
    """
    sizes = _split_lengths(len(dataset), lengths)  # type: ignore[arg-type]
    perm = _random._numpy_rng(generator, "random_split").permutation(sum(sizes)).tolist()
    out, start = [], 0
    for k in sizes:
        out.append(Subset(dataset, perm[start:start + k]))
        start += k
    return out
