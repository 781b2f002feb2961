"""Samplers: iterables of dataset indices (or, for ``BatchSampler``, of lists
of indices) with PyTorch's semantics. Random samplers draw from an
``autograd_c.Generator`` (``generator=``) or, without one, from
``autograd_c.random.default_generator``; the streams are numpy's, so the
orders are deterministic for a seed but differ from PyTorch's."""
from __future__ import annotations

import itertools
from typing import Generic, Iterable, Iterator, List, Optional, Sequence, TypeVar

import numpy as np

from ... import random as _random

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


T_co = TypeVar("T_co", covariant=True)


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


class Sampler(Generic[T_co]):
    """Base class: subclasses implement ``__iter__`` (and usually ``__len__``)."""

    def __init__(self, data_source=None) -> None:
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__}: subclasses of Sampler must "
                                  "implement __iter__")


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices into ``data_source``.

    Without replacement: a fresh permutation per pass (``num_samples`` larger
    than the dataset chains several permutations). With ``replacement=True``:
    ``num_samples`` independent uniform draws. Without ``generator``, each
    iteration draws its seed from ``default_generator`` (so
    ``autograd_c.manual_seed`` makes it reproducible); with one, iterations
    continue that generator's stream (each epoch differs, the run repeats).
    """

    def __init__(self, data_source, replacement: bool = False,
                 num_samples: Optional[int] = None, generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        if not _is_int(self.num_samples) or self.num_samples <= 0:
            raise ValueError(f"RandomSampler: num_samples should be a positive integer value, "
                             f"but got num_samples={self.num_samples!r}")
        _random._numpy_rng(generator, "RandomSampler")       # type check up front

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _rng(self) -> np.random.Generator:
        if self.generator is None:
            seed = int(_random.default_generator.numpy_generator.integers(0, 2**63))
            return np.random.default_rng(seed)
        return _random._numpy_rng(self.generator, "RandomSampler")

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        k = int(self.num_samples)
        rng = self._rng()
        if self.replacement:
            if n == 0:
                raise ValueError("RandomSampler: cannot sample with replacement from an "
                                 "empty data_source")
            yield from rng.integers(0, n, size=k).tolist()
            return
        if n == 0:
            return
        for _ in range(k // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[: k % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a new order every pass)."""

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices = indices
        self.generator = generator
        _random._numpy_rng(generator, "SubsetRandomSampler")

    def __iter__(self) -> Iterator[int]:
        rng = _random._numpy_rng(self.generator, "SubsetRandomSampler")
        for i in rng.permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in ``[0, len(weights))``, index ``i`` drawn with
    probability ``weights[i] / sum(weights)``; without replacement an index is
    drawn at most once (then ``num_samples`` must not exceed the number of
    non-zero weights)."""

    def __init__(self, weights: Sequence[float], num_samples: int,
                 replacement: bool = True, generator=None) -> None:
        if not _is_int(num_samples) or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples should be a positive integer "
                             f"value, but got num_samples={num_samples!r}")
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean value, "
                             f"but got replacement={replacement!r}")
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence but given "
                             f"weights have shape {tuple(w.shape)}")
        if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(f"WeightedRandomSampler: weights must be finite, non-negative and "
                             f"not all zero, got {w.tolist()}")
        if not replacement and num_samples > int(np.count_nonzero(w)):
            raise ValueError(f"WeightedRandomSampler: cannot draw num_samples={num_samples} "
                             f"without replacement from {int(np.count_nonzero(w))} non-zero "
                             "weights")
        _random._numpy_rng(generator, "WeightedRandomSampler")
        self.weights = w
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        rng = _random._numpy_rng(self.generator, "WeightedRandomSampler")
        p = self.weights / self.weights.sum()
        yield from rng.choice(len(p), size=self.num_samples, replace=self.replacement,
                              p=p).tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; the last,
    shorter list is kept unless ``drop_last``."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not _is_int(batch_size) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size should be a positive integer value, "
                             f"but got batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[List[int]]:
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]  # a sampler without len raises
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size
