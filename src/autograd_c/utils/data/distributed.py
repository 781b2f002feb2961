"""``DistributedSampler``: the share of a dataset one replica (rank) reads."""
from __future__ import annotations

import importlib
import math
from typing import Iterator, Optional

import numpy as np

from ... import random as _random
from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _process_group(missing: str):
    """(world_size, rank) from ``autograd_c.distributed``, imported only now;
    a clear RuntimeError when that module is absent or not initialised."""
    verb = "were" if " and " in missing else "was"
    hint = (f"DistributedSampler: {missing} {verb} not given and cannot be taken from "
            "autograd_c.distributed")
    try:
        dist = importlib.import_module("autograd_c.distributed")
    except ModuleNotFoundError as e:
        if e.name not in ("autograd_c.distributed",):
            raise
        raise RuntimeError(f"{hint} (this install has no autograd_c.distributed); pass "
                           "num_replicas= and rank= explicitly") from None
    is_available = getattr(dist, "is_available", None)
    if callable(is_available) and not is_available():
        raise RuntimeError(f"{hint} (autograd_c.distributed is not available); pass "
                           "num_replicas= and rank= explicitly")
    is_initialized = getattr(dist, "is_initialized", None)
    if not callable(is_initialized) or not is_initialized():
        raise RuntimeError(f"{hint} (the default process group is not initialized: call "
                           "autograd_c.distributed.init_process_group first, or pass "
                           "num_replicas= and rank=)")
    return int(dist.get_world_size()), int(dist.get_rank())


class DistributedSampler(Sampler):
    """Restricts loading to the part of ``dataset`` owned by replica ``rank``
    out of ``num_replicas``; use it as a DataLoader's ``sampler=``.

    The index list (shuffled from ``seed + epoch`` when ``shuffle``) is first
    made divisible by ``num_replicas``: with ``drop_last=False`` it is padded
    by repeating indices from its start, with ``drop_last=True`` its tail is
    cut. Rank ``r`` then takes every ``num_replicas``-th index from position
    ``r``. Every rank computes the same permutation, so the shares are
    disjoint (up to padding) and cover the dataset. Call ``set_epoch(epoch)``
    before each epoch to get a new order.

    Without ``num_replicas`` / ``rank`` they come from
    ``autograd_c.distributed`` (world size and rank of the initialised default
    group); without an initialised group this raises RuntimeError.
    The shuffled order is deterministic from ``seed + epoch`` and identical on
    all ranks, but not the permutation PyTorch draws; ``shuffle=False`` index
    lists equal PyTorch's exactly.
    """

    def __init__(self, dataset, num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            missing = " and ".join(n for n, v in (("num_replicas", num_replicas),
                                                  ("rank", rank)) if v is None)
            world, my_rank = _process_group(missing)
            num_replicas = world if num_replicas is None else num_replicas
            rank = my_rank if rank is None else rank
        if not _is_int(num_replicas) or num_replicas <= 0:
            raise ValueError(f"DistributedSampler: num_replicas should be a positive integer, "
                             f"got num_replicas={num_replicas!r}")
        if not _is_int(rank) or not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: invalid rank {rank!r}, rank should be in the "
                             f"interval [0, {num_replicas - 1}]")
        if not _is_int(seed):
            raise TypeError(f"DistributedSampler: seed should be an int, got {seed!r}")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.drop_last = bool(drop_last)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            # the largest multiple of num_replicas below n, split evenly
            self.num_samples = max(0, math.ceil((n - self.num_replicas) / self.num_replicas))
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def _order(self) -> list:
        n = len(self.dataset)
        if not self.shuffle:
            return list(range(n))
        g = _random.Generator().manual_seed(self.seed + self.epoch)
        return g.numpy_generator.permutation(n).tolist()

    def __iter__(self) -> Iterator[int]:
        indices = self._order()
        n = len(indices)
        if self.drop_last:
            indices = indices[:self.total_size]
        elif n > 0 and self.total_size > n:
            pad = self.total_size - n
            reps = -(-pad // n)                          # ceil
            indices = indices + (indices * reps)[:pad]
        if len(indices) != self.total_size:
            raise RuntimeError(f"DistributedSampler: the dataset changed length since the "
                               f"sampler was built ({n} items, expected a total of "
                               f"{self.total_size} after padding)")
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch: with ``shuffle``, each epoch gets a different order
        (the same on every rank)."""
        if not _is_int(epoch):
            raise TypeError(f"DistributedSampler.set_epoch: epoch should be an int, got {epoch!r}")
        self.epoch = int(epoch)
