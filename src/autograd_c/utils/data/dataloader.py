"""``DataLoader``: batches of a dataset, in the order of a sampler, collated
into Tensors (PyTorch's ``torch.utils.data.DataLoader`` API and checks).

Everything runs in the calling process: ``num_workers > 0`` is accepted for
compatibility but loads in-process, exactly like ``num_workers=0`` (no worker
processes are started, ``worker_init_fn`` is never called and
``get_worker_info()`` returns None, as in PyTorch's main process);
``pin_memory``, ``timeout``, ``prefetch_factor``, ``persistent_workers`` and
``multiprocessing_context`` are validated like PyTorch does, then ignored.
"""
from __future__ import annotations

from typing import Any, Callable, Generic, Iterable, Iterator, Optional, TypeVar

import numpy as np

from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]


T_co = TypeVar("T_co", covariant=True)


def get_worker_info():
    """Always None: autograd_c never starts worker processes, so data is loaded
    in the main process (where PyTorch also returns None)."""
    return None


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: yields None forever (unused)."""

    def __iter__(self):
        while True:
            yield None


_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
           "persistent_workers")


class DataLoader(Generic[T_co]):
    """Iterate over ``dataset`` in batches.

    ``DataLoader(dataset, batch_size=1, shuffle=False, sampler=None,
    batch_sampler=None, num_workers=0, collate_fn=None, pin_memory=False,
    drop_last=False, timeout=0, worker_init_fn=None, multiprocessing_context=None,
    generator=None, *, prefetch_factor=None, persistent_workers=False,
    pin_memory_device="", in_order=True)``

    * ``shuffle=True`` samples with ``RandomSampler(dataset, generator=generator)``:
      a seeded ``generator`` (or ``autograd_c.manual_seed``) gives the same
      orders every run, a new order each epoch;
    * ``sampler`` / ``batch_sampler`` replace the default index order
      (``batch_sampler`` excludes ``batch_size``, ``shuffle``, ``sampler`` and
      ``drop_last``);
    * ``batch_size=None`` turns batching off: each sample goes through
      ``default_convert`` (numpy arrays become Tensors) instead of
      ``default_collate``;
    * ``drop_last=True`` drops the last incomplete batch;
    * with an ``IterableDataset`` samples come in its iteration order (no
      sampler or shuffle allowed) and are grouped ``batch_size`` at a time.

    ``len(loader)`` is the number of batches (for an IterableDataset, derived
    from ``len(dataset)`` if it has one). See the module docstring for
    ``num_workers`` (in-process).
    """

    def __init__(self, dataset, batch_size: Optional[int] = 1, shuffle: Optional[bool] = None,
                 sampler: Optional[Iterable] = None, batch_sampler: Optional[Iterable] = None,
                 num_workers: int = 0, collate_fn: Optional[Callable] = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Optional[Callable] = None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor: Optional[int] = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if not _is_int(num_workers) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be a non-negative int; "
                             f"use num_workers=0 to disable multiprocessing, got "
                             f"num_workers={num_workers!r}")
        if not isinstance(timeout, (int, float)) or timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got "
                             f"timeout={timeout!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified in "
                             f"multiprocessing (num_workers > 0), got "
                             f"prefetch_factor={prefetch_factor!r} with num_workers=0")
        if prefetch_factor is not None and (not _is_int(prefetch_factor) or prefetch_factor < 0):
            raise ValueError(f"DataLoader: prefetch_factor option should be non-negative, got "
                             f"prefetch_factor={prefetch_factor!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if batch_size is not None and (not _is_int(batch_size) or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size should be a positive integer value or "
                             f"None, but got batch_size={batch_size!r}")
        if not isinstance(drop_last, (bool, np.bool_)):
            raise ValueError(f"DataLoader: drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got "
                            f"{type(collate_fn).__name__}")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(f"DataLoader: worker_init_fn must be callable, got "
                            f"{type(worker_init_fn).__name__}")

        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"shuffle option, but got shuffle={shuffle!r}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"sampler option, but got sampler={sampler!r}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler!r}")
        else:
            shuffle = bool(shuffle)
            if sampler is not None and shuffle:
                raise ValueError("DataLoader: sampler option is mutually exclusive with "
                                 "shuffle=True")

        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last (got "
                                 f"batch_size={batch_size!r}, shuffle={shuffle!r}, "
                                 f"sampler={sampler!r}, drop_last={drop_last!r})")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and "
                             "is mutually exclusive with drop_last=True")

        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))

        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = bool(drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._iterable = iterable
        self._initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FROZEN and getattr(self, "_initialized", False):
            raise ValueError(f"DataLoader: {name} attribute should not be set after the "
                             "DataLoader is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self) -> "_DataLoaderIter":
        return _DataLoaderIter(self)

    def __len__(self) -> int:
        if self._iterable:
            try:
                n = len(self.dataset)
            except TypeError:
                raise TypeError(f"DataLoader: the IterableDataset {type(self.dataset).__name__} "
                                "has no __len__, so the DataLoader has no length") from None
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)


class _DataLoaderIter:
    """One pass over a DataLoader (``iter(loader)``)."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._collate = loader.collate_fn
        self._auto = loader._auto_collation
        self._num_yielded = 0
        if loader._iterable:
            self._gen = self._iterable_batches()
        else:
            self._gen = self._map_batches()

    def _iterable_batches(self) -> Iterator[Any]:
        loader = self._loader
        it = iter(loader.dataset)
        if not self._auto:
            for sample in it:
                yield self._collate(sample)
            return
        bs: int = loader.batch_size  # type: ignore[assignment]  # set when auto-collating
        while True:
            batch = []
            for sample in it:
                batch.append(sample)
                if len(batch) == bs:
                    break
            if not batch or (loader.drop_last and len(batch) < bs):
                return
            yield self._collate(batch)

    def _map_batches(self):
        loader = self._loader
        dataset = loader.dataset
        if not self._auto:
            for idx in loader.sampler:
                yield self._collate(dataset[idx])
            return
        getitems = getattr(dataset, "__getitems__", None)
        for indices in loader.batch_sampler:  # type: ignore[union-attr]
            indices = list(indices)
            if callable(getitems):
                data = getitems(indices)
            else:
                data = [dataset[i] for i in indices]
            yield self._collate(data)

    def __iter__(self) -> "_DataLoaderIter":
        return self

    def __next__(self):
        out = next(self._gen)
        self._num_yielded += 1
        return out

    def __len__(self) -> int:
        return len(self._loader)
